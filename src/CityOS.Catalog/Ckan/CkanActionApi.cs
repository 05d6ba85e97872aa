using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using CityOS.Catalog.Files;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Catalog.Ckan;

/// <summary>
/// The CKAN Action API v3 (<c>/api/3/action/{action}</c>): parameters from the query string (GET) or a JSON or form body
/// (POST), answers in CKAN's envelope <c>{"help", "success", "result"}</c> or <c>{"help", "success": false, "error"}</c>
/// with CKAN's status codes. The tenant is the request's NGSILD-Tenant.
/// </summary>
public static class CkanActionApi
{
    public const string Prefix = "/api/3/action";

    private static readonly string[] ReadMethods = ["GET", "POST"];

    public static IEndpointRouteBuilder MapCkanActionApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup(Prefix).WithTags("Catalog (CKAN API)").WithSurface(ApiSurface.Json).RequireAuthorization(CallerAuthentication.CallerPolicy);
        api.MapMethods("/package_list", ReadMethods, PackageList).WithName("ckan_package_list").WithSummary("Names of the public datasets");
        api.MapMethods("/package_show", ReadMethods, PackageShow).WithName("ckan_package_show").WithSummary("One dataset by id or name");
        api.MapMethods("/package_search", ReadMethods, PackageSearch).WithName("ckan_package_search").WithSummary("Search datasets (q, fq, rows, start, sort, facet.field)");
        api.MapPost("/package_create", PackageCreate).WithName("ckan_package_create").WithSummary("Create a dataset");
        api.MapPost("/package_update", PackageUpdate).WithName("ckan_package_update").WithSummary("Replace a dataset's fields");
        api.MapPost("/package_patch", PackagePatch).WithName("ckan_package_patch").WithSummary("Change some fields of a dataset");
        api.MapPost("/package_delete", PackageDelete).WithName("ckan_package_delete").WithSummary("Delete a dataset");
        api.MapPost("/resource_create", ResourceCreate).WithName("ckan_resource_create").WithSummary("Add a resource to a dataset");
        api.MapMethods("/resource_show", ReadMethods, ResourceShow).WithName("ckan_resource_show").WithSummary("One resource");
        api.MapPost("/resource_update", ResourceUpdate).WithName("ckan_resource_update").WithSummary("Replace a resource");
        api.MapPost("/resource_delete", ResourceDelete).WithName("ckan_resource_delete").WithSummary("Delete a resource");
        api.MapPost("/organization_create", OrganizationCreate).WithName("ckan_organization_create").WithSummary("Create an organization");
        api.MapMethods("/organization_show", ReadMethods, OrganizationShow).WithName("ckan_organization_show").WithSummary("One organization");
        api.MapMethods("/organization_list", ReadMethods, OrganizationList).WithName("ckan_organization_list").WithSummary("The organizations");
        api.MapMethods("/group_list", ReadMethods, GroupList).WithName("ckan_group_list").WithSummary("The groups: none, datasets are grouped by organization");
        api.MapMethods("/tag_list", ReadMethods, TagList).WithName("ckan_tag_list").WithSummary("Tags of public datasets");
        api.MapMethods("/license_list", ReadMethods, LicenseList).WithName("ckan_license_list").WithSummary("The licences datasets may name");
        api.MapMethods("/status_show", ReadMethods, StatusShow).WithName("ckan_status_show").WithSummary("Site and version");
        api.MapMethods("/site_read", ReadMethods, SiteRead).WithName("ckan_site_read").WithSummary("Whether the site may be read");
        api.MapMethods("/{action}", ReadMethods, UnknownAction).WithName("ckan_unknown_action").WithSummary("Any other action: 400");
        return routes;
    }

    private static Task PackageList(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "package_list", async (tenant, _, input, ct) => await catalog.PackageListAsync(tenant, input, ct));

    private static Task PackageShow(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "package_show", async (tenant, caller, input, ct) => await catalog.PackageShowAsync(tenant, caller, input, ct));

    private static Task PackageSearch(HttpContext http, CatalogService catalog) =>
        RunResultAsync(http, "package_search", null, async (tenant, caller, input, _, ct) => await catalog.PackageSearchAsync(tenant, caller, input, ct));

    private static Task PackageCreate(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "package_create", async (tenant, caller, input, ct) => await catalog.PackageCreateAsync(tenant, caller, input, ct));

    private static Task PackageUpdate(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "package_update", async (tenant, caller, input, ct) => await catalog.PackageUpdateAsync(tenant, caller, input, patch: false, ct));

    private static Task PackagePatch(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "package_patch", async (tenant, caller, input, ct) => await catalog.PackageUpdateAsync(tenant, caller, input, patch: true, ct));

    private static Task PackageDelete(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "package_delete", async (tenant, caller, input, ct) =>
        {
            await catalog.PackageDeleteAsync(tenant, caller, input, ct);
            return null;
        });

    private static Task ResourceCreate(HttpContext http, CatalogService catalog, ResourceFiles files) =>
        RunAsync(http, "resource_create", new UploadBody(catalog, files, Raw: false), async (tenant, caller, input, upload, ct) => await catalog.ResourceCreateAsync(tenant, caller, input, upload, ct));

    private static Task ResourceShow(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "resource_show", async (tenant, caller, input, ct) => await catalog.ResourceShowAsync(tenant, caller, input, ct));

    private static Task ResourceUpdate(HttpContext http, CatalogService catalog, ResourceFiles files) =>
        RunAsync(http, "resource_update", new UploadBody(catalog, files, Raw: false), async (tenant, caller, input, upload, ct) => await catalog.ResourceUpdateAsync(tenant, caller, input, upload, ct));

    private static Task ResourceDelete(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "resource_delete", async (tenant, caller, input, ct) =>
        {
            await catalog.ResourceDeleteAsync(tenant, caller, input, ct);
            return null;
        });

    private static Task OrganizationCreate(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "organization_create", async (tenant, caller, input, ct) => await catalog.OrganizationCreateAsync(tenant, caller, input, ct));

    private static Task OrganizationShow(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "organization_show", async (tenant, _, input, ct) => await catalog.OrganizationShowAsync(tenant, input, ct));

    private static Task OrganizationList(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "organization_list", async (tenant, _, input, ct) => await catalog.OrganizationListAsync(tenant, input, ct));

    private static Task TagList(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "tag_list", async (tenant, _, input, ct) => await catalog.TagListAsync(tenant, input, ct));

    private static Task GroupList(HttpContext http, CancellationToken _) =>
        RunAsync(http, "group_list", (_, _, _, _) => Task.FromResult<JsonNode?>(new JsonArray()));

    private static Task LicenseList(HttpContext http, CancellationToken _) =>
        RunAsync(http, "license_list", (_, _, _, _) => Task.FromResult<JsonNode?>(CatalogService.LicenseList()));

    private static Task StatusShow(HttpContext http, CatalogService catalog) =>
        RunAsync(http, "status_show", (_, _, _, _) => Task.FromResult<JsonNode?>(catalog.StatusShow()));

    private static Task SiteRead(HttpContext http, CancellationToken _) =>
        RunAsync(http, "site_read", (_, _, _, _) => Task.FromResult<JsonNode?>(JsonValue.Create(true)));

    private static Task UnknownAction(HttpContext http, string action) =>
        RunAsync(http, action, (_, _, _, _) => throw CkanException.UnknownAction(action));

    private delegate Task<JsonNode?> Action(string? tenant, CallerIdentity caller, JsonObject input, CancellationToken ct);

    internal delegate Task<JsonNode?> UploadAction(string? tenant, CallerIdentity caller, JsonObject input, StagedFile? upload, CancellationToken ct);

    /// <summary>How an action takes a file: a multipart <c>upload</c> field, or (<paramref name="Raw"/>) the whole request body.</summary>
    internal sealed record UploadBody(CatalogService Catalog, ResourceFiles Files, bool Raw);

    private delegate Task<ICkanResult> ResultAction(string? tenant, CallerIdentity caller, JsonObject input, StagedFile? upload, CancellationToken ct);

    /// <summary>A JSON result: the served resources in it get their download URLs.</summary>
    private sealed record NodeResult(JsonNode? Node) : ICkanResult
    {
        public void WriteTo(Utf8JsonWriter writer, string siteUrl)
        {
            ResourceUrls.Absolutize(Node, siteUrl);
            if (Node is null) writer.WriteNullValue();
            else Node.WriteTo(writer);
        }
    }

    private static Task RunAsync(HttpContext http, string name, Action action) =>
        RunResultAsync(http, name, null, async (tenant, caller, input, _, ct) => new NodeResult(await action(tenant, caller, input, ct)));

    /// <summary>Runs an action and answers in CKAN's envelope; with <paramref name="uploads"/> the action may receive a file, streamed to a staging file.</summary>
    internal static Task RunAsync(HttpContext http, string name, UploadBody? uploads, UploadAction action) =>
        RunResultAsync(http, name, uploads, async (tenant, caller, input, upload, ct) => new NodeResult(await action(tenant, caller, input, upload, ct)));

    private static async Task RunResultAsync(HttpContext http, string name, UploadBody? uploads, ResultAction action)
    {
        var help = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{Prefix}/help_show?name={Uri.EscapeDataString(name)}";
        ICkanResult? result = null;
        JsonObject? envelope = null;
        int status;
        try
        {
            var tenant = Tenancy.FromRequest(http.Request);
            var (input, upload) = await ReadInputAsync(http, tenant, uploads, http.RequestAborted);
            using (upload)
            {
                result = await action(tenant, http.Caller(), input, upload, http.RequestAborted);
            }
            status = StatusCodes.Status200OK;
        }
        catch (FileTooLargeException error)
        {
            envelope = new JsonObject { ["help"] = help, ["success"] = false, ["error"] = CkanException.TooLarge(error.MaxBytes).ToJson() };
            status = StatusCodes.Status413PayloadTooLarge;
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            envelope = new JsonObject { ["help"] = help, ["success"] = false, ["error"] = CkanException.TooLarge(http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0).ToJson() };
            status = StatusCodes.Status413PayloadTooLarge;
        }
        catch (CkanException error)
        {
            envelope = new JsonObject { ["help"] = help, ["success"] = false, ["error"] = error.ToJson() };
            status = error.Status;
        }
        catch (NgsiLdException error) when (error.Type == NgsiLdErrorType.BadRequestData)
        {
            envelope = new JsonObject { ["help"] = help, ["success"] = false, ["error"] = new JsonObject { ["__type"] = "Bad Request", ["message"] = error.Detail } };
            status = StatusCodes.Status400BadRequest;
        }
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json;charset=utf-8";
        await using var writer = new Utf8JsonWriter(http.Response.BodyWriter, PackageJson.WriterOptions);
        if (envelope is not null) envelope.WriteTo(writer);
        else
        {
            writer.WriteStartObject();
            writer.WriteString("help", help);
            writer.WriteBoolean("success", true);
            writer.WritePropertyName("result");
            result!.WriteTo(writer, ResourceUrls.SiteUrl(http));
            writer.WriteEndObject();
        }
        await writer.FlushAsync(http.RequestAborted);
    }

    /// <summary>
    /// The action's parameters: the query string, and a POST's JSON, form or multipart body over it. A multipart body's
    /// <c>upload</c> file (or, for a raw upload, the whole body) is streamed to a staging file when the action takes one.
    /// </summary>
    private static async Task<(JsonObject Input, StagedFile? Upload)> ReadInputAsync(HttpContext http, string? tenant, UploadBody? uploads, CancellationToken ct)
    {
        var request = http.Request;
        var input = new JsonObject();
        foreach (var (key, values) in request.Query) input[key] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray([.. values.Select(v => JsonValue.Create(v))]);
        if (uploads is not null && (uploads.Raw || request.HasFormContentType))
        {
            uploads.Catalog.DemandUploader(http.Caller());
            var limit = uploads.Catalog.UploadLimit(tenant);
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit + MultipartOverheadBytes;
            if (uploads.Raw)
            {
                var fileName = input["filename"]?.ToString() ?? (ContentDispositionHeaderValue.TryParse(request.Headers.ContentDisposition.ToString(), out var disposition)
                    ? HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value : null);
                return (input, await uploads.Files.StageAsync(tenant, request.Body, limit, fileName, request.ContentType, ct));
            }
            if (request.GetMultipartBoundary() is { Length: > 0 } boundary) return await ReadMultipartAsync(request, boundary, tenant, input, uploads, limit, ct);
        }
        if (!HttpMethods.IsPost(request.Method)) return (input, null);
        if (request.GetMultipartBoundary() is { Length: > 0 } fields) return await ReadMultipartAsync(request, fields, tenant, input, null, 0, ct);
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            foreach (var (key, values) in form) input[key] = values.ToString();
            return (input, null);
        }
        if (request.ContentLength == 0) return (input, null);
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            throw CkanException.Invalid("__body", "Could not parse the request body as JSON");
        }
        if (body is null) return (input, null);
        if (body is not JsonObject dictionary) throw CkanException.Invalid("__body", "The request body must be a JSON dictionary");
        foreach (var (key, value) in dictionary.ToArray())
        {
            dictionary.Remove(key);
            input[key] = value;
        }
        return (input, null);
    }

    /// <summary>Room for a multipart body's boundaries and fields beside the file it carries.</summary>
    private const long MultipartOverheadBytes = 1024 * 1024;

    private const int MaxFieldBytes = 256 * 1024;

    /// <summary>A multipart/form-data body read section by section: fields as strings, the <c>upload</c> file streamed to a staging file (other files are skipped).</summary>
    private static async Task<(JsonObject, StagedFile?)> ReadMultipartAsync(HttpRequest request, string boundary, string? tenant, JsonObject input, UploadBody? uploads, long limit, CancellationToken ct)
    {
        var reader = new MultipartReader(boundary, request.Body);
        StagedFile? upload = null;
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                // IsFormDisposition() is false for a file's part (it has a file name): only the disposition type is checked here.
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)) continue;
                var key = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition())
                {
                    if (uploads is null || key != "upload" || upload is not null)
                    {
                        await section.Body.CopyToAsync(Stream.Null, ct);
                        continue;
                    }
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    upload = await uploads.Files.StageAsync(tenant, section.Body, limit, fileName, section.ContentType, ct);
                    continue;
                }
                var value = await ReadFieldAsync(section.Body, ct);
                input[key] = value;
            }
            return (input, upload);
        }
        catch
        {
            upload?.Dispose();
            throw;
        }
    }

    private static async Task<string> ReadFieldAsync(Stream body, CancellationToken ct)
    {
        using var reader = new StreamReader(body, System.Text.Encoding.UTF8);
        var buffer = new char[4096];
        var text = new System.Text.StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, ct)) > 0)
        {
            text.Append(buffer, 0, read);
            if (text.Length > MaxFieldBytes) throw CkanException.Invalid("__body", $"A form field is longer than {MaxFieldBytes} characters");
        }
        return text.ToString();
    }
}
