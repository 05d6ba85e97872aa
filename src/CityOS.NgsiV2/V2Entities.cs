using System.Text.Json.Nodes;
using CityOS.Core.Context;

namespace CityOS.NgsiV2;

/// <summary>One selection of entities of a v2 query (an element of op/query's "entities", or the list's id/idPattern/type).</summary>
public sealed record V2Selector(IReadOnlyList<string>? Ids, string? IdPattern, string? Type);

/// <summary>A v2 query: selectors (any may match), q/mq, geo, paging, count and orderBy, in the service paths given.</summary>
public sealed record V2Query(IReadOnlyList<V2Selector> Selectors, string? Q, ContextGeoQuery? Geo, int Limit, int Offset, bool Count, string? OrderBy)
{
    public V2Paths Paths { get; init; } = V2Paths.Everything;
}

/// <summary>
/// The NGSI-v2 operations on the broker's data, through <see cref="IContextReader"/> and <see cref="IContextWriter"/> only:
/// entities in and out go through <see cref="V2Mapping"/>, errors leave as Orion's (<see cref="V2Exception"/>).
/// </summary>
public sealed class V2Entities(IContextReader reader, IContextWriter writer)
{
    private const int Page = 1000;

    /// <summary>The entity (NGSI-LD form) of a v2 id in one of the service paths, checked against the type when one is given.</summary>
    public async Task<JsonObject> RetrieveLdAsync(ContextCall call, string id, string? type, V2Paths paths, CancellationToken ct)
    {
        V2Syntax.CheckName(id, "entity id");
        var entity = await Run(() => reader.RetrieveAsync(call, V2Mapping.ToLdId(id), null, ct));
        if (type is not null && V2Mapping.EntityType(entity) != type) throw V2Exception.EntityNotFound();
        if (!paths.Holds(V2Paths.Of(entity))) throw V2Exception.EntityNotFound();
        return entity;
    }

    /// <summary>
    /// Creates the entity in the service path; with <paramref name="upsert"/> an existing one (in that path) gets the
    /// attributes (true when it was created). An id is one entity in all paths: taken in another path it is 422.
    /// </summary>
    public async Task<bool> CreateAsync(ContextCall call, JsonObject ld, bool upsert, V2Paths path, CancellationToken ct)
    {
        if (path.Scope is { } scope) ld["scope"] = scope;
        try
        {
            await Run(() => writer.CreateAsync(call, ld, ct));
            return true;
        }
        catch (V2Exception exists) when (upsert && exists.Status == 422)
        {
            var current = await Run(() => reader.RetrieveAsync(call, ld["id"]!.GetValue<string>(), null, ct));
            if (!path.Holds(V2Paths.Of(current))) throw V2Exception.AlreadyExists();
            await AppendAsync(call, ld["id"]!.GetValue<string>(), Attributes(ld), strict: false, ct);
            return false;
        }
    }

    public async Task AppendAsync(ContextCall call, string ldId, JsonObject attrs, bool strict, CancellationToken ct)
    {
        var result = await Run(() => writer.AppendAttributesAsync(call, ldId, attrs, strict, ct));
        if (result.NotUpdated.Count > 0)
        {
            throw new V2Exception(422, "Unprocessable",
                $"one or more of the attributes in the request already exist: {V2Mapping.FromLdId(ldId)} - [ {string.Join(", ", result.NotUpdated.Select(n => n.Attribute))} ]");
        }
    }

    public async Task UpdateAsync(ContextCall call, string ldId, JsonObject attrs, CancellationToken ct)
    {
        var result = await Run(() => writer.UpdateAttributesAsync(call, ldId, attrs, ct));
        if (result.NotUpdated.Count > 0)
        {
            throw new V2Exception(422, result.Updated.Count > 0 ? "PartialUpdate" : "Unprocessable",
                $"do not exist: {V2Mapping.FromLdId(ldId)} - [ {string.Join(", ", result.NotUpdated.Select(n => n.Attribute))} ]");
        }
    }

    /// <summary>Replaces all attributes of the entity (PUT /attrs, op/update replace).</summary>
    public async Task ReplaceAttributesAsync(ContextCall call, string id, string? type, V2Paths path, JsonObject attrs, CancellationToken ct)
    {
        var current = await RetrieveLdAsync(call, id, type, path, ct);
        var entity = new JsonObject { ["id"] = current["id"]!.DeepClone(), ["type"] = current["type"]!.DeepClone() };
        if (current["scope"] is { } scope) entity["scope"] = scope.DeepClone();
        foreach (var (name, attr) in attrs) entity[name] = attr?.DeepClone();
        await Run(() => writer.ReplaceAsync(call, entity, ct));
    }

    public async Task DeleteAsync(ContextCall call, string id, string? type, V2Paths path, CancellationToken ct)
    {
        var entity = await RetrieveLdAsync(call, id, type, path, ct);
        await Run(() => writer.DeleteEntityAsync(call, entity["id"]!.GetValue<string>(), ct));
    }

