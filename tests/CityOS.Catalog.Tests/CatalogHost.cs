namespace CityOS.Catalog.Tests;

/// <summary>The real host with the catalog block, security as the run asks (CITYOS_TEST_AUTH).</summary>
public sealed class CatalogHost : CityOsTestHost;

/// <summary>The real host with security on (CityOS:Security:Enabled): the Client carries a system administrator's token.</summary>
public sealed class SecuredCatalogHost : CityOsTestHost
{
    protected override bool SecurityOn => true;
}

/// <summary>The real host with small upload limits: 4 KiB a file, 6 KiB of files a tenant.</summary>
public sealed class SmallUploadsHost : CityOsTestHost
{
    protected override string[] Settings => ["--CityOS:Catalog:MaxUploadBytes", "4096", "--CityOS:Catalog:TenantQuotaBytes", "6144"];
}

/// <summary>The real host with a small DCAT page (2 datasets) and a site title of its own.</summary>
public sealed class DcatHost : CityOsTestHost
{
    protected override string[] Settings => ["--CityOS:Catalog:DcatDatasetsPerPage", "2", "--CityOS:Catalog:SiteTitle", "Kobe open data"];
}

/// <summary>The real host with a public site address of its own (CityOS:Catalog:SiteUrl), as behind a reverse proxy.</summary>
public sealed class PublicSiteHost : CityOsTestHost
{
    public const string Site = "https://opendata.city.example.jp";

    protected override string[] Settings => ["--CityOS:Catalog:SiteUrl", Site + "/"];
}
