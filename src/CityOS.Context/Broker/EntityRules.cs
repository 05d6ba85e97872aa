using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Core;

namespace CityOS.Context.Broker;

/// <summary>An attribute an operation did not apply, with the reason the client sees (NotUpdatedDetails, 5.2.19).</summary>
public sealed record NotUpdated(string AttributeName, string Reason);

/// <summary>What an attribute operation did (UpdateResult, 5.2.18); attribute names expanded.</summary>
public sealed class UpdateOutcome
{
    public List<string> Updated { get; } = [];
    public List<NotUpdated> NotUpdated { get; } = [];

    public void Reset()
    {
        Updated.Clear();
        NotUpdated.Clear();
    }
}

/// <summary>
/// The semantics of the entity operations of clause 5.6 as pure functions from the current
/// entity to the next one. Every change stamps modifiedAt; createdAt of kept entities and
/// attribute instances is preserved.
/// </summary>
public static class EntityRules
{
    public static EntityMutator Create(Entity entity, DateTimeOffset now) => current =>
    {
        if (current is not null) return new MutationOutcome.Fail(new NgsiLdException(NgsiLdErrorType.AlreadyExists, $"Entity {entity.Id} already exists."));
        var created = entity.Clone();
        Stamp(created, now);
        return new MutationOutcome.Save(created);
    };

    /// <summary>Replace Entity (5.6.18) and the replace mode of batch upsert: the entity becomes exactly the new one.</summary>
    public static EntityMutator Replace(Entity entity, DateTimeOffset now, bool createIfMissing) => current =>
    {
        if (current is null && !createIfMissing) return NotFound(entity.Id);
        var replaced = entity.Clone();
        Stamp(replaced, now);
        if (current is not null) replaced.CreatedAt = current.CreatedAt;
        return new MutationOutcome.Save(replaced);
    };

    public static EntityMutator Delete(string id) => current =>
        current is null ? NotFound(id) : MutationOutcome.DeleteEntity;

    /// <summary>The name an UpdateResult gives the entity's scope member (4.18) when it lists it.</summary>
    public const string ScopeMember = "scope";

    /// <summary>
    /// Update Attributes (5.6.2): only attributes (and datasetIds) that exist are replaced; one given as NGSI-LD null is deleted.
    /// Types the fragment names are added (4.16); its scope replaces the entity's, and is not updated when the entity has none (4.18).
    /// </summary>
    public static EntityMutator UpdateAttributes(string id, EntityFragment fragment, DateTimeOffset now, UpdateOutcome outcome) => current =>
    {
        outcome.Reset();
        if (current is null) return NotFound(id);
        var changed = AddTypes(current, fragment.Types);
        if (fragment.Scopes is { } scopes)
        {
            if (current.Scopes is not { Count: > 0 })
            {
                outcome.NotUpdated.Add(new NotUpdated(ScopeMember, "the entity has no scope to update (append it instead)"));
            }
            else
            {
                current.Scopes = [.. scopes];
                outcome.Updated.Add(ScopeMember);
            }
        }
        foreach (var (name, instances) in fragment.Attributes)
        {
            if (!current.Attributes.TryGetValue(name, out var existing))
            {
                outcome.NotUpdated.Add(new NotUpdated(name, "attribute does not exist"));
                continue;
            }
            var all = true;
            foreach (var instance in instances)
            {
                var index = existing.FindIndex(a => a.DatasetId == instance.DatasetId);
                if (index < 0)
                {
                    all = false;
                    outcome.NotUpdated.Add(new NotUpdated(name, instance.DatasetId is null ? "attribute has no default instance" : $"datasetId {instance.DatasetId} does not exist"));
                    continue;
                }
                if (EntityParser.IsNgsiNull(instance.Value)) existing.RemoveAt(index);
                else existing[index] = WithoutNullSubAttributes(Stamped(instance, now, existing[index].CreatedAt));
            }
            if (existing.Count == 0) current.Attributes.Remove(name);
            if (all) outcome.Updated.Add(name);
        }
        return Changed(current, outcome, changed, now);
    };

