using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Tokens;

/// <summary>
/// The issuer (iss) of this provider: <see cref="IdentityOptions.Issuer"/>, or for one-machine use the first address the
/// server listens on, with a wildcard host (0.0.0.0, [::], *, +) named localhost. Never taken from a request: a Host
/// header must not choose the issuer of tokens or of the discovery document.
/// </summary>
public sealed class IssuerUrl(IOptions<IdentityOptions> options, IServiceProvider services)
{
    /// <summary>Used when no server runs in this process (the command line).</summary>
    public const string Fallback = "http://localhost:1026";

    private string? _listening;

    public string Value => options.Value.Issuer is { Length: > 0 } configured ? Normalise(configured) : _listening ?? Listening();

    public bool IsThis(string? issuer) => issuer is not null && Normalise(issuer) == Value;

    public static string Normalise(string issuer) => issuer.TrimEnd('/');

    /// <summary>The first listening address once the server has started; the fallback (not remembered) before.</summary>
    private string Listening()
    {
        var address = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null || !Uri.TryCreate(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return Fallback;
        }
        var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "localhost" : uri.Host;
        return _listening = Normalise(new UriBuilder(uri.Scheme, host, uri.Port).Uri.ToString());
    }
}
