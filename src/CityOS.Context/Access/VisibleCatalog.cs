using CityOS.Context.Broker;
using CityOS.Context.Model;
using CityOS.Context.Storage;
using CityOS.Core.Security;

namespace CityOS.Context.Access;

/// <summary>
/// The entity types and attributes a caller may discover (5.7.5–5.7.10). A caller who may read everything gets
/// the store's index summaries; one with restricted grants gets summaries computed from the entities and
/// attributes it may read, so that neither names nor counts reveal the rest (this scans those entities; the
/// store narrows the scan to the granted types when every grant names its types).
/// </summary>
public static class VisibleCatalog
{
    public static async ValueTask<IReadOnlyList<TypeSummary>> TypesAsync(IEntityStore store, string? tenant, EntityAccess access, CancellationToken ct)
    {
        if (access.IsUnrestricted(AccessAction.Read)) return await store.ListTypesAsync(tenant, ct);
        var types = new SortedDictionary<string, (long Count, SortedDictionary<string, SortedSet<AttributeKind>> Attributes)>(StringComparer.Ordinal);
        foreach (var entity in await VisibleEntitiesAsync(store, tenant, access, ct))
        {
            foreach (var type in entity.Types)
            {
                var summary = types.TryGetValue(type, out var found) ? found : (0, new SortedDictionary<string, SortedSet<AttributeKind>>(StringComparer.Ordinal));
                foreach (var (name, instances) in entity.Attributes)
                {
                    if (!summary.Attributes.TryGetValue(name, out var kinds)) summary.Attributes[name] = kinds = [];
                    kinds.UnionWith(instances.Select(i => i.Kind));
                }
                types[type] = (summary.Count + 1, summary.Attributes);
            }
        }
        return types.Select(t => new TypeSummary(t.Key, t.Value.Count,
            t.Value.Attributes.Select(a => new AttributeUse(a.Key, a.Value.ToList())).ToList())).ToList();
    }

    public static async ValueTask<IReadOnlyList<AttributeSummary>> AttributesAsync(IEntityStore store, string? tenant, EntityAccess access, CancellationToken ct)
    {
        if (access.IsUnrestricted(AccessAction.Read)) return await store.ListAttributesAsync(tenant, ct);
        var attributes = new SortedDictionary<string, (long Count, SortedSet<string> Types, SortedSet<AttributeKind> Kinds)>(StringComparer.Ordinal);
        foreach (var entity in await VisibleEntitiesAsync(store, tenant, access, ct))
        {
            foreach (var (name, instances) in entity.Attributes)
            {
                var summary = attributes.TryGetValue(name, out var found) ? found : (0, new SortedSet<string>(StringComparer.Ordinal), new SortedSet<AttributeKind>());
                summary.Types.UnionWith(entity.Types);
                summary.Kinds.UnionWith(instances.Select(i => i.Kind));
                attributes[name] = (summary.Count + 1, summary.Types, summary.Kinds);
            }
        }
        return attributes.Select(a => new AttributeSummary(a.Key, a.Value.Count, a.Value.Types.ToList(), a.Value.Kinds.ToList())).ToList();
    }

    private static async ValueTask<IEnumerable<Entity>> VisibleEntitiesAsync(IEntityStore store, string? tenant, EntityAccess access, CancellationToken ct)
    {
        var readable = access.Scope(AccessAction.Read);
        if (readable.Grants.Count == 0) return [];
        var page = await EntityMatcher.QueryAsync(store, tenant, new EntityQuery { Readable = readable, Limit = int.MaxValue }, ct);
        return page.Entities.Select(e => access.Visible(e)!);
    }
}
