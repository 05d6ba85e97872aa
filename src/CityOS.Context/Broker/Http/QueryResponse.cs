using System.Globalization;
using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
using CityOS.Context.Representation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace CityOS.Context.Broker.Http;

/// <summary>The response of a query: the page of entities, NGSILD-Results-Count, and Link headers to the next and previous pages.</summary>
internal static class QueryResponse
{
    public const string ResultsCountHeader = "NGSILD-Results-Count";

    public static async Task<IResult> CreateAsync(HttpRequest request, string? tenant, QueryRequest query, RenderOptions options,
        LdContext terms, ResponseMediaType mediaType, EntityBroker broker, Access.EntityAccess access, CancellationToken ct,
        int status = StatusCodes.Status200OK, string? entityMapLocation = null)
    {
        EntitiesApi.CheckGeometryProperty(options, mediaType);
        var page = await broker.QueryAsync(tenant, query, terms, access, ct);
        JsonNode body = mediaType == ResponseMediaType.GeoJson
            ? EntityRenderer.RenderFeatureCollection(page.Entities, options, EntitiesApi.GeometryProperty(request, terms), terms)
            : new JsonArray([.. (await RenderAsync(tenant, page.Entities, options, terms, broker, access, ct))]);
        var response = new NgsiLdResponse(body, terms, mediaType, status);
        if (entityMapLocation is not null) response.Headers[EntityMaps.EntityMapQueries.Header] = entityMapLocation;
        if (page.TotalCount is { } total) response.Headers[ResultsCountHeader] = total.ToString(CultureInfo.InvariantCulture);
        var more = page.TotalCount is { } count ? query.Offset + page.Entities.Count < count : page.Entities.Count == query.Limit;
        AddPageLinks(response, request, query, more);
        return response;
    }

    /// <summary>The page's entities (and linked entities); one that pick or omit leaves without a member is not listed.</summary>
    private static async Task<IEnumerable<JsonObject>> RenderAsync(string? tenant, IReadOnlyList<Model.Entity> entities, RenderOptions options,
        LdContext terms, EntityBroker broker, Access.EntityAccess access, CancellationToken ct)
    {
        var linked = await broker.LinkedAsync(tenant, entities, options, access, ct);
        return EntityRenderer.RenderAll(entities, options, terms, linked).Where(e => e.Count > 0);
    }

    /// <summary>Links to the previous page (unless this is the first) and to the next one (when more entities match).</summary>
    public static void AddPageLinks(NgsiLdResponse response, HttpRequest request, QueryRequest query, bool more) =>
        AddPageLinks(response, request, query.Offset, query.Limit, more);

    /// <summary>Links to the previous and next pages of a paged list (5.5.9, 6.3.9), typed as the response's media type.</summary>
    public static void AddPageLinks(NgsiLdResponse response, HttpRequest request, int offset, int limit, bool more)
    {
        if (limit <= 0) return;
        if (offset > 0) response.Links.Add(PageLink(request, Math.Max(0, offset - limit), limit, "prev", response.ContentType));
        if (more) response.Links.Add(PageLink(request, offset + limit, limit, "next", response.ContentType));
    }

    private static string PageLink(HttpRequest request, int offset, int limit, string rel, string mediaType)
    {
        // The request's parameters in name order, with the page's limit and offset; the collection without a trailing slash
        // (/entities/?type=A pages to /entities?limit=1&offset=1&type=A).
        var parameters = request.Query
            .Where(p => p.Key is not ("offset" or "limit" or "entityMap"))
            .Select(p => (p.Key, Value: p.Value.ToString()))
            .Append((Key: "limit", Value: limit.ToString(CultureInfo.InvariantCulture)))
            .Append((Key: "offset", Value: offset.ToString(CultureInfo.InvariantCulture)))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => QueryPart(p.Key) + "=" + QueryPart(p.Value));
        var path = (request.PathBase + request.Path).Value!.TrimEnd('/');
        return $"<{path}?{string.Join('&', parameters)}>; rel=\"{rel}\"; type=\"{mediaType}\"";
    }

    /// <summary>Percent-encodes what a query component cannot hold as data (RFC 3986 3.4): ':' '/' '@' '*' ',' stay as they are.</summary>
    private static string QueryPart(string text) => NgsiLdResponse.PercentEncode(text, "-._~!$'()*,;:@/?");
}
