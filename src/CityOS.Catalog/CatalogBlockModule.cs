using CityOS.Catalog.Ckan;
using CityOS.Catalog.Storage;
using CityOS.Core.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Catalog;

/// <summary>The data catalog (DM-4, DM-6) as the host composes it: the CKAN Action API over a SQLite catalog per tenant.</summary>
public sealed class CatalogBlockModule : ICityOsBlock
{
    public string Name => "Catalog";

    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddCityOsDataDirectory(configuration);
        services.AddOptions<CatalogOptions>().Bind(configuration.GetSection(CatalogOptions.Section)).ValidateOnStart();
        services.AddSingleton<ICatalogStore, SqliteCatalogStore>();
        services.AddSingleton<CatalogService>();
        services.AddSingleton<CatalogAccess>();
    }

    public void AddHealthChecks(IHealthChecksBuilder checks) =>
        checks.AddPing<ICatalogStore>("catalog", (store, ct) => store.PingAsync(ct));

    public void MapRoutes(IEndpointRouteBuilder routes) => routes.MapCkanActionApi();
}

/// <summary>Settings of the catalog (section <c>CityOS:Catalog</c>).</summary>
public sealed class CatalogOptions
{
    public const string Section = "CityOS:Catalog";

    /// <summary>The site title status_show answers.</summary>
    public string SiteTitle { get; set; } = "CityOS data catalog";

    /// <summary>Most rows package_search returns in one page (CKAN's ckan.search.rows_max).</summary>
    public int MaxRows { get; set; } = 1000;
}
