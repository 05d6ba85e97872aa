using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CityOS.Catalog.Ckan;

/// <summary>
/// The URLs of resources the catalog serves itself: an uploaded file or a live download keeps only its file name in
/// <c>url</c>, and is shown, as CKAN shows it, at <c>{site}/dataset/{package_id}/resource/{id}/download/{file name}</c>.
/// </summary>
public static class ResourceUrls
{
    /// <summary>Whether the resource's file is served by the catalog (an upload, or live data from the broker).</summary>
    public static bool IsServed(JsonObject resource) => resource["url_type"]?.ToString() is CatalogService.UploadUrlType or CatalogService.LiveUrlType;

    /// <summary>The site's public address: CityOS:Catalog:SiteUrl, else the request's scheme, host and path base.</summary>
    public static string SiteUrl(HttpContext http)
    {
        var configured = http.RequestServices.GetRequiredService<IOptions<CatalogOptions>>().Value.SiteUrl;
        return configured is { Length: > 0 } ? configured.TrimEnd('/') : $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
    }

    public static string Download(string siteUrl, string packageId, string resourceId, string fileName) =>
        $"{siteUrl}/dataset/{packageId}/resource/{resourceId}/download/{Uri.EscapeDataString(fileName)}";

    /// <summary>Gives the served resources of an action's result (a resource, a dataset, a list or a search page of them) their download URLs.</summary>
    public static void Absolutize(JsonNode? node, string siteUrl)
    {
        switch (node)
        {
            case JsonArray array:
                foreach (var item in array) Absolutize(item, siteUrl);
                break;
            case JsonObject obj:
                if (obj["resources"] is JsonArray resources) Absolutize(resources, siteUrl);
                else if (obj["results"] is JsonArray results) Absolutize(results, siteUrl);
                else if (ServedFileName(obj) is { } fileName) obj["url"] = Download(siteUrl, obj["package_id"]!.ToString(), obj["id"]!.ToString(), fileName);
                break;
        }
    }

    /// <summary>The file name a served resource keeps in its url, which is shown as its download URL; null for any other resource.</summary>
    public static string? ServedFileName(JsonObject resource) =>
        IsServed(resource) && resource["url"]?.ToString() is { } url && !url.Contains("://", StringComparison.Ordinal) ? url : null;

    /// <summary>The boundary of a multipart/form-data request; null for any other body.</summary>
    public static string? GetMultipartBoundary(this HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? HeaderUtilities.RemoveQuotes(type.Boundary).Value
            : null;
}
