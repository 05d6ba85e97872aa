using System.Security.Claims;
using System.Text.Json.Nodes;
using CityOS.Bench.OpenIddict;
using CityOS.Identity;
using CityOS.Identity.Http;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Tokens;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

// Spike for issue 21: cityos's client_credentials token endpoint rebuilt on OpenIddict 7.8.0, to measure what the
// library costs before deciding whether the protocol layer moves onto it. Clients come from the identity.db of a
// cityos data directory (ClientApplicationStore over the same IIdentityStore), tokens are signed with cityos's
// active ES256 key from that file and carry the claims cityos's own tokens carry, so cityos accepts them.
// Like cityos, the spike stores no client_credentials access token (OpenIddict's token and authorization storage
// off): cityos persists only revocations. Not part of the product and has no tests; see bench/README.md.
// Usage: dotnet CityOS.Bench.OpenIddict.dll --urls http://127.0.0.1:5028 --CityOS:DataDirectory DIR --CityOS:Identity:Issuer URL
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddCityOsIdentity(builder.Configuration);
var settings = builder.Configuration.GetSection(IdentityOptions.Section).Get<IdentityOptions>() ?? new IdentityOptions();
var issuer = settings.Issuer ?? throw new InvalidOperationException("Set CityOS:Identity:Issuer: OpenIddict needs a fixed issuer.");

// OpenIddict takes its signing credentials when it is configured, before the application's services exist.
SigningCredentials signing;
await using (var keys = new ServiceCollection().AddCityOsIdentity(builder.Configuration).BuildServiceProvider())
{
    signing = await keys.GetRequiredService<SigningKeyRing>().SigningCredentialsAsync(SecurityAlgorithms.EcdsaSha256, CancellationToken.None);
}

builder.Services.AddOpenIddict()
    .AddCore(core =>
    {
        core.SetDefaultApplicationEntity<Client>();
        core.ReplaceApplicationStore<Client, ClientApplicationStore>(ServiceLifetime.Singleton);
        core.ReplaceApplicationManager<Client, ClientApplicationManager>();
    })
    .AddServer(server =>
    {
        server.SetIssuer(issuer);
        server.SetTokenEndpointUris(OAuthApi.Base.TrimStart('/') + "/token");
        server.AllowClientCredentialsFlow();
        server.AddSigningCredentials(signing);
        // OpenIddict insists on an encryption key for the tokens it would encrypt; access tokens stay plain JWTs as cityos's.
        server.AddEphemeralEncryptionKey();
        server.DisableAccessTokenEncryption();
        server.DisableTokenStorage();
        server.DisableAuthorizationStorage();
        // Scopes are checked against the client's registration (permissions, then ClientRules below), as cityos does.
        server.DisableScopeValidation();
        server.SetAccessTokenLifetime(settings.AccessTokenLifetime);
        server.UseAspNetCore()
            .EnableTokenEndpointPassthrough()
            .DisableTransportSecurityRequirement()
            .SuppressJsonResponseIndentation();
    });

var app = builder.Build();
app.UseAuthentication();
app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" }));
app.MapPost(OAuthApi.Base + "/token", Token);
app.Run();

// OpenIddict has authenticated the client and checked its grant and scope permissions before this runs.
static async Task<IResult> Token(HttpContext context, IOpenIddictApplicationManager applications, IOptions<IdentityOptions> options,
    CancellationToken ct)
{
    var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("OpenIddict did not handle this token request.");
    if (request.ClientId is null || await applications.FindByClientIdAsync(request.ClientId, ct) is not Client client)
    {
        return Refuse(Errors.InvalidClient, "Unknown client.");
    }
    string scope;
    try
    {
        scope = ClientRules.GrantedScope(client, request.Scope, ClientRules.StandardScopes);
    }
    catch (OAuthException e)
    {
        return Refuse(e.Error, e.Description);
    }
    var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
    identity.SetClaim(Claims.Subject, client.Id);
    identity.SetClaim(TokenIssuer.TenantsClaim, Tenants(client));
    identity.SetScopes(scope.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    identity.SetAudiences(options.Value.Audience);
    identity.SetDestinations(_ => [Destinations.AccessToken]);
    return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
}

static IResult Refuse(string error, string description) => Results.Forbid(
    new AuthenticationProperties(new Dictionary<string, string?>
    {
        [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
        [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
    }),
    [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

// The "tenants" claim of cityos's client tokens: the client's roles by tenant.
static JsonObject Tenants(Client client)
{
    var tenants = new JsonObject();
    foreach (var group in client.Memberships.GroupBy(m => m.Tenant, StringComparer.Ordinal))
    {
        tenants[group.Key] = new JsonArray(group.Select(m => (JsonNode)m.Role).ToArray());
    }
    return tenants;
}
