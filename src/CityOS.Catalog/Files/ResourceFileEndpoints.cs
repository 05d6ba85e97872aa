using CityOS.Catalog.Ckan;
using CityOS.Catalog.Live;
using CityOS.Core.Context;
using Microsoft.Extensions.Options;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace CityOS.Catalog.Files;

/// <summary>
/// The files of resources at CKAN's URLs: downloads at <c>/dataset/{id}/resource/{rid}/download/{name}</c> (with ranges), and
/// uploads as a plain streamed body (POST a new resource, PUT a new file of one) beside resource_create's multipart upload.
/// </summary>
public static class ResourceFileEndpoints
{
    public static IEndpointRouteBuilder MapResourceFiles(this IEndpointRouteBuilder routes)
    {
        var files = routes.MapGroup("/dataset").WithTags("Catalog (files)").WithSurface(ApiSurface.Json).RequireAuthorization(CallerAuthentication.CallerPolicy);
        files.MapGet("/{id}/resource/{rid}/download/{name?}", DownloadAsync).WithName("catalog_resource_download")
            .WithSummary("Download a resource's file (ranges supported) or its live data (format: csv, geojson, json)");
        files.MapPost("/{id}/resource", UploadNew).WithName("catalog_resource_upload")
            .WithSummary("Add a resource whose file is the request body (query: filename, name, format, description)");
        files.MapPut("/{id}/resource/{rid}", UploadReplace).WithName("catalog_resource_replace_file")
            .WithSummary("Replace a resource's file with the request body");
        return routes;
    }

    private static async Task<IResult> DownloadAsync(HttpContext http, string id, string rid, string? name, string? format, CatalogService catalog, ResourceFiles files,
        IContextReader reader, IOptions<CatalogOptions> options, CancellationToken ct)
    {
        var tenant = Tenancy.FromRequest(http.Request);
        var (_, resource) = await AsProblem(http, catalog.DownloadableAsync(tenant, http.Caller(), id, rid, ct));
        switch (resource["url_type"]?.ToString())
        {
            case CatalogService.UploadUrlType:
                var path = files.PathOf(tenant, rid);
                if (!File.Exists(path)) throw NgsiLdException.NotFound($"The file of resource {rid} is missing.");
                var modified = DateTimeOffset.TryParse(resource["last_modified"]?.ToString() + "Z", out var at) ? at : (DateTimeOffset?)null;
                var tag = resource["hash"]?.ToString() is { Length: > 0 } hash ? new EntityTagHeaderValue("\"" + hash + "\"") : null;
                return Results.File(path, resource["mimetype"]?.ToString() ?? "application/octet-stream", lastModified: modified, entityTag: tag, enableRangeProcessing: true);
            case CatalogService.LiveUrlType:
                return await LiveAsync(http, tenant, resource, format, reader, options.Value, ct);
            default:
                return resource["url"]?.ToString() is { Length: > 0 } url && Uri.TryCreate(url, UriKind.Absolute, out _)
                    ? Results.Redirect(url)
                    : throw NgsiLdException.NotFound($"Resource {rid} has no file to download.");
        }
    }

    /// <summary>A live resource's entities at this moment, in its format or the one asked (<c>?format=csv|geojson|json</c>), streamed page by page.</summary>
    private static async Task<IResult> LiveAsync(HttpContext http, string? tenant, System.Text.Json.Nodes.JsonObject resource, string? format, IContextReader reader, CatalogOptions options, CancellationToken ct)
    {
        var chosen = (format ?? resource["format"]?.ToString() ?? "CSV").ToUpperInvariant();
        if (!LiveData.Formats.TryGetValue(chosen, out var kind)) throw NgsiLdException.BadRequest($"Live data is downloaded as csv, geojson or json, not '{format}'.");
        var call = LiveData.Call(http.Caller(), tenant, resource);
        var query = LiveData.Query(resource, options.LivePageSize);
        var first = await LiveData.FirstPageAsync(reader, call, query, ct);
        var pages = LiveData.PagesAsync(reader, call, query, first, ct);
        var fileName = Path.GetFileNameWithoutExtension(resource["url"]?.ToString() ?? "live") + "." + kind.Extension;
        http.Response.Headers.CacheControl = "no-store";
        return Results.Stream(body => chosen switch
        {
            "GEOJSON" => LiveData.WriteGeoJsonAsync(body, pages, ct),
            "JSON" => LiveData.WriteJsonAsync(body, pages, ct),
            _ => LiveData.WriteCsvAsync(body, query.Attrs, pages, ct),
        }, kind.MediaType + (chosen == "CSV" ? "; charset=utf-8" : ""), fileName);
    }

    private static Task UploadNew(HttpContext http, string id, CatalogService catalog, ResourceFiles files) =>
        CkanActionApi.RunAsync(http, "resource_create", new CkanActionApi.UploadBody(catalog, files, Raw: true), async (tenant, caller, input, upload, ct) =>
        {
            input["package_id"] = id;
            return await catalog.ResourceCreateAsync(tenant, caller, input, upload, ct);
        });

    private static Task UploadReplace(HttpContext http, string id, string rid, CatalogService catalog, ResourceFiles files) =>
        CkanActionApi.RunAsync(http, "resource_update", new CkanActionApi.UploadBody(catalog, files, Raw: true), async (tenant, caller, _, upload, ct) =>
            await catalog.ResourceFileReplaceAsync(tenant, caller, id, rid, upload!, ct));

    /// <summary>CKAN's errors as problem details, for the endpoints that answer files rather than CKAN's envelope.</summary>
    internal static async Task<T> AsProblem<T>(HttpContext http, Task<T> task)
    {
        try
        {
            return await task;
        }
        catch (CkanException error)
        {
            throw error.Status switch
            {
                StatusCodes.Status404NotFound => NgsiLdException.NotFound(error.Message),
                StatusCodes.Status403Forbidden => new NgsiLdException(http.Caller().IsAnonymous ? NgsiLdErrorType.Unauthorized : NgsiLdErrorType.Forbidden, error.Message),
                _ => NgsiLdException.BadRequest(error.Message),
            };
        }
    }
}
