using CityOS.Context.Access;
using CityOS.Context.Broker;
using CityOS.Context.JsonLd;
using CityOS.Core;
using Microsoft.Extensions.Options;

namespace CityOS.Context.EntityMaps;

/// <summary>
/// Entity queries with EntityMaps (5.5.9.3, 5.14.3): a map fixes the set of entities a query considers; the query's
/// filters are checked again on every use, and entities that no longer fit are removed from the map.
/// </summary>
public sealed class EntityMapQueries(EntityBroker broker, IEntityMapStore store, IOptions<ContextOptions> settings, IOptions<EntityMapOptions> options)
{
    public const string Header = "NGSILD-EntityMap";
    public const string PathPrefix = "/ngsi-ld/v1/entityMaps/";

    /// <summary>The value of the NGSILD-EntityMap header naming a map.</summary>
    public static string Location(EntityMap map) => PathPrefix + map.Id;

    /// <summary>A new map of every entity the query matches (paging ignored), kept in the store.</summary>
    public async Task<EntityMap> CreateAsync(string? tenant, QueryRequest query, LdContext terms, EntityAccess access, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var ids = await AllMatchingAsync(tenant, query, terms, access, ct);
        var map = new EntityMap("urn:ngsi-ld:EntityMap:" + Guid.NewGuid().ToString("N"), tenant, expiresAt, ids);
        store.Put(map);
        return map;
    }

    /// <summary>The map a NGSILD-EntityMap header names (its URL, path or id) in a tenant; ResourceNotFound when it is not kept.</summary>
    public EntityMap Find(string? tenant, string header)
    {
        var id = header[(header.LastIndexOf('/') + 1)..];
        id = Uri.UnescapeDataString(id);
        return store.Find(tenant, id) ?? throw NgsiLdException.NotFound($"EntityMap {id} does not exist (or has expired).");
    }

    /// <summary>The query restricted to the entities of a map that still match it; the map loses the others.</summary>
    public async Task<QueryRequest> RestrictAsync(EntityMap map, QueryRequest query, LdContext terms, EntityAccess access, CancellationToken ct)
    {
        var candidates = Restricted(query, map.EntityIds);
        var matching = (await AllMatchingAsync(map.Tenant, candidates, terms, access, ct)).ToHashSet(StringComparer.Ordinal);
        var kept = map.EntityIds.Where(matching.Contains).ToList();
        if (kept.Count != map.EntityIds.Count) store.Put(map with { EntityIds = kept });
        return Restricted(query, kept);
    }

    private static QueryRequest Restricted(QueryRequest query, IReadOnlyList<string> ids) => new()
    {
        Selectors = query.Selectors.Count == 0
            ? [new EntitySelector(ids, null, null)]
            : query.Selectors.Select(s => s with { Ids = s.Ids is null ? ids : s.Ids.Intersect(ids, StringComparer.Ordinal).ToList() }).ToList(),
        Attrs = query.Attrs, Q = query.Q, Geo = query.Geo, ScopeQ = query.ScopeQ,
        Limit = query.Limit, Offset = query.Offset, Count = query.Count,
    };

    private async Task<List<string>> AllMatchingAsync(string? tenant, QueryRequest query, LdContext terms, EntityAccess access, CancellationToken ct)
    {
        var ids = new List<string>();
        var pageSize = settings.Value.MaxLimit;
        var most = options.Value.MaxEntities;
        // Page by the store's cursor: each page costs its own rows, not every earlier one again.
        for (string? after = null; ;)
        {
            var page = await broker.QueryAsync(tenant, new QueryRequest
            {
                Selectors = query.Selectors, Attrs = query.Attrs, Q = query.Q, Geo = query.Geo, ScopeQ = query.ScopeQ,
                Limit = pageSize, After = after,
            }, terms, access, ct);
            ids.AddRange(page.Entities.Select(e => e.Id));
            if (ids.Count > most)
            {
                throw new NgsiLdException(NgsiLdErrorType.TooManyResults,
                    $"The query matches more than {most} entities, the most one EntityMap lists (CityOS:EntityMaps:MaxEntities).");
            }
            if (page.Next is null) return ids.Distinct(StringComparer.Ordinal).ToList();
            after = page.Next;
        }
    }
}
