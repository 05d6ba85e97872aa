using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Context;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Http;

namespace CityOS.NgsiV2;

/// <summary>What a /v2 request says besides its route: tenant (Fiware-Service), options, and its JSON body.</summary>
public static class V2Request
{
    public const string ServiceHeader = "Fiware-Service";
    public const string ServicePathHeader = "Fiware-ServicePath";
    public const string CorrelatorHeader = "Fiware-Correlator";
    public const string TotalCountHeader = "Fiware-Total-Count";
    public const int MaxServiceLength = 50;

    /// <summary>The context call of the request: its caller, and the tenant Fiware-Service names (lower-cased as Orion does).</summary>
    public static ContextCall Call(HttpContext http) => new(http.Caller(), Tenant(http.Request));

    public static string? Tenant(HttpRequest request)
    {
        var service = request.Headers[ServiceHeader].ToString();
        if (service.Length == 0) return null;
        if (service.Length > MaxServiceLength || !service.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw V2Exception.BadRequest("bad character in tenant name");
        }
        try
        {
            return Tenancy.Normalize(service.ToLowerInvariant());
        }
        catch (NgsiLdException)
        {
            throw V2Exception.BadRequest("bad character in tenant name");
        }
    }

    /// <summary>The service paths a query selects (Fiware-ServicePath, "/#" when absent).</summary>
    public static V2Paths QueryPaths(HttpRequest request) => V2Paths.Parse(request.Headers[ServicePathHeader].ToString(), write: false);

    /// <summary>The one service path a write is made in (Fiware-ServicePath, "/" when absent).</summary>
    public static V2Paths WritePath(HttpRequest request) => V2Paths.Parse(request.Headers[ServicePathHeader].ToString(), write: true);

    /// <summary>The values of the options parameter; an unknown one is Orion's BadRequest.</summary>
    public static HashSet<string> Options(HttpRequest request, params string[] allowed)
    {
        var options = V2Syntax.List(request.Query["options"].ToString()) ?? [];
        foreach (var option in options)
        {
            if (!allowed.Contains(option)) throw V2Exception.BadRequest("Invalid value for URI param /options/");
        }
        if (options.Contains("keyValues") && options.Contains("values")) throw V2Exception.BadRequest("Invalid value for URI param /options/");
        return [.. options];
    }

    /// <summary>The JSON object of the body: 415 unless application/json, Orion's ParseError when it does not parse.</summary>
    public static async Task<JsonObject> ObjectAsync(HttpRequest request, CancellationToken ct) =>
        await BodyAsync(request, ct) as JsonObject ?? throw V2Exception.ParseError();

    public static async Task<JsonNode?> BodyAsync(HttpRequest request, CancellationToken ct)
    {
        var contentType = request.ContentType;
        if (contentType is null || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new V2Exception(415, "UnsupportedMediaType", "not supported content type: " + (contentType ?? "none"));
        }
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            throw V2Exception.ParseError();
        }
    }

    /// <summary>limit (1 to 1000, 20 when absent) and offset as Orion checks them.</summary>
    public static (int Limit, int Offset) Paging(HttpRequest request)
    {
        var limit = 20;
        var offset = 0;
        var limitText = request.Query["limit"].ToString();
        if (limitText.Length > 0)
        {
            if (!int.TryParse(limitText, out limit) || limit < 0) throw V2Exception.BadRequest($"Bad pagination limit: /{limitText}/ [must be a decimal number]");
            if (limit == 0) throw V2Exception.BadRequest($"Bad pagination limit: /{limitText}/ [a value of ZERO is unacceptable]");
            if (limit > 1000) throw V2Exception.BadRequest($"Bad pagination limit: /{limitText}/ [max: 1000]");
        }
        var offsetText = request.Query["offset"].ToString();
        if (offsetText.Length > 0 && (!int.TryParse(offsetText, out offset) || offset < 0))
        {
            throw V2Exception.BadRequest($"Bad pagination offset: /{offsetText}/ [must be a decimal number]");
        }
        return (limit, offset);
    }
}
