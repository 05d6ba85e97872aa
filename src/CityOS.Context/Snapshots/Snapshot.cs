using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Representation;

namespace CityOS.Context.Snapshots;

/// <summary>
/// A Snapshot (GS CIM 009 1.9.1, 5.2.41, 5.16): a frozen copy of what its snapshotQueries matched when it was made. The copy
/// is kept as the entities of a tenant of its own, <see cref="StoreTenant"/>, which no client can name (it starts with '-'),
/// so queries and retrievals scoped to the snapshot (NGSILD-Snapshot, 6.3.22) run as on any tenant.
/// </summary>
/// <param name="Tenant">The tenant the snapshot was made in (null for the default tenant).</param>
/// <param name="Queries">The snapshotQueries as the client gave them.</param>
/// <param name="QueryResults">How many entities each query contributed.</param>
/// <param name="EntityCount">How many entities the frozen copy holds.</param>
public sealed record Snapshot(string Id, string? Tenant, string StoreTenant, JsonArray Queries, int Priority, IReadOnlyList<int> QueryResults,
    int EntityCount, DateTimeOffset CreatedAt, DateTimeOffset ModifiedAt, DateTimeOffset LastUsedAt)
{
    public const int DefaultPriority = 5;

    /// <summary>The members of the Snapshot data type a purge query may name (5.16.7.4).</summary>
    public static readonly IReadOnlySet<string> QueryableMembers = new HashSet<string>(StringComparer.Ordinal)
    {
        "snapshotPriority", "snapshotStatus", "createdAt", "modifiedAt", "lastUsedAt",
    };

    public JsonObject Render() => new()
    {
        ["id"] = Id,
        ["type"] = "Snapshot",
        ["snapshotQueries"] = Queries.DeepClone(),
        ["snapshotStatus"] = "success",
        ["snapshotPriority"] = Priority,
        ["snapshotQueriesDetails"] = new JsonArray(QueryResults.Select(count => (JsonNode)new JsonObject
        {
            ["resultStatus"] = "success",
            ["entityCount"] = count,
        }).ToArray()),
        ["createdAt"] = NgsiLdSyntax.FormatDateTime(CreatedAt),
        ["modifiedAt"] = NgsiLdSyntax.FormatDateTime(ModifiedAt),
        ["lastUsedAt"] = NgsiLdSyntax.FormatDateTime(LastUsedAt),
    };

    /// <summary>The snapshot as an entity whose attributes are its queryable members, for a purge query's q (5.16.7).</summary>
    public Entity AsEntity()
    {
        var entity = new Entity { Id = Id, Types = ["Snapshot"], CreatedAt = CreatedAt, ModifiedAt = ModifiedAt };
        entity.Attributes["snapshotPriority"] = [Property(JsonValue.Create(Priority))];
        entity.Attributes["snapshotStatus"] = [Property(JsonValue.Create("success"))];
        entity.Attributes["createdAt"] = [Property(JsonValue.Create(NgsiLdSyntax.FormatDateTime(CreatedAt)))];
        entity.Attributes["modifiedAt"] = [Property(JsonValue.Create(NgsiLdSyntax.FormatDateTime(ModifiedAt)))];
        entity.Attributes["lastUsedAt"] = [Property(JsonValue.Create(NgsiLdSyntax.FormatDateTime(LastUsedAt)))];
        return entity;
    }

    private static NgsiAttribute Property(JsonNode value) => new() { Kind = AttributeKind.Property, Value = value };

    /// <summary>A new store tenant name: '-' first, which <see cref="Core.Http.Tenancy.Validate"/> refuses in a request.</summary>
    public static string NewStoreTenant() => "-snapshot-" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
}

/// <summary>Where snapshots are kept, per tenant (null for the default tenant).</summary>
public interface ISnapshotStore
{
    void Put(Snapshot snapshot);

    Snapshot? Find(string? tenant, string id);

    IReadOnlyList<Snapshot> All(string? tenant);

    bool Delete(string? tenant, string id);
}

/// <summary>
/// Snapshots in memory: their frozen entities are stored like any tenant's, but which snapshot owns which store tenant is
/// forgotten on a restart (a snapshot is a working copy for an analysis, 5.16.1; make it again after a restart).
/// </summary>
public sealed class InMemorySnapshotStore : ISnapshotStore
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), Snapshot> _snapshots = new();

    public void Put(Snapshot snapshot) => _snapshots[(snapshot.Tenant ?? "", snapshot.Id)] = snapshot;

    public Snapshot? Find(string? tenant, string id) => _snapshots.GetValueOrDefault((tenant ?? "", id));

    public IReadOnlyList<Snapshot> All(string? tenant) =>
        _snapshots.Where(s => s.Key.Tenant == (tenant ?? "")).Select(s => s.Value).OrderBy(s => s.CreatedAt).ToList();

    public bool Delete(string? tenant, string id) => _snapshots.TryRemove((tenant ?? "", id), out _);
}
