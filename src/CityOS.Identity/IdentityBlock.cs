using CityOS.Core.Hosting;
using CityOS.Core.Http;
using CityOS.Core.Security;
using CityOS.Identity.Http;
using CityOS.Identity.Rules;
using CityOS.Identity.Services;
using CityOS.Identity.Storage;
using CityOS.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityOS.Identity;

/// <summary>The identity block: OAuth 2.0 / OpenID Connect provider, accounts, roles, policies, MFA.</summary>
public static class IdentityBlock
{
    public static IServiceCollection AddCityOsIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<IdentityOptions, IdentityOptionsValidator>(configuration.GetSection(IdentityOptions.Section));
        services.AddCityOsDataDirectory(configuration);
        services.AddCityOsHttpEdge();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(TrustedIssuers.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<SqliteIdentityStore>();
        services.AddSingleton<IIdentityStore>(sp => sp.GetRequiredService<SqliteIdentityStore>());
        services.AddSingleton<AccountManager>();
        services.AddSingleton<ClientRegistry>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SignInService>();
        services.AddIdentityRateLimits();
        services.AddSingleton<MfaEnrolment>();
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<TrustedIssuers>();
        services.AddSingleton<IssuerUrl>();
        services.AddSingleton<PrincipalDirectory>();
        services.AddSingleton<IPrincipalDirectory>(sp => sp.GetRequiredService<PrincipalDirectory>());
        services.AddSingleton<TokenValidator>();
        services.AddSingleton<ITokenValidator>(sp => sp.GetRequiredService<TokenValidator>());
        services.AddSingleton<AccessPolicy>();
        services.AddSingleton<IAccessPolicy>(sp => sp.GetRequiredService<AccessPolicy>());
        services.AddSingleton<IApplicationClients, ApplicationClients>();
        return services;
    }

    public static IEndpointRouteBuilder MapCityOsIdentity(this IEndpointRouteBuilder app)
    {
        app.MapOAuthApi();
        app.MapLoginApi();
        app.MapAdminApi();
        return app;
    }
}
