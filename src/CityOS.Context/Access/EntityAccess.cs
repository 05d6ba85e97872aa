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
    private WriteAuthorization? _writes;

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
    public bool Permits(AccessAction action, IReadOnlyList<string> types, string id) => Permits(Scope(action), types, id);

    /// <summary>The attributes of such an entity the caller may <paramref name="action"/>: null for all.</summary>
    public IReadOnlySet<string>? AttributesFor(AccessAction action, IReadOnlyList<string> types, string id) => AttributesFor(Scope(action), types, id);

    private static bool Permits(AccessScope scope, IReadOnlyList<string> types, string id)
    {
        if (scope.Unrestricted) return true;
        foreach (var type in types)
        {
            if (scope.Permits(type, id)) return true;
        }
        return false;
    }

    private static HashSet<string>? AttributesFor(AccessScope scope, IReadOnlyList<string> types, string id)
    {
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
    public Entity? Visible(Entity entity) => View(Scope(AccessAction.Read), entity);

    /// <summary>The entity as a caller with this read scope may read it (see <see cref="Visible"/>).</summary>
    public static Entity? View(AccessScope readable, Entity entity)
    {
        if (readable.Unrestricted) return entity;
        if (!Permits(readable, entity.Types, entity.Id)) return null;
        var allowed = AttributesFor(readable, entity.Types, entity.Id);
        if (allowed is null) return entity;
        var view = new Entity
        {
            Id = entity.Id,
            Types = entity.Types,
            Scopes = entity.Scopes,
            CreatedAt = entity.CreatedAt,
            ModifiedAt = entity.ModifiedAt,
        };
        foreach (var (name, instances) in entity.Attributes)
        {
            if (allowed.Contains(name)) view.Attributes[name] = instances;
        }
        return view.Attributes.Count == entity.Attributes.Count ? entity : view;
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
    /// The mutation with the caller's write grants attached as data (<see cref="WriteAuthorization"/>), checked by the
    /// store on the mutator's outcome; itself when the caller may create, update and delete everything.
    /// </summary>
    public EntityMutation Guard(EntityMutation mutation)
    {
        if (IsUnrestricted(AccessAction.Create) && IsUnrestricted(AccessAction.Update) && IsUnrestricted(AccessAction.Delete)) return mutation;
        return mutation with { Authorization = _writes ??= new WriteAuthorization(this) };
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

    private static string Name(AccessAction action) => action.ToString().ToLowerInvariant();
}
