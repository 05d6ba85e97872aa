using CityOS.Context.Storage;
using CityOS.Core.Context;
using CityOS.Core.Security;

namespace CityOS.Context.Access;

/// <summary>
/// Entity types with counts up to a limit as a caller may discover them (<see cref="IContextReader.CountTypesAsync"/>):
/// a caller who may read everything gets them from the store's type index; one with restricted grants gets them from
/// <see cref="VisibleCatalog"/> (computed from the entities it may read), so that neither names nor counts reveal the rest.
/// </summary>
public static class VisibleTypeCounts
{
    /// <param name="type">Only this type (expanded); null for every type.</param>
    public static async ValueTask<IReadOnlyList<ContextTypeCount>> CountAsync(IEntityStore store, string? tenant, string? type, int countUpTo, EntityAccess access, CancellationToken ct)
    {
        if (access.IsUnrestricted(AccessAction.Read)) return await store.CountTypesAsync(tenant, type, countUpTo, ct);
        return [.. (await VisibleCatalog.TypesAsync(store, tenant, access, ct))
            .Where(t => type is null || t.Type == type)
            .Select(t => new ContextTypeCount(t.Type, Math.Min(t.EntityCount, countUpTo), t.EntityCount > countUpTo))];
    }
}
