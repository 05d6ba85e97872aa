using System.Net;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Transient entities and attributes (4.22, V1.9.1): expiresAt on the entity and on attribute instances, shown with sysAttrs (6.3.11).</summary>
public sealed class TransientEntityTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private const string Past = "2020-01-01T00:00:00Z";
    private const string Future = "2100-01-01T00:00:00Z";

    private readonly HttpClient _client = host.Client;

    [Fact]
    public async Task ExpiresAt_is_shown_with_sysAttrs_only_on_the_entity_and_on_every_attribute()
    {
        var id = await VehicleAsync($$$"""
            "expiresAt": "{{{Future}}}",
            "speed": {"type": "Property", "value": 7, "expiresAt": "{{{Future}}}", "accuracy": {"type": "Property", "value": 1, "expiresAt": "{{{Future}}}"}},
            "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Person:1", "expiresAt": "{{{Future}}}"}
            """);

        var plain = await _client.GetAsync($"/ngsi-ld/v1/entities/{id}");
        var system = await _client.GetEntityAsync(id, "?options=sysAttrs");

        Assert.DoesNotContain("expiresAt", await plain.Content.ReadAsStringAsync());
        Assert.Equal(Future, system["expiresAt"]!.GetValue<string>());
        Assert.Equal(Future, system["speed"]!["expiresAt"]!.GetValue<string>());
        Assert.Equal(Future, system["speed"]!["accuracy"]!["expiresAt"]!.GetValue<string>());
        Assert.Equal(Future, system["owner"]!["expiresAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_expired_entity_is_not_found_nor_queried_and_its_id_is_free_again()
    {
        var type = "Transient" + Guid.NewGuid().ToString("N")[..8];
        var id = Unique(type);
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "{{{type}}}", "expiresAt": "{{{Past}}}", "name": {"type": "Property", "value": "gone"}}""");

        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
        Assert.Empty(await _client.QueryAsync($"type={type}"));
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "{{{type}}}", "name": {"type": "Property", "value": "back"}}""");
        Assert.Equal("back", (await _client.GetEntityAsync(id))["name"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_expired_attribute_instance_is_gone_and_its_durable_siblings_stay()
    {
        var id = await VehicleAsync($$"""
            "temperature": {"type": "Property", "value": 21, "expiresAt": "{{Past}}"},
            "humidity": {"type": "Property", "value": 60},
            "speed": [{"type": "Property", "value": "ephemeral", "datasetId": "urn:ngsi-ld:dataset:gps", "expiresAt": "{{Past}}"},
                      {"type": "Property", "value": "durable", "datasetId": "urn:ngsi-ld:dataset:odometer"}]
            """);

        var entity = await _client.GetEntityAsync(id);

        Assert.Null(entity["temperature"]);
        Assert.Equal(60, entity["humidity"]!["value"]!.GetValue<int>());
        var speed = entity["speed"] is System.Text.Json.Nodes.JsonArray instances ? Assert.Single(instances) : entity["speed"];
        Assert.Equal("durable", speed!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Merge_sets_the_expiry_replacing_an_attribute_clears_it_and_a_partial_update_keeps_it()
    {
        var id = await VehicleAsync($$"""
            "temperature": {"type": "Property", "value": 1, "expiresAt": "{{Future}}"},
            "humidity": {"type": "Property", "value": 50, "expiresAt": "{{Future}}"}
            """);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs", Json("""{"temperature": {"type": "Property", "value": 2}}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/humidity", Json("""{"type": "Property", "value": 51}"""))).StatusCode);
        var system = await _client.GetEntityAsync(id, "?options=sysAttrs");
        Assert.Null(system["temperature"]!["expiresAt"]);
        Assert.Equal(Future, system["humidity"]!["expiresAt"]!.GetValue<string>());

        var merged = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}", Json($$$"""{"expiresAt": "{{{Past}}}"}"""));

        Assert.Equal(HttpStatusCode.NoContent, merged.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }

    [Fact]
    public async Task Merging_the_ngsi_ld_null_as_expiresAt_makes_the_entity_durable()
    {
        var id = await VehicleAsync($$"""
            "expiresAt": "{{Future}}", "speed": {"type": "Property", "value": 1}
            """);

        var merged = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}", Json("""{"expiresAt": "urn:ngsi-ld:null"}"""));

        Assert.Equal(HttpStatusCode.NoContent, merged.StatusCode);
        var system = await _client.GetAsync($"/ngsi-ld/v1/entities/{id}?options=sysAttrs");
        var text = await system.Content.ReadAsStringAsync();
        Assert.DoesNotContain("expiresAt", text);
        Assert.DoesNotContain("urn:ngsi-ld:null", text);
    }

    [Theory]
    [InlineData("""{"id": "{id}", "type": "Vehicle", "expiresAt": "not-a-date"}""")]
    [InlineData("""{"id": "{id}", "type": "Vehicle", "expiresAt": "2026-13-45T00:00:00Z"}""")]
    [InlineData("""{"id": "{id}", "type": "Vehicle", "speed": {"type": "Property", "value": 1, "expiresAt": "not-a-date"}}""")]
    [InlineData("""{"id": "{id}", "type": "Vehicle", "speed": {"type": "Property", "value": 1, "expiresAt": 5}}""")]
    public async Task A_malformed_expiresAt_is_BadRequestData_and_creates_nothing(string body)
    {
        var id = Unique("Vehicle");

        var response = await _client.PostAsync("/ngsi-ld/v1/entities", Json(body.Replace("{id}", id)));

        await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }

    [Fact]
    public async Task The_reaper_deletes_an_expired_entity_so_that_counts_drop()
    {
        var type = "Reaped" + Guid.NewGuid().ToString("N")[..8];
        await _client.CreateAsync($$$"""{"id": "{{{Unique(type)}}}", "type": "{{{type}}}", "expiresAt": "{{{Past}}}"}""");
        await _client.CreateAsync($$$"""{"id": "{{{Unique(type)}}}", "type": "{{{type}}}"}""");

        var count = await CountAsync(type);
        for (var attempt = 0; attempt < 50 && count != 1; attempt++)
        {
            await Task.Delay(200);
            count = await CountAsync(type);
        }

        Assert.Equal(1, count);
    }

    /// <summary>Creates a Vehicle with these members (JSON object members, without the braces); its id.</summary>
    private async Task<string> VehicleAsync(string members)
    {
        var id = Unique("Vehicle");
        await _client.CreateAsync($$"""{"id": "{{id}}", "type": "Vehicle", {{members}}}""");
        return id;
    }

    private async Task<int> CountAsync(string type)
    {
        var response = await _client.GetAsync($"/ngsi-ld/v1/entities?type={type}&count=true&limit=0");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return int.Parse(response.Headers.GetValues("NGSILD-Results-Count").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
