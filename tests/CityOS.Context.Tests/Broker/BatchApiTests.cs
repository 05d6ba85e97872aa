using System.Net;
using System.Text.Json.Nodes;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Batch create, upsert, update, delete and merge (5.6.7–5.6.10, 5.6.20) with BatchOperationResult.</summary>
public sealed class BatchApiTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private static string Car(string id, int speed) =>
        $$$"""{"id": "{{{id}}}", "type": "Car", "speed": {"type": "Property", "value": {{{speed}}}}}""";

    private async Task<HttpResponseMessage> Batch(string operation, string body, string? query = null) =>
        await _client.PostAsync($"/ngsi-ld/v1/entityOperations/{operation}{query}", Json(body));

    [Fact]
    public async Task Create_returns_the_ids_and_one_bad_entity_does_not_block_the_others()
    {
        var (a, b, c) = (Unique("Car"), Unique("Car"), Unique("Car"));
        var ok = await Batch("create", $"[{Car(a, 1)}, {Car(b, 2)}]");
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Equal([a, b], (await ok.BodyAsync()).AsArray().Select(n => n!.GetValue<string>()));

        var mixed = await Batch("create", $$"""[{{Car(a, 9)}}, {{Car(c, 3)}}, {"id": "urn:ngsi-ld:Car:bad", "speed": 1}, 42]""");

        Assert.Equal(HttpStatusCode.MultiStatus, mixed.StatusCode);
        var result = await mixed.BodyAsync();
        Assert.Equal([c], result["success"]!.AsArray().Select(n => n!.GetValue<string>()));
        var errors = result["errors"]!.AsArray();
        Assert.Equal(3, errors.Count);
        Assert.Equal(a, errors[0]!["entityId"]!.GetValue<string>());
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", errors[0]!["error"]!["type"]!.GetValue<string>());
        Assert.Equal(409, errors[0]!["error"]!["status"]!.GetValue<int>());
        Assert.Equal("urn:ngsi-ld:Car:bad", errors.Select(e => e!["entityId"]!.GetValue<string>()).ElementAt(1));
        Assert.All(errors.Skip(1), e => Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/BadRequestData", e!["error"]!["type"]!.GetValue<string>()));
        Assert.Equal(1, (await _client.GetEntityAsync(a))["speed"]!["value"]!.GetValue<int>());
        Assert.Equal(3, (await _client.GetEntityAsync(c))["speed"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Upsert_creates_or_replaces_and_with_options_update_merges()
    {
        var (a, b) = (Unique("Car"), Unique("Car"));
        await _client.CreateAsync($$$"""{"id": "{{{a}}}", "type": "Car", "speed": {"type": "Property", "value": 1}, "color": {"type": "Property", "value": "red"}}""");

        var created = await Batch("upsert", $"[{Car(a, 10)}, {Car(b, 20)}]");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal([b], (await created.BodyAsync()).AsArray().Select(n => n!.GetValue<string>()));
        var replaced = await _client.GetEntityAsync(a);
        Assert.Equal(10, replaced["speed"]!["value"]!.GetValue<int>());
        Assert.Null(replaced["color"]);

        await _client.PostAsync($"/ngsi-ld/v1/entities/{a}/attrs", Json("""{"color": {"type": "Property", "value": "blue"}}"""));
        var updated = await Batch("upsert", $"[{Car(a, 11)}, {Car(b, 21)}]", "?options=update");
        Assert.Equal(HttpStatusCode.NoContent, updated.StatusCode);
        var merged = await _client.GetEntityAsync(a);
        Assert.Equal(11, merged["speed"]!["value"]!.GetValue<int>());
        Assert.Equal("blue", merged["color"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_changes_existing_entities_and_reports_missing_ones()
    {
        var a = Unique("Car");
        await _client.CreateAsync(Car(a, 1));

        var response = await Batch("update", $"[{Car(a, 5)}, {Car("urn:ngsi-ld:Car:missing", 6)}]");

        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = await response.BodyAsync();
        Assert.Equal([a], result["success"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(404, result["errors"]![0]!["error"]!["status"]!.GetValue<int>());
        Assert.Equal(5, (await _client.GetEntityAsync(a))["speed"]!["value"]!.GetValue<int>());

        var keep = await Batch("update", $"[{Car(a, 99)}]", "?options=noOverwrite");
        Assert.Equal(HttpStatusCode.NoContent, keep.StatusCode);
        Assert.Equal(5, (await _client.GetEntityAsync(a))["speed"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delete_takes_ids_and_reports_the_missing()
    {
        var (a, b) = (Unique("Car"), Unique("Car"));
        await Batch("create", $"[{Car(a, 1)}, {Car(b, 2)}]");

        var response = await Batch("delete", $"""["{a}", "urn:ngsi-ld:Car:never", "{b}"]""");

        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = await response.BodyAsync();
        Assert.Equal([a, b], result["success"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("urn:ngsi-ld:Car:never", result["errors"]![0]!["entityId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{a}")).StatusCode);
    }

    [Fact]
    public async Task Merge_merges_each_entity()
    {
        var a = Unique("Car");
        await _client.CreateAsync($$$"""{"id": "{{{a}}}", "type": "Car", "speed": {"type": "Property", "value": 1, "unitCode": "KMH"}, "color": {"type": "Property", "value": "red"}}""");

        var response = await Batch("merge", $$"""[{"id": "{{a}}", "type": "Car", "speed": {"type": "Property", "value": 2}, "color": "urn:ngsi-ld:null"}]""");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var entity = await _client.GetEntityAsync(a);
        Assert.Equal(2, entity["speed"]!["value"]!.GetValue<int>());
        Assert.Equal("KMH", entity["speed"]!["unitCode"]!.GetValue<string>());
        Assert.Null(entity["color"]);
    }

    [Theory]
    [InlineData("create", "[]")]
    [InlineData("create", "{}")]
    [InlineData("upsert", "\"x\"")]
    public async Task Batches_that_are_not_a_non_empty_array_are_rejected(string operation, string body)
    {
        await (await Batch(operation, body)).AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Json_ld_batches_carry_a_context_per_entity()
    {
        var id = Unique("Car");
        var body = new JsonArray(JsonNode.Parse($$$"""
            {"@context": "{{{BrokerHost.CoreContext}}}", "id": "{{{id}}}", "type": "Car", "speed": {"type": "Property", "value": 7}}
            """));

        var response = await _client.PostAsync("/ngsi-ld/v1/entityOperations/create", Json(body, "application/ld+json"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(7, (await _client.GetEntityAsync(id))["speed"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Batch_update_adds_the_types_of_an_element_even_when_no_attribute_changes()
    {
        var id = Unique("Car");
        await _client.CreateAsync(Car(id, 5));

        var response = await Batch("update", $$$"""[{"id": "{{{id}}}", "type": "Vehicle", "speed": {"type": "Property", "value": 5}}]""", "?options=noOverwrite");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var types = (await _client.GetEntityAsync(id))["type"]!.AsArray().Select(t => t!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["Car", "Vehicle"], types);
        Assert.Equal(5, (await _client.GetEntityAsync(id))["speed"]!["value"]!.GetValue<int>());
    }
}
