using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CityOS.NgsiV2;

/// <summary>
/// JSON answers as Orion gives them: <c>Content-Type: application/json</c> without a charset parameter (clients such as
/// ngsijs compare the media type exactly and take any other one for an invalid response).
/// </summary>
public static class V2Results
{
    public const string JsonType = "application/json";

    public static IResult Json(JsonNode body, int? statusCode = null) =>
        Results.Json(body, contentType: JsonType, statusCode: statusCode);
}
