using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CityOS.Context.Representation;

namespace CityOS.Context.EntityMaps;

/// <summary>
/// An EntityMap (GS CIM 009 1.9.1, 5.2.39): the entities a query matched when the map was made, each with the Context
/// Sources it came from ("@none" for this broker's own), kept until it expires.
/// </summary>
public sealed record EntityMap(string Id, string? Tenant, DateTimeOffset ExpiresAt, IReadOnlyList<string> EntityIds)
{
    public const string LocalSource = "@none";

    public bool IsLive(DateTimeOffset now) => ExpiresAt > now;

    public JsonObject Render()
    {
        var map = new JsonObject();
        foreach (var id in EntityIds) map[id] = new JsonArray(LocalSource);
        return new JsonObject
        {
            ["id"] = Id,
            ["type"] = "EntityMap",
            ["expiresAt"] = NgsiLdSyntax.FormatDateTime(ExpiresAt),
            ["entityMap"] = map,
            ["linkedMaps"] = new JsonObject(),
        };
    }
}

/// <summary>Where EntityMaps are kept, per tenant (null for the default tenant).</summary>
public interface IEntityMapStore
{
    void Put(EntityMap map);

    EntityMap? Find(string? tenant, string id);

    bool Delete(string? tenant, string id);
}

/// <summary>
/// EntityMaps in memory: they are short-lived by design (CityOS:EntityMaps:MaxLifetime bounds them), so a restart
/// forgetting them only makes a client build its map again. Expired maps are dropped when they are looked at or when
/// a new map is put.
/// </summary>
public sealed class InMemoryEntityMapStore(TimeProvider time) : IEntityMapStore
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), EntityMap> maps = new();

    public void Put(EntityMap map)
    {
        var now = time.GetUtcNow();
        foreach (var expired in maps.Where(m => !m.Value.IsLive(now)).Select(m => m.Key).ToList()) maps.TryRemove(expired, out _);
        maps[(map.Tenant ?? "", map.Id)] = map;
    }

    public EntityMap? Find(string? tenant, string id)
    {
        if (!maps.TryGetValue((tenant ?? "", id), out var map)) return null;
        if (map.IsLive(time.GetUtcNow())) return map;
        maps.TryRemove(KeyValuePair.Create((tenant ?? "", id), map));
        return null;
    }

    public bool Delete(string? tenant, string id) => maps.TryRemove((tenant ?? "", id), out _);
}
