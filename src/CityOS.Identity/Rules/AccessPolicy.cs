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
/// <remarks>
/// The decision point in use is one immutable snapshot behind one reference: a decision reads the reference once
/// (<see cref="Volatile"/>) and decides on that snapshot alone, a reload publishes a whole new one. <see cref="Invalidate"/>
/// moves to a new generation, so a reload that read the store before the change can never pass for the current one.
/// </remarks>
public sealed class AccessPolicy(IIdentityStore store, IssuerUrl issuer, IOptions<IdentityOptions> options, TimeProvider time) : IAccessPolicy
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _reload = new(1, 1);
    private Snapshot? _current;
    private long _generation;

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
    public void Invalidate() => Interlocked.Increment(ref _generation);

    private async ValueTask<PolicyDecisionPoint> CurrentAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (Fresh(now) is { } fresh) return fresh;
        await _reload.WaitAsync(ct);
        try
        {
            if (Fresh(now) is { } loaded) return loaded;
            var generation = Volatile.Read(ref _generation);
            var pdp = new PolicyDecisionPoint(await store.ListPoliciesAsync(ct), options.Value.AnonymousReadTenants, issuer.Value);
            Volatile.Write(ref _current, new Snapshot(pdp, now, generation));
            return pdp;
        }
        finally
        {
            _reload.Release();
        }
    }

    private PolicyDecisionPoint? Fresh(DateTimeOffset now) =>
        Volatile.Read(ref _current) is { } snapshot && snapshot.Generation == Volatile.Read(ref _generation) && now - snapshot.Loaded < MaxAge
            ? snapshot.Pdp
            : null;

    /// <summary>The decision point built from the policies of one generation, and when they were read.</summary>
    private sealed record Snapshot(PolicyDecisionPoint Pdp, DateTimeOffset Loaded, long Generation);
}
