using CityOS.Context.Model;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Security;

namespace CityOS.Context.Access;

/// <summary>
/// What one caller may do with the entities of one tenant (AU-7), with every entity type and attribute
/// name of the grants expanded to the IRIs the store holds. Reads are filtered (an entity the caller may
/// not read does not exist for it, attributes it may not read are left out); writes outside the grant
/// fail with 403 (401 for an anonymous caller) and change nothing. An entity is covered by a grant when
/// any of its types is; the attributes a write touches must all be allowed.
/// </summary>
public sealed class EntityAccess
{
    /// <summary>Everything allowed: authentication is off, or the caller holds an unrestricted role.</summary>
    public static readonly EntityAccess Everything = new(CallerIdentity.Anonymous, "", new Dictionary<AccessAction, AccessScope>(), unrestricted: true);

    private readonly IReadOnlyDictionary<AccessAction, AccessScope> _scopes;
    private readonly bool _unrestricted;

    private EntityAccess(CallerIdentity caller, string tenant, IReadOnlyDictionary<AccessAction, AccessScope> scopes, bool unrestricted)
    {
        Caller = caller;
        Tenant = tenant;
        _scopes = scopes;
        _unrestricted = unrestricted;
    }

    /// <param name="caller">Who asks.</param>
    /// <param name="tenant">Policy name of the tenant (<see cref="SecurityTenants.Key"/>).</param>
    /// <param name="scopes">The expanded scope of each action the request may need; actions not given are denied.</param>
    public static EntityAccess For(CallerIdentity caller, string tenant, IReadOnlyDictionary<AccessAction, AccessScope> scopes) =>
        new(caller, tenant, scopes, unrestricted: false);

    public CallerIdentity Caller { get; }
    public string Tenant { get; }

    public AccessScope Scope(AccessAction action) =>
        _unrestricted ? AccessScope.Everything : _scopes.TryGetValue(action, out var scope) ? scope : AccessScope.Nothing;

    public bool IsUnrestricted(AccessAction action) => Scope(action).Unrestricted;

    /// <summary>Whether the caller may do <paramref name="action"/> on anything at all in this tenant.</summary>
    public bool MayAny(AccessAction action) => !Scope(action).IsEmpty;

    /// <summary>Throws 401/403 unless the caller may do at least one of <paramref name="actions"/> on some data of this tenant.</summary>
    public void RequireAny(params AccessAction[] actions)
    {
        if (!actions.Any(MayAny)) throw Denied(string.Join(" or ", actions.Select(Name)) + " entities");
    }

    /// <summary>Whether any grant for <paramref name="action"/> covers an entity of these types and this id.</summary>
    public bool Permits(AccessAction action, IReadOnlyList<string> types, string id)
    {
        var scope = Scope(action);
        if (scope.Unrestricted) return true;
        foreach (var type in types)
        {
            if (scope.Permits(type, id)) return true;
        }
        return false;
    }