    /// <summary>
    /// Append Attributes (5.6.3): new attributes are added, existing ones replaced unless noOverwrite. Types the fragment names
    /// are added (4.16); its scopes replace the entity's, or with noOverwrite are added to them (4.18).
    /// </summary>
    public static EntityMutator AppendAttributes(string id, EntityFragment fragment, bool noOverwrite, DateTimeOffset now, UpdateOutcome outcome) => current =>
    {
        outcome.Reset();
        if (current is null) return NotFound(id);
        var changed = AddTypes(current, fragment.Types);
        if (fragment.Scopes is { } scopes)
        {
            current.Scopes = noOverwrite && current.Scopes is { } kept ? [.. kept.Union(scopes, StringComparer.Ordinal)] : [.. scopes];
            outcome.Updated.Add(ScopeMember);
        }
        foreach (var (name, instances) in fragment.Attributes)
        {
            var existing = current.Attributes.TryGetValue(name, out var found) ? found : current.Attributes[name] = [];
            var all = true;
            foreach (var instance in instances)
            {
                var index = existing.FindIndex(a => a.DatasetId == instance.DatasetId);
                if (index < 0) existing.Add(Stamped(instance, now, now));
                else if (noOverwrite)
                {
                    all = false;
                    outcome.NotUpdated.Add(new NotUpdated(name, "attribute exists and options=noOverwrite was given"));
                }
                else existing[index] = Stamped(instance, now, existing[index].CreatedAt);
            }
            if (all) outcome.Updated.Add(name);
        }
        return Changed(current, outcome, changed, now);
    };

    /// <summary>Delete Attribute on the scope member (5.6.5, 4.18): the entity loses its scopes.</summary>
    public static EntityMutator DeleteScope(string id, DateTimeOffset now) => current =>
    {
        if (current is null) return NotFound(id);
        if (current.Scopes is not { Count: > 0 }) return NotFound(id, ScopeMember);
        current.Scopes = null;
        current.ModifiedAt = now;
        return new MutationOutcome.Save(current);
    };

    /// <summary>
    /// The rule, run only on an entity the type selector matches (the type parameter of the entity operations, 4.17):
    /// any other entity is not found, and nothing changes.
    /// </summary>
    public static EntityMutator OfType(string id, Query.TypeSelector? type, EntityMutator rule) => type is null ? rule : current =>
        current is not null && !type.Matches(current.Types)
            ? new MutationOutcome.Fail(NgsiLdException.NotFound($"Entity {id} is not of the type asked for."))
            : rule(current);

    /// <summary>Partial Attribute Update (5.6.4): the given members of one existing attribute instance change, the rest stays; an NGSI-LD null value deletes the instance.</summary>
    public static EntityMutator PartialAttributeUpdate(string id, string attribute, List<NgsiAttribute> instances, DateTimeOffset now) => current =>
    {
        if (current is null) return NotFound(id);
        if (!current.Attributes.TryGetValue(attribute, out var existing)) return NotFound(id, attribute);
        foreach (var instance in instances)
        {
            var index = existing.FindIndex(a => a.DatasetId == instance.DatasetId);
            if (index < 0) return NotFound(id, attribute, instance.DatasetId);
            if (EntityParser.IsNgsiNull(instance.Value)) existing.RemoveAt(index);
            else if (instance.Value is not null && !SameKind(existing[index].Kind, instance.Kind))
            {
                return new MutationOutcome.Fail(NgsiLdException.BadRequest(
                    $"Attribute {attribute} is a {NgsiLdSyntax.KindName(existing[index].Kind)}; a partial update cannot make it a {NgsiLdSyntax.KindName(instance.Kind)} (5.6.4)."));
            }
            else existing[index] = MergeInstance(existing[index], instance, now);
        }
        if (existing.Count == 0) current.Attributes.Remove(attribute);
        current.ModifiedAt = now;
        return new MutationOutcome.Save(current);
    };

