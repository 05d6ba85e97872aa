using System.Globalization;
using System.Text.Json.Nodes;
using CityOS.Catalog.Ckan;
using CityOS.Catalog.Files;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CityOS.Catalog.Dcat;

/// <summary>
/// The DCAT exports at ckanext-dcat's URLs: the catalog at <c>/catalog.{ttl|n3|jsonld|xml|rdf}</c> (paged with Hydra;
/// <c>page</c>, <c>modified_since</c>, <c>q</c>, <c>fq</c>), a dataset at <c>/dataset/{id}.{format}</c>, and both by content
/// negotiation at <c>/catalog</c> and <c>/dataset/{id}</c>. The catalog lists the public datasets; a dataset is shown to those
/// package_show shows it to.
/// </summary>
public static class DcatEndpoints
{
    public static IEndpointRouteBuilder MapDcat(this IEndpointRouteBuilder routes)
    {
        var dcat = routes.MapGroup("").WithTags("Catalog (DCAT)").WithSurface(ApiSurface.Json).RequireAuthorization(CallerAuthentication.CallerPolicy);
        dcat.MapGet("/catalog.{format}", CatalogAsync).WithName("dcat_catalog")
            .WithSummary("The catalog in DCAT-AP (ttl, n3, jsonld, xml, rdf), paged with Hydra (page, modified_since, q, fq)");
        dcat.MapGet("/catalog", NegotiatedCatalogAsync).WithName("dcat_catalog_negotiated")
            .WithSummary("The catalog in DCAT-AP, in the RDF serialization the Accept header asks for");
        dcat.MapGet("/dataset/{id}.{format}", DatasetAsync).WithName("dcat_dataset")
            .WithSummary("One dataset in DCAT-AP (ttl, n3, jsonld, xml, rdf)");
        dcat.MapGet("/dataset/{id}", NegotiatedDatasetAsync).WithName("dcat_dataset_negotiated")
            .WithSummary("One dataset in DCAT-AP, in the RDF serialization the Accept header asks for");
        return routes;
    }

    private static Task<IResult> CatalogAsync(HttpContext http, string format, CatalogService catalog, IOptions<CatalogOptions> options, CancellationToken ct) =>
        CatalogPageAsync(http, OfExtension(format), "/catalog." + format, catalog, options.Value, ct);

    private static Task<IResult> NegotiatedCatalogAsync(HttpContext http, CatalogService catalog, IOptions<CatalogOptions> options, CancellationToken ct) =>
        CatalogPageAsync(http, RdfFormat.Negotiate(http.Request.GetTypedHeaders().Accept), "/catalog", catalog, options.Value, ct);

    private static Task<IResult> DatasetAsync(HttpContext http, string id, string format, CatalogService catalog, CancellationToken ct) =>
        DatasetGraphAsync(http, id, OfExtension(format), catalog, ct);

    private static Task<IResult> NegotiatedDatasetAsync(HttpContext http, string id, CatalogService catalog, CancellationToken ct) =>
        DatasetGraphAsync(http, id, RdfFormat.Negotiate(http.Request.GetTypedHeaders().Accept), catalog, ct);

    private static async Task<IResult> CatalogPageAsync(HttpContext http, RdfFormat format, string path, CatalogService catalog, CatalogOptions options, CancellationToken ct)
    {
        var query = http.Request.Query;
        var page = 1;
        if (query["page"].ToString() is { Length: > 0 } given && (!int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1))
        {
            throw NgsiLdException.BadRequest("'page' must be a whole number from 1.");
        }
        var perPage = Math.Clamp(options.DcatDatasetsPerPage, 1, options.MaxRows);
        var filters = new JsonArray();
        if (query["fq"].ToString() is { Length: > 0 } fq) filters.Add(fq);
        if (query["modified_since"].ToString() is { Length: > 0 } since)
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) throw NgsiLdException.BadRequest("'modified_since' must be an ISO 8601 date or date and time.");
            filters.Add($"metadata_modified:[{at.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.ffffff} TO *]");
        }
        var input = new JsonObject
        {
            ["q"] = query["q"].ToString(),
            ["fq_list"] = filters,
            ["rows"] = perPage,
            ["start"] = (long)(page - 1) * perPage > int.MaxValue ? int.MaxValue : (page - 1) * perPage,
            ["sort"] = "metadata_modified desc",
        };
        var site = ResourceUrls.SiteUrl(http);
        var result = (await ResourceFileEndpoints.AsProblem(http, catalog.PackageSearchAsync(Tenancy.FromRequest(http.Request), http.Caller(), input, ct))).ToJson(site);
        var others = query.Where(p => p.Key != "page").SelectMany(p => p.Value.Select(v => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(v ?? ""))).ToArray();
        string Url(int n) => $"{site}{path}?{string.Join("&", [.. others, "page=" + n.ToString(CultureInfo.InvariantCulture)])}";
        var graph = new RdfGraph();
        DcatMapping.AddCatalog(graph, site, options.SiteTitle, [.. result["results"]!.AsArray().OfType<JsonObject>()],
            new HydraPage(page, perPage, result["count"]!.GetValue<long>(), Url));
        return Answer(format, graph);
    }

    private static async Task<IResult> DatasetGraphAsync(HttpContext http, string id, RdfFormat format, CatalogService catalog, CancellationToken ct)
    {
        var package = await ResourceFileEndpoints.AsProblem(http, catalog.PackageShowAsync(Tenancy.FromRequest(http.Request), http.Caller(), new JsonObject { ["id"] = id }, ct));
        var site = ResourceUrls.SiteUrl(http);
        ResourceUrls.Absolutize(package, site);
        var graph = new RdfGraph();
        DcatMapping.AddDataset(graph, site, package);
        return Answer(format, graph);
    }

    private static RdfFormat OfExtension(string extension) =>
        RdfFormat.OfExtension(extension) ?? throw NgsiLdException.NotFound($"No DCAT serialization '{extension}': use ttl, n3, jsonld, xml or rdf.");

    private static IResult Answer(RdfFormat format, RdfGraph graph) => Results.Text(format.Write(graph), format.MediaType + "; charset=utf-8");
}
