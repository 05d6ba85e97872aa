using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
using CityOS.Core;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Access;

/// <summary>
/// The enforcement point of the context broker (AU-2, AU-7): turns the caller of a request and its tenant into
/// an <see cref="EntityAccess"/> by asking the policy decision point (<see cref="IAccessPolicy"/>) for the scope
/// of each action the request may need, and expanding the short type and attribute names of the policies under
/// the NGSI-LD core context (and the configured <see cref="SecurityOptions.PolicyContext"/>). With security off,
/// everything is allowed and nothing is asked.
/// </summary>
public sealed class AccessControl
{
    private readonly SecurityOptions _options;
    private readonly ILdContextResolver _resolver;
    private readonly IAccessPolicy? _policy;
    private readonly IPrincipalDirectory? _principals;

    public AccessControl(IOptions<SecurityOptions> options, ILdContextResolver resolver, IServiceProvider services)
    {
        _options = options.Value;
        _resolver = resolver;
        if (!_options.Enabled) return;
        _policy = services.GetService<IAccessPolicy>()
            ?? throw new InvalidOperationException("CityOS:Security:Enabled is true but no policy decision point (the identity block) is registered.");
        _principals = services.GetService<IPrincipalDirectory>();
    }

    public bool Enabled => _options.Enabled;

    /// <summary>What the caller of <paramref name="http"/> may do in <paramref name="tenant"/> for the given actions.</summary>
    public ValueTask<EntityAccess> ForAsync(HttpContext http, string? tenant, IReadOnlyList<AccessAction> actions, CancellationToken ct) =>
        ForCallerAsync(http.Caller(), tenant, actions, ct);

    /// <summary>What <paramref name="caller"/> may do in <paramref name="tenant"/> (also outside a request, e.g. for a subscription's owner).</summary>
    public async ValueTask<EntityAccess> ForCallerAsync(CallerIdentity caller, string? tenant, IReadOnlyList<AccessAction> actions, CancellationToken ct)
    {
        if (_policy is null) return EntityAccess.Everything;
        var key = SecurityTenants.Key(tenant);
        Dictionary<AccessAction, AccessScope>? scopes = null;
        foreach (var action in actions)
        {
            var scope = await _policy.ScopeAsync(caller, key, action, ct);
            if (scope.Unrestricted && scopes is null) continue;
            scopes ??= actions.ToDictionary(a => a, _ => AccessScope.Everything);
            scopes[action] = await ExpandAsync(scope, ct);
        }
        // The common case of a role that grants everything asked costs no allocation.
        return scopes is null ? EntityAccess.Everything : EntityAccess.For(caller, key, scopes);
    }

    /// <summary>
    /// What the owner of a long-lived grant (a subscription) may do now: its live identity with its current roles, or nothing
    /// at all once the owner was removed or disabled (see <see cref="IPrincipalDirectory"/>). No owner is an anonymous caller.
    /// </summary>
    public async ValueTask<EntityAccess> ForOwnerAsync(CallerIdentity? owner, string? tenant, IReadOnlyList<AccessAction> actions, CancellationToken ct)
    {
        if (_policy is null) return EntityAccess.Everything;
        var current = await CurrentOwnerAsync(owner, ct);
        return current is null
            ? EntityAccess.For(owner!, SecurityTenants.Key(tenant), actions.ToDictionary(a => a, _ => AccessScope.Nothing))
            : await ForCallerAsync(current, tenant, actions, ct);
    }

    /// <summary>The owner as it is now; null when it was removed or disabled (never with security off or without an owner).</summary>
    public async ValueTask<CallerIdentity?> CurrentOwnerAsync(CallerIdentity? owner, CancellationToken ct) =>
        owner is null ? CallerIdentity.Anonymous : _principals is null ? owner : await _principals.CurrentAsync(owner, ct);

    /// <summary>As <see cref="ForAsync"/>, refusing at once (401/403) a caller who may do none of the actions on anything in the tenant.</summary>
    public ValueTask<EntityAccess> RequireAsync(HttpContext http, string? tenant, AccessAction[] actions, CancellationToken ct) =>
        RequireAsync(http.Caller(), tenant, actions, ct);

    /// <summary>As <see cref="ForCallerAsync"/>, refusing at once (401/403) a caller who may do none of the actions on anything in the tenant.</summary>
    public async ValueTask<EntityAccess> RequireAsync(CallerIdentity caller, string? tenant, AccessAction[] actions, CancellationToken ct)
    {
        var access = await ForCallerAsync(caller, tenant, actions, ct);
        access.RequireAny(actions);
        return access;
    }

    /// <summary>Whether the caller of the request may administer the tenant (e.g. see every subscription); true with security off.</summary>
    public async ValueTask<bool> AdministersAsync(HttpContext http, string? tenant, CancellationToken ct) =>
        _policy is null || (await _policy.DecideAsync(http.Caller(), AccessAction.Admin, new AccessResource(SecurityTenants.Key(tenant)), ct)).Allowed;

    /// <summary>A decision on a resource that is not an entity (a subscription, a hosted @context): 401/403 when refused.</summary>
    public async ValueTask RequireAsync(HttpContext http, AccessAction action, AccessResource resource, CancellationToken ct)
    {
        if (_policy is null) return;
        var caller = http.Caller();
        var decision = await _policy.DecideAsync(caller, action, resource, ct);
        if (decision.Allowed) return;
        throw caller.IsAnonymous
            ? new NgsiLdException(NgsiLdErrorType.Unauthorized, $"A bearer token is required: {decision.Reason}.")
            : new NgsiLdException(NgsiLdErrorType.Forbidden, decision.Reason + ".");
    }

    private async ValueTask<AccessScope> ExpandAsync(AccessScope scope, CancellationToken ct)
    {
        if (scope.Unrestricted || scope.IsEmpty) return scope;
        var terms = _options.PolicyContext is { Length: > 0 } url ? await _resolver.ResolveAsync(JsonValue.Create(url), ct) : _resolver.Core;
        return new AccessScope(false, scope.Grants
            .Select(g => new AccessGrant(
                g.EntityTypes.Select(terms.ExpandTerm).ToArray(),
                g.IdPatterns,
                g.Attributes.Select(terms.ExpandTerm).ToArray()))
            .ToArray());
    }
}
