using System.Text.Json.Nodes;
using CityOS.Context.Geo;
using CityOS.Context.Model;
using CityOS.Context.Storage;

namespace CityOS.Context.Subscriptions;

/// <summary>What one committed change did to an entity: the triggers it fires and the attributes each concerns.</summary>
public sealed class ChangeSummary
{
    private ChangeSummary(EntityChange change)
    {
        Change = change;
        Subject = change.After ?? change.Before!;
    }

    public EntityChange Change { get; }

    /// <summary>The entity the notification is about: the new state, or the last one for a deletion.</summary>
    public Entity Subject { get; }

    public NotificationTriggers Happened { get; private init; }
    public IReadOnlyList<string> Created { get; private init; } = [];
    public IReadOnlyList<string> Updated { get; private init; } = [];

    /// <summary>The attributes that lost an instance (all of it, or one datasetId of it); with the entity deleted, all of them.</summary>
    public IReadOnlyList<string> Deleted { get; private init; } = [];

    /// <summary>The instances gone, as they were before, by attribute name (in the order of <see cref="Deleted"/>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<NgsiAttribute>> DeletedInstances { get; private init; } =
        new Dictionary<string, IReadOnlyList<NgsiAttribute>>(StringComparer.Ordinal);

    /// <summary>
    /// Creating an entity creates its attributes; deleting it deletes them too (attributeDeleted fires with entityDeleted, 5.2.12);
    /// deleting one datasetId instance of an attribute is an attribute deletion of that instance (4.5.5).
    /// </summary>
    public static ChangeSummary Of(EntityChange change)
    {
        if (change.Before is null)
        {
            return new ChangeSummary(change)
            {
                Happened = NotificationTriggers.EntityCreated | (change.After!.Attributes.Count > 0 ? NotificationTriggers.AttributeCreated : 0),
                Created = change.After.Attributes.Keys.ToArray(),
            };
        }
        if (change.After is null)
        {
            var all = change.Before.Attributes.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<NgsiAttribute>)kv.Value, StringComparer.Ordinal);
            return new ChangeSummary(change)
            {
                Happened = NotificationTriggers.EntityDeleted | (all.Count > 0 ? NotificationTriggers.AttributeDeleted : 0),
                Deleted = all.Keys.ToArray(),
                DeletedInstances = all,
            };
        }
        List<string> created = [], updated = [];
        var deleted = new Dictionary<string, IReadOnlyList<NgsiAttribute>>(StringComparer.Ordinal);
        foreach (var (name, instances) in change.After.Attributes)
        {
            if (!change.Before.Attributes.TryGetValue(name, out var previous))
            {
                created.Add(name);
                continue;
            }
            var gone = previous.Where(p => !instances.Any(i => i.DatasetId == p.DatasetId)).ToList();
            if (gone.Count > 0) deleted[name] = gone;
            var kept = gone.Count == 0 ? previous : previous.Except(gone).ToList();
            if (!SameInstances(kept, instances)) updated.Add(name);
        }
        foreach (var (name, instances) in change.Before.Attributes)
        {
            if (!change.After.Attributes.ContainsKey(name)) deleted[name] = instances;
        }
        var happened = NotificationTriggers.None;
        if (created.Count > 0) happened |= NotificationTriggers.AttributeCreated;
        if (updated.Count > 0) happened |= NotificationTriggers.AttributeUpdated;
        if (deleted.Count > 0) happened |= NotificationTriggers.AttributeDeleted;
        var entityChanged = happened != NotificationTriggers.None
            || !change.Before.Types.SequenceEqual(change.After.Types)
            || !(change.Before.Scopes ?? []).SequenceEqual(change.After.Scopes ?? []);
        if (entityChanged) happened |= NotificationTriggers.EntityUpdated;
        return new ChangeSummary(change)
        {
            Happened = happened, Created = created, Updated = updated, Deleted = deleted.Keys.ToArray(), DeletedInstances = deleted,
        };
    }

    /// <summary>A write that touched an attribute moves its modifiedAt even when the value stays: Orion-LD notifies such updates too.</summary>
    private static bool SameInstances(List<NgsiAttribute> before, List<NgsiAttribute> after)
    {
        if (before.Count != after.Count) return false;
        for (var i = 0; i < before.Count; i++)
        {
            var (b, a) = (before[i], after[i]);
            if (b.ModifiedAt != a.ModifiedAt || b.Kind != a.Kind || b.DatasetId != a.DatasetId || b.ObservedAt != a.ObservedAt
                || b.UnitCode != a.UnitCode || !JsonNode.DeepEquals(b.Value, a.Value) || b.SubAttributes.Count != a.SubAttributes.Count)
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>Whether a change concerns a subscription (5.8, 5.11): entities, watchedAttributes, notificationTrigger, q, geoQ, scopeQ.</summary>
public static class SubscriptionMatcher
{
    /// <summary>The triggers of the change this subscription is notified of; None when it is not.</summary>
    public static NotificationTriggers Match(Subscription subscription, ChangeSummary change)
    {
        var fired = Fired(subscription, change);
        if (fired == NotificationTriggers.None) return fired;
        return SelectsEntity(subscription, change.Subject) ? fired : NotificationTriggers.None;
    }

    /// <summary>The entity filters without the change: entities, q, geoQ, scopeQ (also what a periodic subscription queries).</summary>
    public static bool SelectsEntity(Subscription subscription, Entity entity)
    {
        if (subscription.Entities.Count > 0)
        {
            var any = false;
            foreach (var selector in subscription.Entities)
            {
                if (selector.Matches(entity))
                {
                    any = true;
                    break;
                }
            }
            if (!any) return false;
        }
        if (subscription.Q is { } q && !q.Matches(entity)) return false;
        if (subscription.ScopeQ is { } scope && !scope.Matches(entity.Scopes)) return false;
        if (subscription.GeoQ is { } geo && !GeoMatches(entity, subscription.GeoPropertyIri!, geo)) return false;
        return true;
    }

    private static NotificationTriggers Fired(Subscription subscription, ChangeSummary change)
    {
        var wanted = subscription.Triggers & change.Happened;
        if (wanted == NotificationTriggers.None) return wanted;
        if (subscription.WatchedAttributes is not { } watched) return wanted;
        var fired = NotificationTriggers.None;
        if (wanted.HasFlag(NotificationTriggers.AttributeCreated) && change.Created.Any(watched.Contains)) fired |= NotificationTriggers.AttributeCreated;
        if (wanted.HasFlag(NotificationTriggers.AttributeUpdated) && change.Updated.Any(watched.Contains)) fired |= NotificationTriggers.AttributeUpdated;
        if (wanted.HasFlag(NotificationTriggers.AttributeDeleted) && change.Deleted.Any(watched.Contains)) fired |= NotificationTriggers.AttributeDeleted;
        if (wanted.HasFlag(NotificationTriggers.EntityCreated) && change.Created.Any(watched.Contains)) fired |= NotificationTriggers.EntityCreated;
        if (wanted.HasFlag(NotificationTriggers.EntityDeleted) && change.Deleted.Any(watched.Contains)) fired |= NotificationTriggers.EntityDeleted;
        if (wanted.HasFlag(NotificationTriggers.EntityUpdated)
            && (change.Created.Any(watched.Contains) || change.Updated.Any(watched.Contains) || change.Deleted.Any(watched.Contains)))
        {
            fired |= NotificationTriggers.EntityUpdated;
        }
        return fired;
    }

    private static bool GeoMatches(Entity entity, string geoProperty, GeoQuery geo)
    {
        if (!entity.Attributes.TryGetValue(geoProperty, out var instances)) return false;
        foreach (var instance in instances)
        {
            if (instance.Kind != AttributeKind.GeoProperty || instance.Value is null) continue;
            try
            {
                if (geo.Matches(GeoJsonReader.Read(instance.Value))) return true;
            }
            catch (CityOS.Core.NgsiLdException)
            {
                // A stored geometry the reader refuses cannot match; the entity itself was accepted by other rules.
            }
        }
        return false;
    }
}