    /// <summary>Replace Attribute (5.6.19): one existing attribute instance is replaced whole.</summary>
    public static EntityMutator ReplaceAttribute(string id, string attribute, List<NgsiAttribute> instances, DateTimeOffset now) => current =>
    {
        if (current is null) return NotFound(id);
        if (!current.Attributes.TryGetValue(attribute, out var existing)) return NotFound(id, attribute);
        foreach (var instance in instances)
        {
            var index = existing.FindIndex(a => a.DatasetId == instance.DatasetId);
            if (index < 0) return NotFound(id, attribute, instance.DatasetId);
            existing[index] = Stamped(instance, now, existing[index].CreatedAt);
        }
        current.ModifiedAt = now;
        return new MutationOutcome.Save(current);
    };

    /// <summary>Delete Attribute (5.6.5): the default instance, the instance of datasetId, or with deleteAll every instance.</summary>
    public static EntityMutator DeleteAttribute(string id, string attribute, string? datasetId, bool deleteAll, DateTimeOffset now) => current =>
    {
        if (current is null) return NotFound(id);
        if (!current.Attributes.TryGetValue(attribute, out var existing)) return NotFound(id, attribute);
        if (deleteAll) current.Attributes.Remove(attribute);
        else
        {
            if (existing.RemoveAll(a => a.DatasetId == datasetId) == 0) return NotFound(id, attribute, datasetId);
            if (existing.Count == 0) current.Attributes.Remove(attribute);
        }
        current.ModifiedAt = now;
        return new MutationOutcome.Save(current);
    };

    /// <summary>
    /// Merge Entity (5.6.17) and batch merge: new attributes are added, existing instances merged
    /// member by member, and an attribute whose value is "urn:ngsi-ld:null" is deleted. Types given are added, and an
    /// expiresAt given makes the entity transient until then, or durable again when it is the NGSI-LD Null (4.22).
    /// </summary>
    public static EntityMutator Merge(string id, IReadOnlyList<string>? types, Dictionary<string, List<NgsiAttribute>> fragment, DateTimeOffset now,
        ExpiryChange? expiry = null) => current =>
    {
        if (current is null) return NotFound(id);
        AddTypes(current, types);
        if (expiry is not null) current.ExpiresAt = expiry.ExpiresAt;
        foreach (var (name, instances) in fragment)
        {
            foreach (var instance in instances)
            {
                var existing = current.Attributes.TryGetValue(name, out var found) ? found : null;
                var index = existing?.FindIndex(a => a.DatasetId == instance.DatasetId) ?? -1;
                if (EntityParser.IsNgsiNull(instance.Value))
                {
                    if (index >= 0)
                    {
                        existing!.RemoveAt(index);
                        if (existing.Count == 0) current.Attributes.Remove(name);
                    }
                    continue;
                }
                if (existing is null) current.Attributes[name] = existing = [];
                if (index < 0) existing.Add(Stamped(instance, now, now));
                else existing[index] = MergeInstance(existing[index], instance, now);
            }
        }
        current.ModifiedAt = now;
        return new MutationOutcome.Save(current);
    };

    /// <summary>
    /// One entity of Purge Entities (5.6.21): deleted, or (with keep or drop, expanded names) only the attributes not kept or
    /// the ones dropped are removed. An entity gone since the query is left alone.
    /// </summary>
    public static EntityMutator Purge(IReadOnlyCollection<string>? keep, IReadOnlyCollection<string>? drop, DateTimeOffset now) => current =>
    {
        if (current is null) return MutationOutcome.NoChange;
        if (keep is null && drop is null) return MutationOutcome.DeleteEntity;
        var removed = current.Attributes.Keys.Where(name => keep is not null ? !keep.Contains(name) : drop!.Contains(name)).ToList();
        if (removed.Count == 0) return MutationOutcome.NoChange;
        foreach (var name in removed) current.Attributes.Remove(name);
        current.ModifiedAt = now;
        return new MutationOutcome.Save(current);
    };

    /// <summary>Batch update (5.6.9): append to an existing entity, optionally without overwriting; its types are added (4.16).</summary>
    public static EntityMutator BatchUpdate(Entity entity, bool noOverwrite, DateTimeOffset now) =>
        AppendAttributes(entity.Id, new EntityFragment(entity.Types, null, entity.Attributes), noOverwrite, now, new UpdateOutcome());

