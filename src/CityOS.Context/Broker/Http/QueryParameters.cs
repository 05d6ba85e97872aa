using System.Globalization;
using CityOS.Context.Geo;
using CityOS.Core;
using Microsoft.AspNetCore.Http;

namespace CityOS.Context.Broker.Http;

/// <summary>The query-string parameters of GET /entities (6.4.3.2) and the paging parameters of every query.</summary>
public static class QueryParameters
{
    public static QueryRequest FromQueryString(IQueryCollection query, ContextOptions settings)
    {
        var ids = List(query, "id");
        ids?.ForEach(EntityIds.Validate);
        var idPattern = Text(query, "idPattern");
        var type = Text(query, "type");
        if (type == "*" && query.ContainsKey("local") && !Flag(query, "local"))
        {
            throw NgsiLdException.BadRequest("type=* implies local=true; it cannot be combined with local=false (6.4.3.2).");
        }
        if (Text(query, "csf") is { } csf)
        {
            // The context source filter uses the query language (4.9); only its syntax matters to the local store.
            Query.QExpression.Parse(csf);
        }
        var request = new QueryRequest
        {
            Selectors = Selectors(ids, idPattern, type),
            Attrs = List(query, "attrs"),
            Q = Text(query, "q"),
            ScopeQ = Text(query, "scopeQ"),
            Geo = GeoQuery.FromQueryParameters(Text(query, "georel"), Text(query, "geometry"), Text(query, "coordinates"), Text(query, "geoproperty")),
            Limit = Limit(query, settings),
            Offset = Offset(query),
            Count = Flag(query, "count"),
            OrderBy = Text(query, "orderBy") is { } orderBy ? EntityOrdering.Parse(orderBy) : null,
        };
        CheckAttributeNames(request.Attrs);
        if (IsTooBroad(request) && !Flag(query, "local"))
        {
            throw NgsiLdException.BadRequest("Too broad query: give at least one of type, id, idPattern, attrs, q, a geo-query or scopeQ (or local=true).");
        }
        CheckLimit(request);
        return request;
    }

    /// <summary>Entity members that are not attributes, so not names attrs may list (4.5.1).</summary>
    private static readonly HashSet<string> EntityMembers = new(StringComparer.Ordinal) { "id", "type", "@id", "@type", "@context" };

    /// <summary>The system attributes of 6.3.11: they do not narrow a query on their own (5.7.2.4).</summary>
    private static readonly HashSet<string> SystemAttributes = new(StringComparer.Ordinal) { "createdAt", "modifiedAt", "deletedAt" };

    public static void CheckAttributeNames(IReadOnlyList<string>? attrs)
    {
        if (attrs?.FirstOrDefault(EntityMembers.Contains) is { } member)
        {
            throw NgsiLdException.BadRequest($"attrs lists '{member}', an entity member, not an attribute name.");
        }
    }

    /// <summary>
    /// Too broad (5.7.2.4): no selector, geo-query or scopeQ, and neither attrs nor q names at least one non-system attribute.
    /// </summary>
    private static bool IsTooBroad(QueryRequest request)
    {
        if (request.IsEmpty) return true;
        if (request.Selectors.Count > 0 || request.Geo is not null || request.ScopeQ is not null) return false;
        var attrsNarrow = request.Attrs?.Any(a => !SystemAttributes.Contains(a)) == true;
        var qNarrows = request.Q is { } q && Query.QExpression.Parse(q).AttributeNames.Any(a => !SystemAttributes.Contains(a));
        return !attrsNarrow && !qNarrows;
    }

    /// <summary>The one entity selector of a query given by ids, an id pattern and a type (none when none is given).</summary>
    public static IReadOnlyList<EntitySelector> Selectors(IReadOnlyList<string>? ids, string? idPattern, string? type) =>
        ids is null && idPattern is null && type is null ? [] : [new EntitySelector(ids, idPattern, type)];

    public static void CheckLimit(QueryRequest request)
    {
        if (request.Limit == 0 && !request.Count) throw NgsiLdException.BadRequest("limit=0 is only allowed together with count=true.");
    }

