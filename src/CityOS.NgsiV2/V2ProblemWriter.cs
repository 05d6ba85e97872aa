using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace CityOS.NgsiV2;

/// <summary>Marks the /v2 endpoints, whose errors leave as Orion's (<see cref="V2ProblemWriter"/>).</summary>
public sealed record V2SurfaceMetadata;

/// <summary>
/// The errors the host answers for a /v2 endpoint outside its handlers (401 of the caller policy, 403, 500, a too large
/// body) in Orion's form: application/json <c>{"error": "Unauthorized", "description": ...}</c>, the error being Orion's
/// name of the status (registered with <see cref="Core.Http.HttpEdge.AddCityOsProblemWriter{TWriter}"/>).
/// </summary>
public sealed class V2ProblemWriter : IProblemDetailsWriter
{
    /// <summary>A /v2 endpoint's error, or that of a /v2 path no endpoint of a block took (404, routing's 405).</summary>
    public bool CanWrite(ProblemDetailsContext context)
    {
        var metadata = context.HttpContext.GetEndpoint()?.Metadata;
        if (metadata?.GetMetadata<V2SurfaceMetadata>() is not null) return true;
        return metadata?.GetMetadata<Core.Http.ApiSurfaceMetadata>() is null && context.HttpContext.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal);
    }

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var response = context.HttpContext.Response;
        var status = context.ProblemDetails.Status ?? response.StatusCode;
        response.ContentType = V2Results.JsonType;
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("error", ErrorName(status));
        writer.WriteString("description", context.ProblemDetails.Detail ?? context.ProblemDetails.Title ?? ReasonPhrases.GetReasonPhrase(status));
        writer.WriteEndObject();
        await writer.FlushAsync(context.HttpContext.RequestAborted);
    }

    /// <summary>Orion's error name of a status (its words when it has them, else the reason phrase without spaces).</summary>
    public static string ErrorName(int status) => status switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        411 => "LengthRequired",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Unprocessable",
        500 => "InternalServerError",
        501 => "NotImplemented",
        503 => "ServiceUnavailable",
        _ => ReasonPhrases.GetReasonPhrase(status).Replace(" ", "", StringComparison.Ordinal),
    };
}
