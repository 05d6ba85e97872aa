using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Security;

namespace CityOS.Context.Tests.Broker;

/// <summary>
/// Entity types with counts up to a limit (<see cref="IContextreader.CountTypesAsync"/>), as a page that lists a tenant's
/// types reads them: every type in use once, its exact count up to the limit, and "more" past it.
/// </summary>
public sealed class ContextTypeCountsTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    // A tenant of this test's own, read and written by an administrator of every tenant.
    private readonly ContextCall _call = new(
        new CallerIdentity { Subject = "type-count-tests", TenantRoles = new Dictionary<string, IReadOnlyList<string>> { [SecurityTenants.All] = ["system-admin"] } },
        "type-counts-" + Guid.NewGuid().ToString("N")[..12]);

    private static JsonObject Numbered(string type, int n) => new()
    {
        ["id"] = $"urn:ngsi-ld:{type}:{n:D4}",
        ["type"] = type,
        ["reading"] = new JsonObject { ["type"] = "Property", ["value"] = n },
    };

    [Fact]
    public async Task Each_type_is_counted_exactly_up_to_the_limit_and_as_more_past_it()
    {
        var reader = host.Services.GetRequiredService<IContextReader>();
        var writer = host.Services.GetRequiredService<IContextWriter>();
        var entities = Enumerable.Range(0, 12).Select(n => Numbered("Sensor", n))
            .Concat(Enumerable.Range(0, 3).Select(n => Numbered("Meter", n)))
            .Append(new JsonObject { ["id"] = "urn:ngsi-ld:Kiosk:0001", ["type"] = new JsonArray("Kiosk", "Shop") })
            .ToList();
        Assert.Empty((await writer.UpsertBatchAsync(_call, entities, update: false, default)).Errors);
        await writer.DeleteEntityAsync(_call, "urn:ngsi-ld:Meter:0002", default);

        var counts = await reader.CountTypesAsync(_call, null, 10, default);
        Assert.Equal(
            [new ContextTypeCount("Kiosk", 1, false), new ContextTypeCount("Meter", 2, false), new ContextTypeCount("Sensor", 10, true), new ContextTypeCount("Shop", 1, false)],
            counts);
        Assert.Equal(["Kiosk", "Meter", "Sensor", "Shop"], await reader.ListTypesAsync(_call, default));

        Assert.Equal([new ContextTypeCount("Sensor", 12, false)], await reader.CountTypesAsync(_call, "Sensor", 12, default));
        Assert.Equal([new ContextTypeCount("Meter", 0, true)], await reader.CountTypesAsync(_call, "Meter", 0, default));
        Assert.Empty(await reader.CountTypesAsync(_call, "Bus", 10, default));

        var refused = await Assert.ThrowsAsync<ContextException>(() => reader.CountTypesAsync(_call, null, -1, default));
        Assert.Equal(ContextErrorKind.BadRequest, refused.Kind);
        var missing = await Assert.ThrowsAsync<ContextException>(() => reader.CountTypesAsync(_call with { Tenant = "no-such-" + _call.Tenant }, null, 10, default));
        Assert.Equal(ContextErrorKind.TenantNotFound, missing.Kind);
    }
}
