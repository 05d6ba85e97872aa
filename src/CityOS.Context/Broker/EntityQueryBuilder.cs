using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using CityOS.Context.Access;
using CityOS.Context.Geo;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Context.Storage;
using CityOS.Core;
using NetTopologySuite.Geometries;

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
    public int Limit { get; init; } = 20;
    public int Offset { get; init; }
    public bool Count { get; init; }

    public bool IsEmpty => Selectors.Count == 0 && Attrs is null && Q is null && Geo is null && ScopeQ is null;
}

/// <summary>
/// Turns a <see cref="QueryRequest"/> into the store's <see cref="EntityQuery"/>: expands every
/// term under the request's @context, derives the index prefilters, and composes the exact predicate.
/// Parsed q expressions and id patterns are cached by text, since dashboards repeat them. For a caller
/// with restricted read grants, every condition is evaluated on the part of the entity it may read, so
/// that neither the results nor the count reveal what it may not see.
/// </summary>
public sealed class EntityQueryBuilder
{
    private const int CacheLimit = 10_000;
    private readonly ConcurrentDictionary<string, QExpression> _qCache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Regex> _patternCache = new(StringComparer.Ordinal);

    public EntityQuery Build(QueryRequest request, ITermMapper terms) => Build(request, terms, EntityAccess.Everything);

    public EntityQuery Build(QueryRequest request, ITermMapper terms, EntityAccess access)
    {
        var selectors = request.Selectors.Select(s => CompiledSelector.From(s, terms, Pattern)).ToList();
        var attrs = request.Attrs?.Select(terms.ExpandTerm).ToList();
        var q = request.Q is null ? null : Parse(request.Q).Expand(terms.ExpandTerm);
        var scope = request.ScopeQ is null ? null : ScopeQuery.Parse(request.ScopeQ);
        var geo = request.Geo;
        var geoProperty = geo is null ? null : terms.ExpandTerm(geo.GeoProperty);

        var restricted = !access.IsUnrestricted(Core.Security.AccessAction.Read);

        bool Predicate(Entity stored)
        {
            var entity = restricted ? access.Visible(stored) : stored;
            if (entity is null) return false;
            if (selectors.Count > 0 && !selectors.Any(s => s.Matches(entity))) return false;
            if (attrs is not null && !attrs.Any(entity.Attributes.ContainsKey)) return false;
            if (q is not null && !q.Matches(entity)) return false;
            if (scope is not null && !scope.Matches(entity.Scopes)) return false;
            if (geo is not null && !GeoMatches(entity, geoProperty!, geo)) return false;
            return true;
        }

        return new EntityQuery
        {
            Ids = selectors.Count == 1 ? selectors[0].Ids : null,
            TypeAnyOf = selectors.Count > 0 && selectors.All(s => s.TypeAnyOf is not null) ? selectors.SelectMany(s => s.TypeAnyOf!).Distinct().ToList() : null,
            HasAnyAttribute = attrs,
            GeoPropertyIri = geoProperty,
            GeoEnvelope = geo?.SearchEnvelope,
            ValueFilters = q is null ? [] : ValueFilters(q),
            Predicate = Predicate,
            OrderBy = geo is { Georel: "near" } ? entity => NearestDistance(entity, geoProperty!, geo) : null,
            NearPoint = geo is { Georel: "near", Geometry: Point point } ? point.Coordinate : null,
            Limit = request.Limit,
            Offset = request.Offset,
            Count = request.Count,
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

    private static IReadOnlyList<ValueFilter> ValueFilters(QExpression q) =>
        IndexFilters.Combine(q.ConjunctiveTerms.Select(IndexFilters.ToValueFilter).OfType<ValueFilter>());

    private static IEnumerable<Geometry> Geometries(Entity entity, string geoProperty)
    {
        if (!entity.Attributes.TryGetValue(geoProperty, out var instances)) yield break;
        foreach (var instance in instances)
        {
            if (instance.Kind == AttributeKind.GeoProperty && instance.Value is not null) yield return GeoJsonReader.Read(instance.Value);
        }
    }

    private static bool GeoMatches(Entity entity, string geoProperty, GeoQuery geo) =>
        Geometries(entity, geoProperty).Any(geo.Matches);

    private static double NearestDistance(Entity entity, string geoProperty, GeoQuery geo) =>
        Geometries(entity, geoProperty).Select(geo.DistanceMetres).DefaultIfEmpty(double.MaxValue).Min();

    private sealed class CompiledSelector
    {
        public IReadOnlyList<string>? Ids { get; private init; }
        private HashSet<string>? _idSet;
        private Regex? _pattern;
        private TypeSelector? _type;

        public IReadOnlyList<string>? TypeAnyOf => _type?.AnyOf;

        public static CompiledSelector From(EntitySelector selector, ITermMapper terms, Func<string, Regex> pattern) => new()
        {
            Ids = selector.Ids,
            _idSet = selector.Ids is null ? null : new HashSet<string>(selector.Ids, StringComparer.Ordinal),
            _pattern = selector.IdPattern is null ? null : pattern(selector.IdPattern),
            _type = selector.Type is null ? null : TypeSelector.Parse(selector.Type).Expand(terms.ExpandTerm),
        };

        public bool Matches(Entity entity)
        {
            if (_idSet is not null && !_idSet.Contains(entity.Id)) return false;
            if (_pattern is not null && !_pattern.IsMatch(entity.Id)) return false;
            return _type is null || _type.Matches(entity.Types);
        }
    }
}
