using CityOS.Core.Security;
using CityOS.Identity.Model;

namespace CityOS.Identity.Rules;

/// <summary>
/// Decides access from a fixed set of policies (AU-2, AU-7), deny by default. Grants come from
/// three places: the built-in roles (system-admin everything everywhere; tenant-admin everything in
/// its tenant; operator read/create/update/delete/subscribe; service read/create/update/subscribe;
/// resident nothing of its own), open-data tenants (anyone may read), and <see cref="Policy"/> rules.
/// </summary>
/// <param name="policies">The stored policies.</param>
/// <param name="anonymousReadTenants">Open-data tenants.</param>
/// <param name="localIssuer">This provider's issuer: the issuer of the accounts that policies name without one.</param>
public sealed class PolicyDecisionPoint(IEnumerable<Policy> policies, IEnumerable<string> anonymousReadTenants, string? localIssuer = null)
{
    private static readonly Dictionary<string, AccessAction[]> BuiltInGrants = new(StringComparer.Ordinal)
    {
        [BuiltInRoles.SystemAdmin] = Enum.GetValues<AccessAction>(),
        [BuiltInRoles.TenantAdmin] = Enum.GetValues<AccessAction>(),
        [BuiltInRoles.Operator] = [AccessAction.Read, AccessAction.Create, AccessAction.Update, AccessAction.Delete, AccessAction.Subscribe],
        [BuiltInRoles.Service] = [AccessAction.Read, AccessAction.Create, AccessAction.Update, AccessAction.Subscribe],
        [BuiltInRoles.Resident] = [],
    };

    private readonly Policy[] _policies = policies.ToArray();
    private readonly HashSet<string> _openTenants = new(anonymousReadTenants, StringComparer.Ordinal);

    public AccessDecision Decide(CallerIdentity caller, AccessAction action, AccessResource resource, DateTimeOffset now)
    {
        if (BuiltInRole(caller, action, resource.Tenant) is { } role)
        {
            return AccessDecision.Allow($"role {role} may {Name(action)} in tenant {resource.Tenant}");
        }
        if (action == AccessAction.Read && _openTenants.Contains(resource.Tenant))
        {
            return AccessDecision.Allow($"tenant {resource.Tenant} is open data");
        }
        Policy? needsMfa = null;
        foreach (var policy in Applicable(caller, action, resource.Tenant, now, requireMfaSatisfied: false))
        {
            if (!Covers(policy, resource)) continue;
            if (policy.RequiresMfa && !caller.HasMultiFactor)
            {
                needsMfa ??= policy;
                continue;
            }
            return AccessDecision.Allow($"policy {policy.Id}");
        }
        if (needsMfa is not null)
        {
            return AccessDecision.Deny($"policy {needsMfa.Id} requires multi-factor authentication for this data");
        }
        return AccessDecision.Deny(caller.IsAnonymous
            ? $"anonymous callers may not {Name(action)} in tenant {resource.Tenant}"
            : $"no role or policy lets {caller.Subject} {Name(action)} this resource in tenant {resource.Tenant}");
    }

    /// <summary>Everything the caller may <paramref name="action"/> in <paramref name="tenant"/> now, to filter queries.</summary>
    public AccessScope Scope(CallerIdentity caller, AccessAction action, string tenant, DateTimeOffset now)
    {
        if (BuiltInRole(caller, action, tenant) is not null) return AccessScope.Everything;
        if (action == AccessAction.Read && _openTenants.Contains(tenant)) return AccessScope.Everything;
        var grants = new List<AccessGrant>();
        foreach (var policy in Applicable(caller, action, tenant, now, requireMfaSatisfied: true))
        {
            if (policy.EntityTypes.Count == 0 && policy.IdPatterns.Count == 0 && policy.Attributes.Count == 0) return AccessScope.Everything;
            grants.Add(new AccessGrant(policy.EntityTypes, policy.IdPatterns, policy.Attributes));
        }
        return grants.Count == 0 ? AccessScope.Nothing : new AccessScope(false, grants);
    }

    /// <summary>The first built-in role of the caller in the tenant (or in every tenant) that grants the action; on every request, so without allocations.</summary>
    private static string? BuiltInRole(CallerIdentity caller, AccessAction action, string tenant)
    {
        if (caller.IsAnonymous) return null;
        return Granting(caller, tenant, action) ?? (tenant == SecurityTenants.All ? null : Granting(caller, SecurityTenants.All, action));
    }

    private static string? Granting(CallerIdentity caller, string tenant, AccessAction action)
    {
        if (!caller.TenantRoles.TryGetValue(tenant, out var roles)) return null;
        foreach (var role in roles)
        {
            if (BuiltInGrants.TryGetValue(role, out var actions) && Array.IndexOf(actions, action) >= 0) return role;
        }
        return null;
    }

    private IEnumerable<Policy> Applicable(CallerIdentity caller, AccessAction action, string tenant, DateTimeOffset now, bool requireMfaSatisfied)
    {
        var roles = caller.IsAnonymous ? [] : caller.RolesIn(tenant);
        return _policies.Where(p =>
            (p.Tenant == tenant || p.Tenant == SecurityTenants.All)
            && p.Actions.Contains(action)
            && (p.NotBefore is null || p.NotBefore <= now)
            && (p.NotAfter is null || now < p.NotAfter)
            && (!requireMfaSatisfied || !p.RequiresMfa || caller.HasMultiFactor)
            && (p.Subject.Anonymous
                || (!caller.IsAnonymous && p.Subject.Account is { } account && account == caller.Subject && SameIssuer(p.Subject.Issuer ?? localIssuer, caller.Issuer))
                || (p.Subject.Role is { } role && roles.Contains(role, StringComparer.Ordinal))));
    }

    private static bool SameIssuer(string? a, string? b) => a?.TrimEnd('/') == b?.TrimEnd('/');

    private static bool Covers(Policy policy, AccessResource resource)
    {
        if (policy.EntityTypes.Count > 0 && (resource.EntityType is null || !policy.EntityTypes.Contains(resource.EntityType, StringComparer.Ordinal))) return false;
        if (policy.IdPatterns.Count > 0 && (resource.EntityId is null || !policy.IdPatterns.Any(p => IdPattern.Matches(p, resource.EntityId)))) return false;
        if (policy.Attributes.Count > 0 && (resource.Attributes is not { Count: > 0 } || !resource.Attributes.All(a => policy.Attributes.Contains(a, StringComparer.Ordinal)))) return false;
        return true;
    }

    private static string Name(AccessAction action) => action.ToString().ToLowerInvariant();
}
