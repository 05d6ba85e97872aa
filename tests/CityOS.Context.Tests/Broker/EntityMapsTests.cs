using System.Net;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>EntityMaps (GS CIM 009 1.9.1, 5.14): made from a query, retrieved, updated and deleted, per tenant.</summary>
public sealed class EntityMapsTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task<(string Type, string Slow, string Fast)> TwoVehiclesAsync()
    {
        var type = "Vehicle" + Guid.NewGuid().ToString("N")[..8];
        var slow = Unique(type);
        var fast = Unique(type);
        foreach (var (id, speed) in new[] { (slow, 20), (fast, 80) })
        {
            var created = await _client.PostAsync("/ngsi-ld/v1/entities",
                Json($$$"""{"id": "{{{id}}}", "type": "{{{type}}}", "speed": {"type": "Property", "value": {{{speed}}}}}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        return (type, slow, fast);
    }

    private static string MapId(HttpResponseMessage response) =>
        response.Headers.GetValues("NGSILD-EntityMap").Single().Split('/')[^1];

    [Fact]
    public async Task A_query_makes_a_map_of_the_matching_entities()
    {
        var (type, slow, fast) = await TwoVehiclesAsync();

        var all = await _client.GetAsync($"/ngsi-ld/v1/entityMaps?type={type}");
        Assert.Equal(HttpStatusCode.Created, all.StatusCode);
        var body = await all.BodyAsync();
        Assert.Equal("EntityMap", body["type"]!.GetValue<string>());
        Assert.Equal("""["@none"]""", body["entityMap"]![slow]!.ToJsonString());
        Assert.NotNull(body["entityMap"]![fast]);

        var narrowed = await (await _client.GetAsync($"/ngsi-ld/v1/entityMaps?type={type}&q=speed>50")).BodyAsync();
        Assert.NotNull(narrowed["entityMap"]![fast]);
        Assert.Null(narrowed["entityMap"]![slow]);

        var retrieved = await _client.GetAsync($"/ngsi-ld/v1/entityMaps/{Uri.EscapeDataString(MapId(all))}");
        Assert.Equal(HttpStatusCode.OK, retrieved.StatusCode);
        Assert.NotNull((await retrieved.BodyAsync())["entityMap"]![slow]);
    }

    [Theory]
    [InlineData("id=urn:ngsi-ld:Vehicle:one")]
    [InlineData("type=Vehicle&entityMapLifetime=1hour")]
    public async Task A_too_wide_query_or_a_bad_lifetime_is_bad_request_data(string query)
    {
        var response = await _client.GetAsync("/ngsi-ld/v1/entityMaps?" + query);

        await response.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task The_broker_bounds_the_lifetime_and_only_expires_at_can_be_changed()
    {
        var (type, slow, _) = await TwoVehiclesAsync();
        var created = await _client.GetAsync($"/ngsi-ld/v1/entityMaps?type={type}&entityMapLifetime=P3650D");
        var expiresAt = DateTimeOffset.Parse((await created.BodyAsync())["expiresAt"]!.GetValue<string>());
        Assert.InRange(expiresAt, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(30));
        var path = $"/ngsi-ld/v1/entityMaps/{Uri.EscapeDataString(MapId(created))}";

        var patched = await _client.PatchAsync(path, Json("""{"expiresAt": "2099-01-01T00:00:00Z", "entityMap": {"urn:ngsi-ld:Vehicle:injected": ["@none"]}}"""));
        Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        var map = await (await _client.GetAsync(path)).BodyAsync();
        Assert.Null(map["entityMap"]!["urn:ngsi-ld:Vehicle:injected"]);
        Assert.NotNull(map["entityMap"]![slow]);
        Assert.True(DateTimeOffset.Parse(map["expiresAt"]!.GetValue<string>()) < new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero));

        await (await _client.PatchAsync(path, Json("""{"expiresAt": "tomorrow"}"""))).AssertProblemAsync(400, "BadRequestData");

        Assert.Equal(HttpStatusCode.NoContent, (await _client.PatchAsync(path, Json("""{"expiresAt": "2000-01-01T00:00:00Z"}"""))).StatusCode);
        await (await _client.GetAsync(path)).AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task A_map_is_its_tenants_and_deleted_once()
    {
        var (type, _, _) = await TwoVehiclesAsync();
        var created = await _client.GetAsync($"/ngsi-ld/v1/entityMaps?type={type}");
        var path = $"/ngsi-ld/v1/entityMaps/{Uri.EscapeDataString(MapId(created))}";

        await (await _client.SendAsync(Request(HttpMethod.Get, path, tenant: "maps-other"))).AssertProblemAsync(404, "ResourceNotFound");
        await (await _client.SendAsync(Request(HttpMethod.Delete, path, tenant: "maps-other"))).AssertProblemAsync(404, "ResourceNotFound");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(path)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync(path)).StatusCode);
        await (await _client.GetAsync(path)).AssertProblemAsync(404, "ResourceNotFound");
        await (await _client.DeleteAsync(path)).AssertProblemAsync(404, "ResourceNotFound");
        await (await _client.GetAsync("/ngsi-ld/v1/entityMaps/not%20a%20uri")).AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task A_map_made_on_the_entity_query_fixes_later_pages_and_loses_deleted_entities()
    {
        var (type, slow, fast) = await TwoVehiclesAsync();
        var third = Unique(type);
        Assert.Equal(HttpStatusCode.Created, (await _client.PostAsync("/ngsi-ld/v1/entities",
            Json($$$"""{"id": "{{{third}}}", "type": "{{{type}}}", "speed": {"type": "Property", "value": 60}}"""))).StatusCode);

        var made = await _client.GetAsync($"/ngsi-ld/v1/entities?type={type}&entityMap=true");
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        Assert.Equal(3, (await made.BodyAsync()).AsArray().Count);
        var location = made.Headers.GetValues("NGSILD-EntityMap").Single();

        var late = Unique(type);
        Assert.Equal(HttpStatusCode.Created, (await _client.PostAsync("/ngsi-ld/v1/entities",
            Json($$$"""{"id": "{{{late}}}", "type": "{{{type}}}"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{slow}")).StatusCode);

        var request = Request(HttpMethod.Get, $"/ngsi-ld/v1/entities?type={type}&limit=1&count=true");
        request.Headers.Add("NGSILD-EntityMap", location);
        var page = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(location, page.Headers.GetValues("NGSILD-EntityMap").Single());
        Assert.Equal("2", page.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Single((await page.BodyAsync()).AsArray());
        Assert.Contains("rel=\"next\"", page.Headers.GetValues("Link").Single(l => l.Contains("next")));

        var map = await (await _client.GetAsync($"/ngsi-ld/v1/entityMaps/{Uri.EscapeDataString(location.Split('/')[^1])}")).BodyAsync();
        Assert.Null(map["entityMap"]![slow]);
        Assert.Null(map["entityMap"]![late]);
        Assert.NotNull(map["entityMap"]![fast]);
    }
}