    /// <summary>The attributes of such an entity the caller may <paramref name="action"/>: null for all.</summary>
    public IReadOnlySet<string>? AttributesFor(AccessAction action, IReadOnlyList<string> types, string id)
    {
        var scope = Scope(action);
        if (scope.Unrestricted) return null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            if (!scope.Permits(type, id)) continue;
            var allowed = scope.AttributesOf(type, id);
            if (allowed is null) return null;
            names.UnionWith(allowed);
        }
        return names;
    }

    /// <summary>
    /// The entity as the caller may read it: itself when everything is readable, a copy without the
    /// attributes the caller may not read, or null when the caller may not read the entity at all.
    /// </summary>
    public Entity? Visible(Entity entity)
    {
        if (IsUnrestricted(AccessAction.Read)) return entity;
        if (!Permits(AccessAction.Read, entity.Types, entity.Id)) return null;
        var readable = Readable(entity.Types, entity.Id, entity.Attributes.Keys);
        if (readable.Count == entity.Attributes.Count) return entity;
        var view = new Entity
        {
            Id = entity.Id,
            Types = entity.Types,
            Scopes = entity.Scopes,
            CreatedAt = entity.CreatedAt,
            ModifiedAt = entity.ModifiedAt,
        };
        foreach (var name in readable) view.Attributes[name] = entity.Attributes[name];
        return view;
    }

    /// <summary>
    /// Of these attributes of an entity, those the caller may read, in their order (none when it may not read the
    /// entity). The one read check of every query path, the entity query (through <see cref="Visible"/>) and the
    /// temporal one: attrs, q, counts and time filters are applied to what it returns, never to more, so that no
    /// result or count tells which entities hold a hidden attribute or when it changed.
    /// </summary>
    public IReadOnlyList<string> Readable(IReadOnlyList<string> types, string id, IEnumerable<string> attributes)
    {
        if (!Permits(AccessAction.Read, types, id)) return [];
        var allowed = AttributesFor(AccessAction.Read, types, id);
        return allowed is null ? attributes.ToList() : attributes.Where(allowed.Contains).ToList();
    }

    /// <summary>Whether the caller may read this attribute of the entity (the entity being visible).</summary>
    public bool MayRead(IReadOnlyList<string> types, string id, string attribute)
    {
        if (!Permits(AccessAction.Read, types, id)) return false;
        var allowed = AttributesFor(AccessAction.Read, types, id);
        return allowed is null || allowed.Contains(attribute);
    }

    /// <summary>
    /// The mutation with the caller's write grants checked on the outcome: creating needs Create on the new
    /// entity and each of its attributes; changing needs Update on the entity (and on each type a merge adds)
    /// and on each attribute added, changed or removed; deleting the entity
    /// needs Delete. A refused mutation fails and the store changes nothing.
    /// </summary>
    public EntityMutation Guard(EntityMutation mutation)
    {
        if (IsUnrestricted(AccessAction.Create) && IsUnrestricted(AccessAction.Update) && IsUnrestricted(AccessAction.Delete)) return mutation;
        var inner = mutation.Apply;
        return mutation with
        {
            Apply = current =>
            {
                var before = current is null ? null : Snapshot.Of(current);
                var outcome = inner(current);
                var refusal = outcome switch
                {
                    MutationOutcome.Save save when before is null => CheckCreate(save.Entity),
                    MutationOutcome.Save save => CheckUpdate(before, save.Entity),
                    MutationOutcome.Delete when before is not null => CheckDelete(before),
                    _ => null,
                };
                return refusal is null ? outcome : new MutationOutcome.Fail(refusal);
            },
        };
    }

    /// <summary>
    /// Throws 401/403 unless the caller may <paramref name="action"/> an entity of these types and this id and
    /// each of <paramref name="attributes"/> (for stores other than the entity store, e.g. the temporal one).
    /// </summary>
    public void Require(AccessAction action, IReadOnlyList<string> types, string id, IEnumerable<string> attributes)
    {
        if (!Permits(action, types, id)) throw Denied($"{Name(action)} entity {id}");
        var allowed = AttributesFor(action, types, id);
        if (allowed is null) return;
        var refused = attributes.FirstOrDefault(a => !allowed.Contains(a));
        if (refused is not null) throw Denied($"{Name(action)} attribute {refused} of entity {id}");
    }

    /// <summary>The error of a refused request: 401 for an anonymous caller (a token may help), 403 otherwise.</summary>
    public NgsiLdException Denied(string what) => Caller.IsAnonymous
        ? new NgsiLdException(NgsiLdErrorType.Unauthorized, $"A bearer token is required to {what} in tenant {Tenant}.")
        : new NgsiLdException(NgsiLdErrorType.Forbidden, $"{Caller.Subject} may not {what} in tenant {Tenant}.");

    private NgsiLdException? CheckCreate(Entity created)
    {
        if (!Permits(AccessAction.Create, created.Types, created.Id)) return Denied($"create entity {created.Id}");
        var allowed = AttributesFor(AccessAction.Create, created.Types, created.Id);
        var refused = allowed is null ? null : created.Attributes.Keys.FirstOrDefault(a => !allowed.Contains(a));
        return refused is null ? null : Denied($"create attribute {refused} of entity {created.Id}");
    }

    private NgsiLdException? CheckUpdate(Snapshot before, Entity after)
    {
        if (!Permits(AccessAction.Update, before.Types, before.Id)) return Denied($"update entity {before.Id}");
        var added = after.Types.FirstOrDefault(t => !before.Types.Contains(t) && !Permits(AccessAction.Update, [t], after.Id));
        if (added is not null) return Denied($"give entity {before.Id} the type {added}");
        var allowedBefore = AttributesFor(AccessAction.Update, before.Types, before.Id);
        var allowedAfter = AttributesFor(AccessAction.Update, after.Types, after.Id);
        if (allowedBefore is null && allowedAfter is null) return null;
        foreach (var name in before.Touched(after))
        {
            if (allowedBefore?.Contains(name) == false || allowedAfter?.Contains(name) == false)
            {
                return Denied($"update attribute {name} of entity {before.Id}");
            }
        }
        return null;
    }

    private NgsiLdException? CheckDelete(Snapshot before) =>
        Permits(AccessAction.Delete, before.Types, before.Id) ? null : Denied($"delete entity {before.Id}");

    private static string Name(AccessAction action) => action.ToString().ToLowerInvariant();

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
