using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using CityOS.Context.Access;
using CityOS.Context.Geo;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Context.Storage;
using CityOS.Core.Security;

namespace CityOS.Context.Broker;

/// <summary>One entity selector (EntitySelector, 5.2.33): ids, an id pattern and a type selection, all optional.</summary>
public sealed record EntitySelector(IReadOnlyList<string>? Ids, string? IdPattern, string? Type);

/// <summary>A query in the client's terms, from GET /entities or the Query payload of POST /entityOperations/query.</summary>
public sealed class QueryRequest
{
    public IReadOnlyList<EntitySelector> Selectors { get; init; } = [];
    public IReadOnlyList<string>? Attrs { get; init; }
    public string? Q { get; init; }
    public GeoQuery? Geo { get; init; }
    public string? ScopeQ { get; init; }

    /// <summary>Whether "/" alone in <see cref="ScopeQ"/> selects the entities without a scope (the context API's extension, not HTTP's).</summary>
    public bool RootScope { get; init; }

    public int Limit { get; init; } = 20;
    public int Offset { get; init; }
    public bool Count { get; init; }

    /// <summary>The store's cursor of the previous page (<see cref="EntityQuery.After"/>); null from the start.</summary>
    public string? After { get; init; }

    /// <summary>orderBy (4.23, V1.9.1): the members to sort the result by, each ascending or descending; null keeps the broker's order.</summary>
    public IReadOnlyList<OrderKey>? OrderBy { get; init; }

    public bool IsEmpty => Selectors.Count == 0 && Attrs is null && Q is null && Geo is null && ScopeQ is null;
}

/// <summary>
/// Turns a <see cref="QueryRequest"/> into the store's <see cref="EntityQuery"/>, as data: expands every term under
/// the request's @context and parses q, id patterns, type selectors and scopeQ, with the caller's read scope.
/// Parsed q expressions and id patterns are cached by text, since dashboards repeat them.
/// </summary>
public sealed class EntityQueryBuilder
{
    private const int CacheLimit = 10_000;
    private readonly ConcurrentDictionary<string, QExpression> _qCache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Regex> _patternCache = new(StringComparer.Ordinal);

    public EntityQuery Build(QueryRequest request, ITermMapper terms) => Build(request, terms, EntityAccess.Everything);

    public EntityQuery Build(QueryRequest request, ITermMapper terms, EntityAccess access)
    {
        var selectors = request.Selectors.Select(s => new EntitySelection(s.Ids,
            s.IdPattern is null ? null : Pattern(s.IdPattern),
            s.Type is null ? null : TypeSelector.Parse(s.Type).Expand(terms.ExpandTerm))).ToList();
        var attrs = request.Attrs?.Select(terms.ExpandTerm).ToList();
        var q = request.Q is null ? null : Parse(request.Q).Expand(terms.ExpandTerm);
        var scope = request.ScopeQ is null ? null : ScopeQuery.Parse(request.ScopeQ, request.RootScope);
        var geo = request.Geo;
        return new EntityQuery
        {
            Entities = selectors,
            Attributes = attrs,
            Q = q,
            Scope = scope,
            Geo = geo is null ? null : new GeoFilter(geo, terms.ExpandTerm(geo.GeoProperty)),
            Readable = access.Scope(AccessAction.Read),
            Order = geo is { Georel: "near" } ? EntityOrder.Distance : EntityOrder.Insertion,
            // An ordered query sorts the whole result (up to EntityOrdering.Limit entities) and pages it afterwards.
            Limit = request.OrderBy is null ? request.Limit : EntityOrdering.Limit,
            Offset = request.OrderBy is null ? request.Offset : 0,
            Count = request.Count,
            After = request.OrderBy is null ? request.After : null,
        };
    }

    private QExpression Parse(string q)
    {
        if (_qCache.TryGetValue(q, out var cached)) return cached;
        var parsed = QExpression.Parse(q);
        if (_qCache.Count < CacheLimit) _qCache[q] = parsed;
        return parsed;
    }

    private Regex Pattern(string pattern)
    {
        if (_patternCache.TryGetValue(pattern, out var cached)) return cached;
        var regex = ClientRegex.Compile(pattern, "idPattern");
        if (_patternCache.Count < CacheLimit) _patternCache[pattern] = regex;
        return regex;
    }
}
