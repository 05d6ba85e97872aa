using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Tokens;

/// <summary>
/// The issuer (iss) of this provider: <see cref="IdentityOptions.Issuer"/>, or for one-machine use the first address the
/// server listens on (http://localhost:1026 by default), with a wildcard host (0.0.0.0, [::], *, +) named localhost. Never taken from a request: a Host
/// header must not choose the issuer of tokens or of the discovery document.
/// </summary>
public sealed class IssuerUrl(IOptions<IdentityOptions> options, IConfiguration configuration, IServiceProvider services)
{
    private string? _listening;

    public string Value => options.Value.Issuer is { Length: > 0 } configured ? Normalise(configured) : _listening ?? Listening();

    public bool IsThis(string? issuer) => issuer is not null && Normalise(issuer) == Value;

    public static string Normalise(string issuer) => issuer.TrimEnd('/');

    /// <summary>
    /// The first listening address once the server has bound; before that (background services start first, and the
    /// command line has no server) the address the configuration asks for, not remembered.
    /// </summary>
    private string Listening()
    {
        var bound = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (bound is not null && Localhost(bound) is { } listening) return _listening = listening;
        var urls = configuration["urls"] ?? configuration["ASPNETCORE_URLS"];
        var asked = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
            ?? $"http://{configuration["CityOS:Host"] ?? "localhost"}:{configuration["CityOS:Port"] ?? "1026"}";
        return Localhost(asked) ?? "http://localhost:1026";
    }

    /// <summary>An address as an issuer: a wildcard host (0.0.0.0, [::], *, +) becomes localhost.</summary>
    private static string? Localhost(string address)
    {
        var named = address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal);
        if (!Uri.TryCreate(named, UriKind.Absolute, out var uri)) return null;
        var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "localhost" : uri.Host;
        return Normalise(new UriBuilder(uri.Scheme, host, uri.Port).Uri.ToString());
    }
}
