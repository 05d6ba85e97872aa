using CityOS.Core.Security;
using CityOS.Portal.Pages;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace CityOS.Portal.Session;

/// <summary>
/// The portal as an OpenID Connect client of CityOS's own provider (authorization code with PKCE, ASP.NET Core's
/// OpenIdConnect handler) with a cookie session that keeps the tokens the provider gave. Its client (<see cref="ClientId"/>)
/// is registered through <see cref="IApplicationClients"/> with this server's own addresses as redirect URIs.
/// </summary>
public static class PortalAuthentication
{
    public const string CookieScheme = "CityOS.Portal";
    public const string OidcScheme = "CityOS.Portal.Oidc";
    public const string ClientId = "cityos-portal";
    public const string CallbackPath = "/portal/signin-oidc";
    public const string SignedOutCallbackPath = "/portal/signout-callback";
    public const string CookiePath = "/portal";

    public static IServiceCollection AddPortalAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddCookie(CookieScheme, cookie =>
            {
                cookie.Cookie.Name = "cityos_portal";
                cookie.Cookie.Path = CookiePath;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = false;
            })
            .AddOpenIdConnect(OidcScheme, _ => { });
        services.AddOptions<OpenIdConnectOptions>(OidcScheme).Configure<SelfAddress>((oidc, self) =>
        {
            // Read when the handler first runs, on the first request: the server listens by then.
            oidc.Authority = self.Authority;
            oidc.RequireHttpsMetadata = false;
            oidc.ClientId = ClientId;
            oidc.ResponseType = OpenIdConnectResponseType.Code;
            oidc.ResponseMode = OpenIdConnectResponseMode.Query;
            oidc.UsePkce = true;
            oidc.PushedAuthorizationBehavior = PushedAuthorizationBehavior.Disable;
            oidc.Scope.Clear();
            oidc.Scope.Add("openid");
            oidc.Scope.Add("profile");
            oidc.SaveTokens = true;
            oidc.MapInboundClaims = false;
            oidc.GetClaimsFromUserInfoEndpoint = false;
            oidc.DisableTelemetry = true;
            oidc.SignInScheme = CookieScheme;
            oidc.CallbackPath = CallbackPath;
            oidc.SignedOutCallbackPath = SignedOutCallbackPath;
            oidc.SignedOutRedirectUri = PortalRoutes.Home;
            oidc.TokenValidationParameters.NameClaimType = "name";
            // The provider answers with a top-level GET (response_mode=query): Lax cookies come back with it, also over plain http.
            oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
            oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.CorrelationCookie.Path = CookiePath;
            oidc.NonceCookie.SameSite = SameSiteMode.Lax;
            oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.NonceCookie.Path = CookiePath;
            oidc.Events.OnRedirectToIdentityProvider = context =>
            {
                context.ProtocolMessage.UiLocales = PortalLanguage.Of(context.Request).Lang;
                return Task.CompletedTask;
            };
        });
        services.AddSingleton<PortalClient>();
        return services;
    }
}

/// <summary>
/// Registers the portal's own client with the provider once per process, and again when the server's addresses changed
/// (its redirect URIs are exact: one per address a browser may open the portal at).
/// </summary>
public sealed class PortalClient(IApplicationClients clients, SelfAddress self)
{
    private readonly SemaphoreSlim _once = new(1, 1);
    private bool _ready;

    public async Task EnsureAsync(CancellationToken ct)
    {
        if (_ready) return;
        await _once.WaitAsync(ct);
        try
        {
            if (_ready) return;
            var bases = self.BrowserBases();
            string[] redirects = [.. bases.Select(b => b + PortalAuthentication.CallbackPath)];
            string[] signedOut = [.. bases.Select(b => b + PortalAuthentication.SignedOutCallbackPath)];
            var existing = await clients.FindAsync(PortalAuthentication.ClientId, ct);
            if (existing is null || !existing.RedirectUris.SequenceEqual(redirects) || !existing.PostLogoutRedirectUris.SequenceEqual(signedOut))
            {
                if (existing is not null) await clients.DeleteAsync(PortalAuthentication.ClientId, ct);
                await clients.RegisterAsync(new ApplicationClientDraft(PortalAuthentication.ClientId, "CityOS Portal", redirects, signedOut, Confidential: false), ct);
            }
            _ready = true;
        }
        finally
        {
            _once.Release();
        }
    }
}
