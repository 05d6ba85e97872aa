using CityOS.Context.Model;

namespace CityOS.Context.Temporal;

/// <summary>
/// q and geo-queries on the history of an entity that has no current state in the broker (created through the temporal
/// API, or deleted since): the entity matches when, at one of the instants of its instances in the queried window, the
/// entity as it then was (each attribute at its latest instance up to that instant, deleted attributes absent) satisfies
/// the query.
/// </summary>
public static class TemporalMatcher
{
    public static bool MatchesAtSomeInstant(TemporalEntityHead head, IEnumerable<InstanceSlice> slices, TimeProperty property, Func<Entity, bool> predicate)
    {
        var entity = new Entity { Id = head.Id, Types = [.. head.Types], Scopes = head.Scopes is null ? null : [.. head.Scopes] };
        var timeline = slices
            .SelectMany(slice => slice.Instances.Select(instance => (slice.Attribute, Instance: instance, Time: instance.TimeOf(property))))
            .OrderBy(entry => entry.Time)
            .ToList();
        for (var i = 0; i < timeline.Count; i++)
        {
            var (name, instance, time) = timeline[i];
            Apply(entity, name, instance);
            var lastOfInstant = i + 1 == timeline.Count || timeline[i + 1].Time != time;
            if (lastOfInstant && predicate(entity)) return true;
        }
        return false;
    }

    private static void Apply(Entity entity, string name, StoredInstance instance)
    {
        if (!entity.Attributes.TryGetValue(name, out var current)) entity.Attributes[name] = current = [];
        current.RemoveAll(a => a.DatasetId == instance.Data.DatasetId);
        if (instance.DeletedAt is null) current.Add(instance.Data);
        if (current.Count == 0) entity.Attributes.Remove(name);
    }
}
