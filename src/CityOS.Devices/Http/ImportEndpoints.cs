using System.Text;
using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Context;
using CityOS.Core.Http;
using CityOS.Core.Security;
using CityOS.Devices.Import;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CityOS.Devices.Http;

/// <summary>
/// One-off imports of CSV, JSON (array or NDJSON) and GeoJSON files into entities: <c>POST /import/v1/files</c> with the
/// file as the body (the mapping in the query) or as multipart (a "mapping" part of JSON, then a "file" part), in the tenant
/// of NGSILD-Tenant (or fiware-service), written with the caller's grants; <c>GET /import/v1/jobs/{id}</c> shows progress.
/// </summary>
public static class ImportEndpoints
{
    public const string Root = "/import/v1";
    private const int MaxMappingBytes = 64 * 1024;

    public static RouteGroupBuilder MapImportEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Root).WithTags("Import").RequireAuthorization(CallerAuthentication.CallerPolicy);
        api.MapPost("/files", ImportFile).WithName("ImportFile")
            .WithSummary("Imports a CSV, JSON/NDJSON or GeoJSON file into entities (type, id, attr=column:name:Type:unit, lat, lon, dryRun); Prefer: respond-async answers 202 with the job.");
        api.MapGet("/jobs", ListJobs).WithName("ImportJobs").WithSummary("The imports of the tenant, running and recent, with their progress.");
        api.MapGet("/jobs/{id}", GetJob).WithName("ImportJob").WithSummary("One import: its progress (bytes, rows read, created, updated, rejected) and report.");
        app.MapSourceEndpoints();
        return api;
    }

    public static async Task<IResult> ImportFile(HttpContext context, FileImports imports, IOptions<ImportOptions> options, IOptions<SecurityOptions> security,
        string? format, bool? dryRun, CancellationToken ct)
    {
        var call = Call(context, security);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = options.Value.MaxFileBytes;
        var request = context.Request;
        var async = request.Headers["Prefer"].ToString().Contains("respond-async", StringComparison.OrdinalIgnoreCase);
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var media) && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value
                ?? throw NgsiLdException.BadRequest("The multipart body names no boundary.");
            var reader = new MultipartReader(boundary, request.Body);
            ImportMapping? mapping = null;
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                var disposition = section.GetContentDispositionHeader();
                var name = HeaderUtilities.RemoveQuotes(disposition?.Name ?? default).Value;
                if (name == "mapping")
                {
                    mapping = ImportMapping.FromJson(await ReadSmallAsync(section.Body, ct));
                }
                else if (name == "file")
                {
                    mapping ??= MappingFromQuery(request);
                    var fileName = HeaderUtilities.RemoveQuotes(disposition?.FileName ?? default).Value;
                    var fileFormat = ImportSources.Format(format, section.ContentType, fileName);
                    return await RunAsync(context, imports, call, section.Body, fileFormat, mapping, dryRun ?? false, null, async, ct);
                }
            }
            throw NgsiLdException.BadRequest("The multipart body has no \"file\" part (a \"mapping\" part, if any, comes before it).");
        }
        var queryMapping = MappingFromQuery(request);
        if (request.ContentLength == 0) throw NgsiLdException.BadRequest("The body is empty: send the file as the body.");
        return await RunAsync(context, imports, call, request.Body, ImportSources.Format(format, request.ContentType, null), queryMapping, dryRun ?? false,
            request.ContentLength, async, ct);
    }

    public static IResult ListJobs(HttpContext context, ImportJobs jobs, IOptions<SecurityOptions> security)
    {
        var call = Call(context, security);
        return TypedResults.Ok(new JsonArray([.. jobs.List(call.Tenant).Select(j => (JsonNode)j.ToJson())]));
    }

    public static IResult GetJob(HttpContext context, ImportJobs jobs, IOptions<SecurityOptions> security, string id)
    {
        var call = Call(context, security);
        return TypedResults.Ok(jobs.Find(call.Tenant, id).ToJson());
    }

    private static async Task<IResult> RunAsync(HttpContext context, FileImports imports, ContextCall call, Stream body, ImportFormat format, ImportMapping mapping,
        bool dryRun, long? length, bool async, CancellationToken ct)
    {
        if (async)
        {
            var started = await imports.StartAsync(call, body, format, mapping, dryRun, length, ct);
            return TypedResults.Accepted($"{Root}/jobs/{started.Id}", started.ToJson());
        }
        var job = await imports.RunAsync(call, body, format, mapping, dryRun, length, ct);
        context.Response.Headers.Location = $"{Root}/jobs/{job.Id}";
        if (job.Progress.Failure is null) return TypedResults.Ok(job.ToJson());
        // The file stopped being readable (or the broker refused the import): the answer says where, and what was written before.
        var error = job.Progress.FailureKind is { } kind
            ? new ContextException(kind, job.Progress.Failure).ToNgsiLdException()
            : NgsiLdException.BadRequest("The file could not be imported: " + job.Progress.Failure);
        var problem = job.ToJson();
        problem["type"] = NgsiLdErrors.TypeUri(error.Type);
        problem["title"] = error.Title;
        problem["status"] = error.Status;
        problem["detail"] = error.Detail;
        return TypedResults.Json(problem, statusCode: error.Status, contentType: "application/problem+json");
    }

    private static ImportMapping MappingFromQuery(HttpRequest request) =>
        ImportMapping.FromParameters(name => request.Query.TryGetValue(name, out var v) ? v.ToString() : null, name => [.. request.Query[name].OfType<string>()]);

    /// <summary>The call's tenant (NGSILD-Tenant, or fiware-service as the IoT Agents name it) and caller; with security on, a caller with a token.</summary>
    public static ContextCall Call(HttpContext context, IOptions<SecurityOptions> security)
    {
        var request = context.Request;
        var tenant = request.Headers.ContainsKey(Tenancy.HeaderName) ? Tenancy.FromRequest(request)
            : request.Headers[IotAgentHttp.ServiceHeader].ToString() is { Length: > 0 } service ? Tenancy.Normalize(service.Trim()) : null;
        var caller = context.Caller();
        if (security.Value.Enabled && caller.IsAnonymous)
        {
            throw new NgsiLdException(NgsiLdErrorType.Unauthorized, "Imports need a bearer token (Authorization: Bearer <access token>).");
        }
        return new ContextCall(caller, tenant);
    }

    private static async Task<string> ReadSmallAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxMappingBytes) throw NgsiLdException.BadRequest($"The mapping is larger than {MaxMappingBytes} bytes.");
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
