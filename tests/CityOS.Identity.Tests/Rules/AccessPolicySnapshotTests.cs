using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Storage;

namespace CityOS.Identity.Tests.Rules;

/// <summary>
/// The decision point in use is replaced while decisions run: each decision is that of the policy set before or after a
/// replacement, never a mixture, and after the replacement is announced (<see cref="AccessPolicy.Invalidate"/>) the new set decides.
/// </summary>
public class AccessPolicySnapshotTests(IdentityTestHost host) : IClassFixture<IdentityTestHost>
{
    [Fact]
    public async Task Decisions_made_while_policies_are_replaced_follow_the_old_or_the_new_set()
    {
        var tenant = "swap-" + Guid.NewGuid().ToString("N");
        var caller = new CallerIdentity
        {
            Subject = "acc-watcher",
            Issuer = host.Issuer,
            TenantRoles = new Dictionary<string, IReadOnlyList<string>> { [tenant] = ["watcher"] },
        };
        Policy Grant(string type) => new()
        {
            Id = "swap-" + tenant, Tenant = tenant, Subject = new(Role: "watcher"), Actions = [AccessAction.Read], EntityTypes = [type],
        };
        var sets = new[] { Grant("Old"), Grant("New") };
        var now = host.Clock.GetUtcNow();
        var expected = sets.Select(p => new PolicyDecisionPoint([p], ["opendata"], host.Issuer)).Select(pdp => (
            Old: pdp.Decide(caller, AccessAction.Read, new(tenant, "Old"), now),
            New: pdp.Decide(caller, AccessAction.Read, new(tenant, "New"), now),
            Scope: string.Join(",", pdp.Scope(caller, AccessAction.Read, tenant, now).Grants.SelectMany(g => g.EntityTypes)))).ToArray();
        Assert.NotEqual(expected[0], expected[1]);

        var store = host.Services.GetRequiredService<IIdentityStore>();
        var policy = host.Services.GetRequiredService<AccessPolicy>();
        await store.SavePolicyAsync(sets[0], default);
        policy.Invalidate();

        using var replacing = new CancellationTokenSource();
        var seen = new System.Collections.Concurrent.ConcurrentBag<(AccessDecision Old, AccessDecision New, string Scope)>();
        var deciders = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            do
            {
                seen.Add((
                    await policy.DecideAsync(caller, AccessAction.Read, new(tenant, "Old"), default),
                    await policy.DecideAsync(caller, AccessAction.Read, new(tenant, "New"), default),
                    string.Join(",", (await policy.ScopeAsync(caller, tenant, AccessAction.Read, default)).Grants.SelectMany(g => g.EntityTypes))));
            }
            while (!replacing.IsCancellationRequested);
        })).ToArray();
        // The replacements start once the deciders run (on a busy machine the pool may start them late).
        for (var waited = 0; seen.Count < deciders.Length && waited < 10_000; waited += 10) await Task.Delay(10);
        for (var i = 1; i <= 40; i++)
        {
            await store.SavePolicyAsync(sets[i % 2], default);
            policy.Invalidate();
            // Announced: whatever a decider loaded before, the next decision reads the set just saved.
            Assert.Equal(expected[i % 2].Old, await policy.DecideAsync(caller, AccessAction.Read, new(tenant, "Old"), default));
            Assert.Equal(expected[i % 2].Scope, string.Join(",", (await policy.ScopeAsync(caller, tenant, AccessAction.Read, default)).Grants.SelectMany(g => g.EntityTypes)));
        }
        await replacing.CancelAsync();
        await Task.WhenAll(deciders);

        Assert.NotEmpty(seen);
        foreach (var (old, @new, scope) in seen)
        {
            Assert.Contains(old, expected.Select(e => e.Old));
            Assert.Contains(@new, expected.Select(e => e.New));
            Assert.Contains(scope, expected.Select(e => e.Scope));
        }
    }
}
