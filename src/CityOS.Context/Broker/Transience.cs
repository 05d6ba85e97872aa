using CityOS.Context.Model;
using CityOS.Context.Storage;

namespace CityOS.Context.Broker;

/// <summary>
/// Transient entities and attributes (4.22, V1.9.1): a stored entity or attribute instance with an expiresAt is served until
/// that instant and is gone after it. Reads see an entity as <see cref="Live"/> makes it; the <see cref="TransientReaper"/>
/// then deletes what expired, so the id of an expired entity is free again.
/// </summary>
public static class Transience
{
    /// <summary>The entity as it stands at <paramref name="now"/>: null once it expired, else without its expired attribute instances.</summary>
    public static Entity? Live(Entity? entity, DateTimeOffset now)
    {
        if (entity is null || entity.ExpiresAt <= now) return null;
        if (!HasExpiredInstance(entity, now)) return entity;
        var live = entity.Clone();
        RemoveExpiredInstances(live, now);
        return live;
    }

    /// <summary>The first instant something of the entity (itself or an attribute instance) expires; null for a durable entity.</summary>
    public static DateTimeOffset? NextExpiry(Entity entity)
    {
        var next = entity.ExpiresAt;
        foreach (var instances in entity.Attributes.Values)
        {
            foreach (var instance in instances)
            {
                if (instance.ExpiresAt is { } at && (next is null || at < next)) next = at;
            }
        }
        return next;
    }

    /// <summary>Reaping one entity: deleted once it expired, else its expired attribute instances removed; unchanged when nothing expired.</summary>
    public static EntityMutator Reap(DateTimeOffset now) => current =>
    {
        if (current is null) return MutationOutcome.NoChange;
        if (current.ExpiresAt <= now) return MutationOutcome.DeleteEntity;
        if (!HasExpiredInstance(current, now)) return MutationOutcome.NoChange;
        RemoveExpiredInstances(current, now);
        return new MutationOutcome.Save(current);
    };

    private static bool HasExpiredInstance(Entity entity, DateTimeOffset now)
    {
        foreach (var instances in entity.Attributes.Values)
        {
            foreach (var instance in instances)
            {
                if (instance.ExpiresAt <= now) return true;
            }
        }
        return false;
    }

    private static void RemoveExpiredInstances(Entity entity, DateTimeOffset now)
    {
        foreach (var name in entity.Attributes.Keys.ToList())
        {
            var instances = entity.Attributes[name];
            instances.RemoveAll(i => i.ExpiresAt <= now);
            if (instances.Count == 0) entity.Attributes.Remove(name);
        }
    }
}
