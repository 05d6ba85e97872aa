using System.Net;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Discovery of types and attributes (5.7.5–5.7.10).</summary>
public sealed class DiscoveryApiTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task<string> TenantAsync()
    {
        var tenant = "d" + Guid.NewGuid().ToString("N")[..12];
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Bus:1", "type": "Bus", "speed": {"type": "Property", "value": 40}, "route": {"type": "Relationship", "object": "urn:ngsi-ld:Route:7"}}""", tenant);
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Bus:2", "type": "Bus", "speed": {"type": "Property", "value": 30}}""", tenant);
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Stop:1", "type": "Stop", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [135.5, 34.7]}}}""", tenant);
        return tenant;
    }

    [Fact]
    public async Task Types_list_and_details()
    {
        var tenant = await TenantAsync();

        var list = await (await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/types", tenant: tenant))).BodyAsync();
        Assert.Equal("EntityTypeList", list["type"]!.GetValue<string>());
        Assert.StartsWith("urn:ngsi-ld:EntityTypeList:", list["id"]!.GetValue<string>());
        Assert.Equal(["Bus", "Stop"], list["typeList"]!.AsArray().Select(t => t!.GetValue<string>()));

        var details = (await (await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/types?details=true", tenant: tenant))).BodyAsync()).AsArray();
        var bus = details.Single(t => t!["typeName"]!.GetValue<string>() == "Bus")!;
        Assert.Equal("EntityType", bus["type"]!.GetValue<string>());
        Assert.Equal(["route", "speed"], bus["attributeNames"]!.AsArray().Select(a => a!.GetValue<string>()).Order());

        var info = await (await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/types/Bus", tenant: tenant))).BodyAsync();
        Assert.Equal("EntityTypeInfo", info["type"]!.GetValue<string>());
        Assert.Equal(2, info["entityCount"]!.GetValue<int>());
        var route = info["attributeDetails"]!.AsArray().Single(a => a!["attributeName"]!.GetValue<string>() == "route")!;
        Assert.Equal(["Relationship"], route["attributeTypes"]!.AsArray().Select(a => a!.GetValue<string>()));

        await (await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/types/Tram", tenant: tenant))).AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Attributes_list_and_details()
    {
        var tenant = await TenantAsync();

        var list = await (await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/attributes", tenant: tenant))).BodyAsync();
        Assert.Equal("AttributeList", list["type"]!.GetValue<string>());
        Assert.Equal(["location", "route", "speed"], list["attributeList"]!.AsArray().Select(a => a!.GetValue<string>()).Order());

        var speed = await (await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/attributes/speed", tenant: tenant))).BodyAsync();
        Assert.Equal("Attribute", speed["type"]!.GetValue<string>());
        Assert.Equal(2, speed["attributeCount"]!.GetValue<int>());
        Assert.Equal(["Bus"], speed["typeNames"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(["Property"], speed["attributeTypes"]!.AsArray().Select(a => a!.GetValue<string>()));

        var details = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/attributes?details=true", tenant: tenant));
        Assert.Equal(HttpStatusCode.OK, details.StatusCode);
        var detailed = (await details.BodyAsync()).AsArray();
        Assert.Equal(3, detailed.Count);
        var speedDetails = detailed.Single(a => a!["attributeName"]!.GetValue<string>() == "speed")!.AsObject();
        Assert.Equal(["id", "type", "attributeName", "typeNames"], speedDetails.Select(p => p.Key));

        await (await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/attributes/color", tenant: tenant))).AssertProblemAsync(404, "ResourceNotFound");
    }
}
