using CityOS.Context.Model;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Security;

namespace CityOS.Context.Access;

/// <summary>
/// A caller's write grants (<see cref="Create"/>, <see cref="Update"/>, <see cref="Delete"/>), as data attached to
/// an <see cref="EntityMutation"/>, and the one rule that checks them on a mutator's outcome: creating needs Create
/// on the new entity and each of its attributes; changing needs Update on the entity (and on each type a merge
/// adds) and on each attribute added, changed or removed; deleting the entity needs Delete. A refused mutation
/// fails and the store changes nothing. The store runs it inside its read-modify-write
/// (<see cref="EntityMutation.Decide"/>), since the decision depends on the entity's current state.
/// </summary>
public sealed class WriteAuthorization
{
    private readonly EntityAccess _access;

    internal WriteAuthorization(EntityAccess access) => _access = access;

    public AccessScope Create => _access.Scope(AccessAction.Create);
    public AccessScope Update => _access.Scope(AccessAction.Update);
    public AccessScope Delete => _access.Scope(AccessAction.Delete);

    /// <summary>The mutator's outcome on this current state, or a failure with 401/403 when the grants do not allow it.</summary>
    public MutationOutcome Decide(Entity? current, EntityMutator apply)
    {
        var before = current is null ? null : Snapshot.Of(current);
        var outcome = apply(current);
        var refusal = outcome switch
        {
            MutationOutcome.Save save when before is null => CheckCreate(save.Entity),
            MutationOutcome.Save save => CheckUpdate(before, save.Entity),
            MutationOutcome.Delete when before is not null => CheckDelete(before),
            _ => null,
        };
        return refusal is null ? outcome : new MutationOutcome.Fail(refusal);
    }

    private NgsiLdException? CheckCreate(Entity created)
    {
        if (!_access.Permits(AccessAction.Create, created.Types, created.Id)) return _access.Denied($"create entity {created.Id}");
        var allowed = _access.AttributesFor(AccessAction.Create, created.Types, created.Id);
        var refused = allowed is null ? null : created.Attributes.Keys.FirstOrDefault(a => !allowed.Contains(a));
        return refused is null ? null : _access.Denied($"create attribute {refused} of entity {created.Id}");
    }

    private NgsiLdException? CheckUpdate(Snapshot before, Entity after)
    {
        if (!_access.Permits(AccessAction.Update, before.Types, before.Id)) return _access.Denied($"update entity {before.Id}");
        var added = after.Types.FirstOrDefault(t => !before.Types.Contains(t) && !_access.Permits(AccessAction.Update, [t], after.Id));
        if (added is not null) return _access.Denied($"give entity {before.Id} the type {added}");
        var allowedBefore = _access.AttributesFor(AccessAction.Update, before.Types, before.Id);
        var allowedAfter = _access.AttributesFor(AccessAction.Update, after.Types, after.Id);
        if (allowedBefore is null && allowedAfter is null) return null;
        foreach (var name in before.Touched(after))
        {
            if (allowedBefore?.Contains(name) == false || allowedAfter?.Contains(name) == false)
            {
                return _access.Denied($"update attribute {name} of entity {before.Id}");
            }
        }
        return null;
    }

    private NgsiLdException? CheckDelete(Snapshot before) =>
        _access.Permits(AccessAction.Delete, before.Types, before.Id) ? null : _access.Denied($"delete entity {before.Id}");

    /// <summary>An entity's types and attribute instances before a mutator ran (mutators change lists in place but never instances).</summary>
    private sealed class Snapshot
    {
        public required string Id { get; init; }
        public required string[] Types { get; init; }
        public required Dictionary<string, NgsiAttribute[]> Attributes { get; init; }

        public static Snapshot Of(Entity entity) => new()
        {
            Id = entity.Id,
            Types = entity.Types.ToArray(),
            Attributes = entity.Attributes.ToDictionary(a => a.Key, a => a.Value.ToArray(), StringComparer.Ordinal),
        };

        /// <summary>Attributes added, removed, or with an instance added, removed or replaced.</summary>
        public IEnumerable<string> Touched(Entity after)
        {
            foreach (var (name, instances) in after.Attributes)
            {
                if (!Attributes.TryGetValue(name, out var old) || !old.SequenceEqual(instances, ReferenceEqualityComparer.Instance)) yield return name;
            }
            foreach (var name in Attributes.Keys)
            {
                if (!after.Attributes.ContainsKey(name)) yield return name;
            }
        }
    }
}
