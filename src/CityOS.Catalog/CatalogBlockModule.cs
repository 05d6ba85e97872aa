using CityOS.Catalog.Ckan;
using CityOS.Catalog.Dcat;
using CityOS.Catalog.Files;
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
        services.AddSingleton<Files.ResourceFiles>();
        services.AddSingleton<CatalogAccess>();
    }

    public void AddHealthChecks(IHealthChecksBuilder checks) =>
        checks.AddPing<ICatalogStore>("catalog", (store, ct) => store.PingAsync(ct));

    public void MapRoutes(IEndpointRouteBuilder routes) => routes.MapCkanActionApi().MapResourceFiles().MapDcat();
}

/// <summary>Settings of the catalog (section <c>CityOS:Catalog</c>).</summary>
public sealed class CatalogOptions
{
    public const string Section = "CityOS:Catalog";

    /// <summary>The site title status_show answers.</summary>
    public string SiteTitle { get; set; } = "CityOS data catalog";

    /// <summary>Most rows package_search returns in one page (CKAN's ckan.search.rows_max).</summary>
    public int MaxRows { get; set; } = 1000;

    /// <summary>Most bytes of one uploaded file (resource_create/resource_update's upload, or a streamed PUT/POST); 2 GiB by default.</summary>
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Most bytes the uploaded files of one tenant may take in all; 0 for no quota.</summary>
    public long TenantQuotaBytes { get; set; }

    /// <summary>The public address of the site (CKAN's ckan.site_url) for download and DCAT URLs; empty for the request's own.</summary>
    public string SiteUrl { get; set; } = "";

    /// <summary>Datasets in one page of the DCAT catalog (ckanext-dcat's ckanext.dcat.datasets_per_page).</summary>
    public int DcatDatasetsPerPage { get; set; } = 100;

    /// <summary>Entities read from the broker in one page while a live download streams (at most the broker's CityOS:MaxLimit).</summary>
    public int LivePageSize { get; set; } = 1000;
}
