using CityOS.Core.Security;
using CityOS.Identity.Storage;
using CityOS.Identity.Tokens;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Rules;

/// <summary>
/// The <see cref="IAccessPolicy"/> of this City OS: a <see cref="PolicyDecisionPoint"/> over the stored
/// policies, rebuilt when a policy changes through this process (and at most every few seconds otherwise,
/// for changes made by the CLI).
/// </summary>
public sealed class AccessPolicy(IIdentityStore store, IssuerUrl issuer, IOptions<IdentityOptions> options, TimeProvider time) : IAccessPolicy
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _reload = new(1, 1);
    private (PolicyDecisionPoint Pdp, DateTimeOffset Loaded)? _current;

    public async ValueTask<AccessDecision> DecideAsync(CallerIdentity caller, AccessAction action, AccessResource resource, CancellationToken ct)
    {
        var pdp = await CurrentAsync(ct);
        return pdp.Decide(caller, action, resource, time.GetUtcNow());
    }

    public async ValueTask<AccessScope> ScopeAsync(CallerIdentity caller, string tenant, AccessAction action, CancellationToken ct)
    {
        var pdp = await CurrentAsync(ct);
        return pdp.Scope(caller, action, tenant, time.GetUtcNow());
    }

    /// <summary>Forgets the loaded policies so the next decision reads them again.</summary>
    public void Invalidate() => _current = null;

    private async ValueTask<PolicyDecisionPoint> CurrentAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_current is { } fresh && now - fresh.Loaded < MaxAge) return fresh.Pdp;
        await _reload.WaitAsync(ct);
        try
        {
            if (_current is { } loaded && now - loaded.Loaded < MaxAge) return loaded.Pdp;
            var pdp = new PolicyDecisionPoint(await store.ListPoliciesAsync(ct), options.Value.AnonymousReadTenants, issuer.Value);
            _current = (pdp, now);
            return pdp;
        }
        finally
        {
            _reload.Release();
        }
    }
}