    public async Task DeleteAttributeAsync(ContextCall call, string id, string? type, V2Paths path, string attr, CancellationToken ct)
    {
        var entity = await RetrieveLdAsync(call, id, type, path, ct);
        if (entity[attr] is null) throw V2Exception.AttributeNotFound();
        await Run(() => writer.DeleteAttributeAsync(call, entity["id"]!.GetValue<string>(), attr, null, true, ct));
    }

    /// <summary>One page of the matching entities (NGSI-LD form) and, when asked, how many match in all.</summary>
    public async Task<(IReadOnlyList<JsonObject> Entities, long? Total)> QueryAsync(ContextCall call, V2Query query, CancellationToken ct)
    {
        if (query.OrderBy == "geo:distance")
        {
            // The broker answers a near query nearest first: that is orderBy=geo:distance.
            if (query.Geo?.Georel.StartsWith("near", StringComparison.Ordinal) != true) throw V2Exception.BadRequest("orderBy=geo:distance needs a georel=near query");
            query = query with { OrderBy = null };
        }
        if (query.Selectors.Count == 1 && query.OrderBy is null)
        {
            var page = await Page1(call, query, query.Selectors[0], query.Limit, query.Offset, query.Count, null, ct);
            return (page.Entities, page.TotalCount);
        }
        var all = new List<JsonObject>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var selector in query.Selectors)
        {
            foreach (var entity in await AllAsync(call, query, selector, ct))
            {
                if (seen.Add(entity["id"]!.GetValue<string>())) all.Add(entity);
            }
        }
        if (query.OrderBy is not null) all = V2Order.Sort(all, query.OrderBy);
        return (all.Skip(query.Offset).Take(query.Limit).ToList(), query.Count ? all.Count : null);
    }

    /// <summary>All entities of one selector (page by page).</summary>
    public async Task<List<JsonObject>> AllAsync(ContextCall call, V2Query query, V2Selector selector, CancellationToken ct)
    {
        var all = new List<JsonObject>();
        for (string? after = null; ;)
        {
            var page = await Page1(call, query, selector, Page, 0, false, after, ct);
            all.AddRange(page.Entities);
            if (page.Next is null) return all;
            after = page.Next;
        }
    }

    private async Task<ContextPage> Page1(ContextCall call, V2Query query, V2Selector selector, int limit, int offset, bool count, string? after, CancellationToken ct)
    {
        var ld = new ContextQuery
        {
            Type = selector.Type,
            Ids = selector.Ids?.Select(V2Mapping.ToLdId).ToList(),
            IdPattern = IdPattern(selector.IdPattern),
            Q = query.Q,
            Geo = query.Geo,
            ScopeQ = query.Paths.ScopeQ,
            Limit = limit,
            Offset = offset,
            Count = count,
            After = after,
        };
        try
        {
            return await Run(() => reader.QueryAsync(call, ld, ct));
        }
        catch (V2Exception missing) when (missing.Status == 404)
        {
            return new ContextPage([], count ? 0 : null);
        }
    }

    /// <summary>A v2 idPattern anchored at the start also matches the ids mapped under <see cref="V2Mapping.IdPrefix"/>.</summary>
    private static string? IdPattern(string? pattern) =>
        pattern is not null && pattern.StartsWith('^') ? "^(" + System.Text.RegularExpressions.Regex.Escape(V2Mapping.IdPrefix) + ")?" + pattern[1..] : pattern;

    /// <summary>The entity types with their attributes (names and v2 types) and entity counts.</summary>
    public async Task<List<(string Type, SortedDictionary<string, SortedSet<string>> Attrs, int Count)>> TypesAsync(ContextCall call, string? only, V2Paths paths, CancellationToken ct)
    {
        IReadOnlyList<string> types;
        try
        {
            types = only is not null ? [only] : await Run(() => reader.ListTypesAsync(call, ct));
        }
        catch (V2Exception missing) when (missing.Status == 404)
        {
            types = [];
        }
        var result = new List<(string, SortedDictionary<string, SortedSet<string>>, int)>();
        var query = new V2Query([], null, null, Page, 0, false, null) { Paths = paths };
        foreach (var type in types.Order(StringComparer.Ordinal))
        {
            var entities = await AllAsync(call, query, new V2Selector(null, null, type), ct);
            if (entities.Count == 0) continue;
            var attrs = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
            foreach (var entity in entities)
            {
                foreach (var (name, attr) in V2Mapping.FromLdEntity(entity))
                {
                    if (attr is not JsonObject a) continue;
                    if (!attrs.TryGetValue(name, out var set)) attrs[name] = set = new SortedSet<string>(StringComparer.Ordinal);
                    set.Add(a["type"]!.GetValue<string>());
                }
            }
            result.Add((type, attrs, entities.Count));
        }
        return result;
    }

    public static JsonObject Attributes(JsonObject ld)
    {
        var attrs = new JsonObject();
        foreach (var (name, attr) in ld)
        {
            if (name is not ("id" or "type")) attrs[name] = attr?.DeepClone();
        }
        return attrs;
    }

    private static async Task<T> Run<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ContextException error)
        {
            throw V2Exception.From(error);
        }
    }

    private static async Task Run(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (ContextException error)
        {
            throw V2Exception.From(error);
        }
    }
}