    public static int Limit(IQueryCollection query, ContextOptions settings)
    {
        var text = Text(query, "limit");
        if (text is null) return settings.DefaultLimit;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit)) throw NgsiLdException.BadRequest($"limit '{text}' is not a non-negative integer.");
        return Limit(limit, settings);
    }

    /// <summary>A page size asked for: at most <see cref="ContextOptions.MaxLimit"/>.</summary>
    public static int Limit(int limit, ContextOptions settings)
    {
        if (limit < 0) throw NgsiLdException.BadRequest($"limit {limit} is not a non-negative integer.");
        if (limit > settings.MaxLimit)
        {
            throw new NgsiLdException(NgsiLdErrorType.TooManyResults, $"limit {limit} is above the maximum of {settings.MaxLimit} entities per page; page with offset.");
        }
        return limit;
    }

    public static int Offset(IQueryCollection query)
    {
        var text = Text(query, "offset");
        if (text is null) return 0;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? offset
            : throw NgsiLdException.BadRequest($"offset '{text}' is not a non-negative integer.");
    }

    /// <summary>The parameters of Query Entities, GET /entities (Table 6.4.3.2-1 of V1.8.1 and the V1.9.1 additions).</summary>
    public static readonly string[] QueryEntitiesParameters =
    [
        "id", "type", "idPattern", "attrs", "pick", "omit", "q", "csf", "georel", "geometry", "coordinates", "geoproperty",
        "geometryProperty", "lang", "scopeQ", "options", "format", "limit", "offset", "count", "local", "via", "datasetId",
        "join", "joinLevel", "containedBy", "expandValues", "orderBy", "collation", "entityMap", "entityMapLifetime", "splitEntities",
    ];

    /// <summary>The parameters of Query Temporal Evolution of Entities, GET /temporal/entities (Table 6.18.3.2-1, V1.8.1 and V1.9.1).</summary>
    public static readonly string[] QueryTemporalParameters =
    [
        "id", "type", "idPattern", "attrs", "pick", "omit", "q", "csf", "georel", "geometry", "coordinates", "geoproperty",
        "timeproperty", "timerel", "timeAt", "endTimeAt", "endTime", "lastN", "aggrMethods", "aggrPeriodDuration", "lang", "scopeQ",
        "options", "format", "limit", "offset", "count", "local", "via", "datasetId", "expandValues", "orderBy", "collation",
        "entityMap", "entityMapLifetime", "splitEntities",
    ];

    /// <summary>The parameters of Purge Entities, DELETE /entities (Table 6.4.3.3-1, V1.9.1).</summary>
    public static readonly string[] PurgeEntitiesParameters =
    [
        "id", "type", "idPattern", "attrs", "q", "csf", "georel", "geometry", "coordinates", "geoproperty", "scopeQ", "local", "via",
        "keep", "drop",
    ];

    /// <summary>A query parameter the operation does not define is InvalidRequest (6.3.20).</summary>
    public static void AllowOnly(IQueryCollection query, params string[] names)
    {
        foreach (var key in query.Keys)
        {
            if (Array.IndexOf(names, key) < 0)
            {
                throw NgsiLdException.InvalidRequest($"The query parameter '{key}' is not defined for this operation (it takes {string.Join(", ", names)}).");
            }
        }
    }

    public static bool Flag(IQueryCollection query, string name)
    {
        var text = Text(query, name);
        return text switch
        {
            null => false,
            "true" => true,
            "false" => false,
            _ => throw NgsiLdException.BadRequest($"{name} must be true or false, not '{text}'."),
        };
    }

    public static HashSet<string> Options(IQueryCollection query) =>
        new((List(query, "options") ?? []), StringComparer.Ordinal);

    public static string? Text(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out var values)) return null;
        var text = values.ToString();
        return text.Length == 0 ? throw NgsiLdException.BadRequest($"The query parameter {name} is empty.") : text;
    }

    public static List<string>? List(IQueryCollection query, string name) =>
        Text(query, name)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
}
