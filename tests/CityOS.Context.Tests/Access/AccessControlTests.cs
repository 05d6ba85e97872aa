using CityOS.Context.Access;
using CityOS.Context.Tests.JsonLd;
using CityOS.Core.Security;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Tests.Access;

/// <summary>
/// How the enforcement point reads policy names: short names under the core context, or under the configured
/// PolicyContext; full IRIs as they are. The policy decision itself is the identity block's (tested there), so a
/// fixed decision stands in for it here.
/// </summary>
public sealed class AccessControlTests(ContextServer server) : IClassFixture<ContextServer>, IDisposable
{
    private const string Id = "urn:ngsi-ld:ParkingSpot:1";
    private readonly JsonLdTestServices _jsonLd = new();

    private sealed class FixedPolicy(AccessScope scope) : IAccessPolicy
    {
        public ValueTask<AccessDecision> DecideAsync(CallerIdentity caller, AccessAction action, AccessResource resource, CancellationToken ct) =>
            ValueTask.FromResult(AccessDecision.Deny("fixed"));

        public ValueTask<AccessScope> ScopeAsync(CallerIdentity caller, string tenant, AccessAction action, CancellationToken ct) =>
            ValueTask.FromResult(scope);
    }

    private async Task<EntityAccess> ReadAccessAsync(string? policyContext)
    {
        var grant = new AccessGrant(["ParkingSpot"], [], ["occupancy", "https://other.example/full"]);
        var services = new ServiceCollection().AddSingleton<IAccessPolicy>(new FixedPolicy(new AccessScope(false, [grant]))).BuildServiceProvider();
        var control = new AccessControl(Options.Create(new SecurityOptions { Enabled = true, PolicyContext = policyContext }), _jsonLd.Resolver, services);
        return await control.ForCallerAsync(new CallerIdentity { Subject = "resident-1" }, "city-a", [AccessAction.Read], default);
    }

    [Fact]
    public async Task Short_names_expand_under_the_core_context_and_full_iris_stay_as_they_are()
    {
        var access = await ReadAccessAsync(null);
        const string Default = "https://uri.etsi.org/ngsi-ld/default-context/";
        Assert.True(access.Permits(AccessAction.Read, [Default + "ParkingSpot"], Id));
        Assert.False(access.Permits(AccessAction.Read, ["https://smartdata.example/ParkingSpot"], Id));
        Assert.Equal(["https://other.example/full", Default + "occupancy"], access.AttributesFor(AccessAction.Read, [Default + "ParkingSpot"], Id)!.Order());
    }

    [Fact]
    public async Task Short_names_expand_under_the_configured_policy_context()
    {
        var url = server.Serve("/policy-context.jsonld", """
            {"@context": {"ParkingSpot": "https://smartdata.example/ParkingSpot", "occupancy": "https://smartdata.example/occupancy"}}
            """);
        var access = await ReadAccessAsync(url);
        Assert.True(access.Permits(AccessAction.Read, ["https://smartdata.example/ParkingSpot"], Id));
        Assert.False(access.Permits(AccessAction.Read, ["https://uri.etsi.org/ngsi-ld/default-context/ParkingSpot"], Id));
        Assert.Equal(["https://other.example/full", "https://smartdata.example/occupancy"],
            access.AttributesFor(AccessAction.Read, ["https://smartdata.example/ParkingSpot"], Id)!.Order());
    }

    public void Dispose() => _jsonLd.Dispose();
}