    /// <summary>Batch upsert (5.6.8): create when absent; when present replace (default) or update (options=update).</summary>
    public static EntityMutator Upsert(Entity entity, bool updateMode, DateTimeOffset now)
    {
        var create = Create(entity, now);
        var replace = Replace(entity, now, createIfMissing: true);
        var update = BatchUpdate(entity, noOverwrite: false, now);
        return current => current is null ? create(null) : updateMode ? update(current) : replace(current);
    }

    private static NgsiAttribute MergeInstance(NgsiAttribute existing, NgsiAttribute patch, DateTimeOffset now)
    {
        var merged = existing.Clone();
        if (patch.Value is not null)
        {
            // A fragment without a value member (only sub-attributes or metadata) keeps the attribute's type.
            merged.Kind = patch.Kind;
            merged.Value = patch.Value.DeepClone();
        }
        if (patch.ObjectType is not null) merged.ObjectType = patch.ObjectType.DeepClone();
        if (patch.ObservedAt is not null)
        {
            merged.ObservedAt = patch.ObservedAt;
            merged.ObservedAtFraction = patch.ObservedAtFraction;
        }
        if (patch.UnitCode is not null) merged.UnitCode = patch.UnitCode;
        if (patch.ExpiresAt is not null) merged.ExpiresAt = patch.ExpiresAt;
        foreach (var (name, sub) in patch.SubAttributes)
        {
            if (EntityParser.IsNgsiNull(sub.Value)) merged.SubAttributes.Remove(name);
            else merged.SubAttributes[name] = Stamped(sub, now, merged.SubAttributes.TryGetValue(name, out var old) ? old.CreatedAt : now);
        }
        merged.ModifiedAt = now;
        return merged;
    }

    /// <summary>A Property whose value is a geometry and a GeoProperty are told apart by inference only, so they count as one kind here.</summary>
    private static bool SameKind(AttributeKind a, AttributeKind b) =>
        a == b || (a is AttributeKind.Property or AttributeKind.GeoProperty && b is AttributeKind.Property or AttributeKind.GeoProperty);

    private static NgsiAttribute WithoutNullSubAttributes(NgsiAttribute attribute)
    {
        foreach (var name in attribute.SubAttributes.Where(s => EntityParser.IsNgsiNull(s.Value.Value)).Select(s => s.Key).ToList())
        {
            attribute.SubAttributes.Remove(name);
        }
        return attribute;
    }

    private static MutationOutcome Changed(Entity current, UpdateOutcome outcome, bool typesAdded, DateTimeOffset now)
    {
        if (outcome.Updated.Count == 0 && !typesAdded) return MutationOutcome.NoChange;
        current.ModifiedAt = now;
        return new MutationOutcome.Save(current);
    }

    /// <summary>Adds the types the entity does not have yet (4.16); whether it gained one.</summary>
    private static bool AddTypes(Entity entity, IReadOnlyList<string>? types)
    {
        var added = false;
        foreach (var type in types ?? [])
        {
            if (entity.Types.Contains(type)) continue;
            entity.Types.Add(type);
            added = true;
        }
        return added;
    }

    private static void Stamp(Entity entity, DateTimeOffset now)
    {
        entity.CreatedAt = now;
        entity.ModifiedAt = now;
        foreach (var instances in entity.Attributes.Values)
        {
            for (var i = 0; i < instances.Count; i++) instances[i] = Stamped(instances[i], now, now);
        }
    }

    private static NgsiAttribute Stamped(NgsiAttribute attribute, DateTimeOffset now, DateTimeOffset createdAt)
    {
        var stamped = attribute.Clone();
        stamped.CreatedAt = createdAt;
        stamped.ModifiedAt = now;
        foreach (var sub in stamped.SubAttributes.Values)
        {
            sub.CreatedAt = createdAt;
            sub.ModifiedAt = now;
        }
        return stamped;
    }

    private static MutationOutcome.Fail NotFound(string id, string? attribute = null, string? datasetId = null) =>
        new(NgsiLdException.NotFound(attribute is null
            ? $"Entity {id} does not exist."
            : datasetId is null
                ? $"Entity {id} has no attribute {attribute} (default instance)."
                : $"Entity {id} has no instance of attribute {attribute} with datasetId {datasetId}."));
}
