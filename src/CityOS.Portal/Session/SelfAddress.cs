using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;

namespace CityOS.Portal.Session;

/// <summary>
/// Where this server answers: the addresses it listens on (a wildcard host named localhost and 127.0.0.1), and the one the
/// portal calls its own APIs and its OpenID Connect provider at (setting CityOS:Portal:Authority, else the first listening
/// address). Never taken from a request's Host header, which the caller chooses.
/// </summary>
public sealed class SelfAddress(IServer server, IConfiguration configuration)
{
    public const string AuthoritySetting = "CityOS:Portal:Authority";
    public const string PublicUrlSetting = "CityOS:Portal:PublicUrls";

    /// <summary>The base address of the APIs and of the provider, without a trailing slash.</summary>
    public string Authority => configuration[AuthoritySetting] is { Length: > 0 } configured ? configured.TrimEnd('/') : Listening().First();

    /// <summary>Every base address a browser may open the portal at: the listening ones and those configured (CityOS:Portal:PublicUrls).</summary>
    public IReadOnlyList<string> BrowserBases()
    {
        var configured = configuration.GetSection(PublicUrlSetting).Get<string[]>() ?? [];
        return [.. configured.Select(u => u.TrimEnd('/')).Concat(Listening()).Distinct(StringComparer.Ordinal)];
    }

    private IReadOnlyList<string> Listening()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var bases = new List<string>();
        foreach (var address in addresses)
        {
            var named = address.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(named, UriKind.Absolute, out var uri)) continue;
            string[] hosts = uri.Host switch
            {
                "0.0.0.0" or "[::]" or "::" or "localhost" or "127.0.0.1" or "[::1]" => ["localhost", "127.0.0.1"],
                _ => [uri.Host],
            };
            bases.AddRange(hosts.Select(h => $"{uri.Scheme}://{h}:{uri.Port}"));
        }
        return bases.Count > 0 ? bases : ["http://localhost:1026"];
    }
}
