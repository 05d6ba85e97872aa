using CityOS.Core.Hosting;
using CityOS.Core.Http;
using CityOS.Core.Context;
using CityOS.Portal.Admin;
using CityOS.Portal.Developer;
using CityOS.Portal.Explorer;
using CityOS.Portal.Http;
using CityOS.Portal.Session;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Portal;

/// <summary>
/// The web front as the host composes it: the developer portal (API list and the Scalar reference with its try-it console
/// over /openapi/v1.json, application registration), the data explorer and the admin console, server-rendered in Japanese
/// and English under /portal. Users sign in through CityOS's own OpenID Connect provider.
/// </summary>
public sealed class PortalBlockModule : ICityOsBlock
{
    public string Name => "Portal";

    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddCityOsDataDirectory(configuration);
        services.AddCityOsHttpEdge();
        services.AddSingleton<SelfAddress>();
        services.AddPortalAuthentication();
        services.AddHttpClient(SelfApi.ClientName);
        services.AddSingleton<SelfApi>();
        services.AddSingleton<ApiCatalog>();
        services.AddSingleton<IOwnedApplications, SqliteOwnedApplications>();
        services.AddSingleton<TemporalHistory>();
        services.AddSingleton<LiveChanges>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveChanges>());
        services.AddContextChangeConsumer(LiveChanges.Consumer);
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "cityos_portal_csrf";
            antiforgery.Cookie.Path = PortalAuthentication.CookiePath;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.FormFieldName = "csrf";
        });
    }

    public void AddHealthChecks(IHealthChecksBuilder checks)
    {
    }

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapApiReference();
        routes.MapPortalPages();
        routes.MapExplorerPages();
        routes.MapDeveloperPages();
        routes.MapAdminPages();
    }
}
