using System.Net;
using System.Text.Json.Nodes;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>
/// Payloads the specification refuses (4.5.2.2, 4.5.3.2, 4.5.24.2, 4.6.2, 4.6.3, 4.7, 5.5.4, Table 5.2.32-1), and the
/// partial-update and batch rules that go with them: each answers 400 BadRequestData and changes nothing.
/// </summary>
public sealed class PayloadValidationTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    [Theory]
    [InlineData("""{"tickets": {"type": "JsonProperty", "json": {"a": 1}, "unitCode": "MTR"}}""")]
    [InlineData("""{"tickets": {"type": "JsonProperty", "json": 5}}""")]
    [InlineData("""{"speed": {"type": "Property", "value": 1, "previousValue": 0}}""")]
    [InlineData("""{"speed": {"type": "Property", "value": 1, "entityIdSealed": true}}""")]
    [InlineData("""{"isParked": {"type": "Relationship", "object": "urn:ngsi-ld:OffStreetParking:1", "unitCode": "MTR"}}""")]
    [InlineData("""{"isParked": {"type": "Relationship", "object": "urn:ngsi-ld:OffStreetParking:1", "previousObject": "urn:ngsi-ld:Other:0"}}""")]
    [InlineData("""{"location": {"type": "GeoProperty", "value": {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [17.1, 48.7]}]}}}""")]
    [InlineData("""{"location": {"type": "Property", "value": 7}}""")]
    [InlineData("""{"location": {"type": "GeoProperty", "value": "not a geometry"}}""")]
    [InlineData("""{"probe": {"type": "LanguageProperty", "languageMap": {"en": "x"}, "valueType": "xsd:string"}}""")]
    [InlineData("""{"address": {"type": "Property", "value": {"country": "urn:ngsi-ld:null"}}}""")]
    [InlineData("""{"address": {"type": "Property", "value": {"geo": {"country": "urn:ngsi-ld:null"}}}}""")]
    public async Task An_invalid_attribute_is_refused_and_the_entity_not_created(string attributes)
    {
        var id = Unique("Vehicle");
        var payload = JsonNode.Parse(attributes)!.AsObject();
        payload["id"] = id;
        payload["type"] = "Vehicle";

        var response = await _client.PostAsync("/ngsi-ld/v1/entities", Json(payload));

        await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("""{"id": "urn:ngsi-ld:null", "type": "Vehicle"}""")]
    [InlineData("""{"id": "urn:ngsi-ld:Vehicle:digit-type", "type": "9Vehicle"}""")]
    public async Task An_invalid_id_or_type_is_refused(string entity)
    {
        var response = await _client.PostAsync("/ngsi-ld/v1/entities", Json(entity));

        await response.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Valid_payloads_next_to_the_refused_ones_are_kept()
    {
        var id = Unique("Vehicle");
        var response = await _client.PostAsync("/ngsi-ld/v1/entities", Json($$$"""
            {"id": "{{{id}}}", "type": "Škola",
             "tickets": {"type": "JsonProperty", "json": [{"a": 1}]},
             "speed": {"type": "Property", "value": 3, "unitCode": "KMH"},
             "probe": {"type": "LanguageProperty", "languageMap": {"en": "x"}, "valueType": "langString"},
             "location": {"type": "GeoProperty", "value": "{\"type\": \"Point\", \"coordinates\": [17.1, 48.7]}"}}
            """));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var entity = await _client.GetEntityAsync(id);
        Assert.Equal("Point", entity["location"]!["value"]!["type"]!.GetValue<string>());
        Assert.Equal(17.1, entity["location"]!["value"]!["coordinates"]![0]!.GetValue<double>());
        Assert.Equal(1, entity["tickets"]!["json"]![0]!["a"]!.GetValue<int>());
    }

    [Fact]
    public async Task Partial_update_refuses_a_null_inside_a_value_and_a_type_change_but_merges_sub_attributes()
    {
        var id = Unique("Vehicle");
        await _client.CreateAsync($$$"""
            {"id": "{{{id}}}", "type": "Vehicle",
             "address": {"type": "Property", "value": {"street": "Straße des 17. Juni", "country": "Germany"}},
             "speed": {"type": "Property", "value": 50},
             "isParked": {"type": "Relationship", "object": "urn:ngsi-ld:OffStreetParking:1",
                          "providedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Person:Bob"}}
            }
            """);

        var nested = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/address", Json("""{"value": {"country": "urn:ngsi-ld:null"}}"""));
        var retyped = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/speed", Json("""{"type": "Relationship", "object": "urn:ngsi-ld:Entity:01"}"""));
        var subAttribute = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/isParked",
            Json("""{"providedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Person:JohnDoe"}}"""));

        await nested.AssertProblemAsync(400, "BadRequestData");
        await retyped.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(HttpStatusCode.NoContent, subAttribute.StatusCode);
        var entity = await _client.GetEntityAsync(id);
        Assert.Equal("Germany", entity["address"]!["value"]!["country"]!.GetValue<string>());
        Assert.Equal(50, entity["speed"]!["value"]!.GetValue<int>());
        Assert.Equal("Relationship", entity["isParked"]!["type"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:OffStreetParking:1", entity["isParked"]!["object"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Person:JohnDoe", entity["isParked"]!["providedBy"]!["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_null_batch_element_fails_the_whole_batch()
    {
        var id = Unique("Vehicle");

        var create = await _client.PostAsync("/ngsi-ld/v1/entityOperations/create", Json($$$"""[{"id": "{{{id}}}", "type": "Vehicle"}, null]"""));
        var merge = await _client.PostAsync("/ngsi-ld/v1/entityOperations/merge", Json($$$"""[{"id": "{{{id}}}", "type": "Vehicle"}, null]"""));

        await create.AssertProblemAsync(400, "BadRequestData");
        await merge.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_json_ld_batch_with_a_context_link_header_is_refused_whole()
    {
        var id = Unique("Vehicle");
        var request = Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/create",
            Json($$$"""[{"id": "{{{id}}}", "type": "Vehicle", "@context": "{{{BrokerHost.CoreContext}}}"}]""", "application/ld+json"),
            link: BrokerHost.CoreContext);

        var response = await _client.SendAsync(request);

        await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }
}
