using System.Net;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>
/// Provision behaviours the ETSI suite checks: NGSI-LD null in Update Attributes and Partial Attribute Update
/// (5.6.2, 5.6.4, null forms of 4.5.x), the Location of a created entity, ids and observedAt refused, and Purge Entities (5.6.21).
/// </summary>
public sealed class ProvisionConformanceTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task<string> BuildingAsync(string type = "Building")
    {
        var id = Unique(type);
        await _client.CreateAsync($$$$"""
            {"id": "{{{{id}}}}", "type": "{{{{type}}}}",
             "name": [{"type": "Property", "value": "Eiffel Tower"}, {"type": "Property", "value": "Tour", "datasetId": "urn:ngsi-ld:Dataset:01"}],
             "locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Paris"},
             "street": {"type": "LanguageProperty", "languageMap": {"fr": "Avenue", "en": "Avenue"}},
             "tags": {"type": "ListProperty", "valueList": ["a", "b"]},
             "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.29, 48.85]}}}
            """);
        return id;
    }

    [Theory]
    [InlineData("name", """{"type": "Property", "value": "urn:ngsi-ld:null"}""")]
    [InlineData("locatedAt", """{"type": "Relationship", "object": "urn:ngsi-ld:null"}""")]
    [InlineData("street", """{"type": "LanguageProperty", "languageMap": {"@none": "urn:ngsi-ld:null"}}""")]
    [InlineData("tags", """{"type": "ListProperty", "valueList": ["urn:ngsi-ld:null"]}""")]
    [InlineData("location", """{"type": "GeoProperty", "value": "urn:ngsi-ld:null"}""")]
    public async Task Update_attributes_deletes_an_attribute_given_as_ngsi_ld_null(string attribute, string nullForm)
    {
        var id = await BuildingAsync();

        var response = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs", Json($$"""{"{{attribute}}": {{nullForm}}}"""));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var entity = await _client.GetEntityAsync(id);
        if (attribute == "name")
        {
            Assert.Equal("urn:ngsi-ld:Dataset:01", entity["name"]!["datasetId"]!.GetValue<string>());
        }
        else
        {
            Assert.Null(entity[attribute]);
        }
    }

    [Fact]
    public async Task Partial_attribute_update_with_ngsi_ld_null_deletes_that_instance_only()
    {
        var id = await BuildingAsync();

        var response = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/name",
            Json("""{"type": "Property", "value": "urn:ngsi-ld:null", "datasetId": "urn:ngsi-ld:Dataset:01"}"""));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var name = (await _client.GetEntityAsync(id))["name"]!;
        Assert.Equal("Eiffel Tower", name["value"]!.GetValue<string>());
        Assert.Null(name["datasetId"]);
        var relationship = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/locatedAt", Json("""{"type": "Relationship", "object": "urn:ngsi-ld:null"}"""));
        Assert.Equal(HttpStatusCode.NoContent, relationship.StatusCode);
        Assert.Null((await _client.GetEntityAsync(id))["locatedAt"]);
    }

    [Fact]
    public async Task Append_and_create_still_refuse_the_ngsi_ld_null()
    {
        var id = await BuildingAsync();

        var append = await _client.PostAsync($"/ngsi-ld/v1/entities/{id}/attrs", Json("""{"name": {"type": "Property", "value": "urn:ngsi-ld:null"}}"""));
        await append.AssertProblemAsync(400, "BadRequestData");
        var create = await _client.PostAsync("/ngsi-ld/v1/entities", Json($$$$"""{"id": "{{{{Unique("Building")}}}}", "type": "Building", "street": {"type": "LanguageProperty", "languageMap": {"@none": "urn:ngsi-ld:null"}}}"""));
        await create.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(2, (await _client.GetEntityAsync(id))["name"]!.AsArray().Count);
    }

    [Fact]
    public async Task Location_gives_the_id_as_sent()
    {
        var id = Unique("Building");

        var created = await _client.CreateAsync($$"""{"id": "{{id}}", "type": "Building"}""");

        Assert.Equal($"/ngsi-ld/v1/entities/{id}", created.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("\u202E")]
    [InlineData("\u200B")]
    [InlineData("\uFEFF")]
    [InlineData("\u2028")]
    [InlineData("\u00A0")]
    [InlineData("\uFE0F")]
    [InlineData("\U000E0100")]
    [InlineData("\uFDD0")]
    [InlineData("\uFFFE")]
    [InlineData("\u3164")]
    [InlineData("\u2800")]
    public async Task An_id_with_an_invisible_character_is_refused(string character)
    {
        var id = "urn:ngsi-ld:Vehicle:A" + character + "B";
        var body = new System.Text.Json.Nodes.JsonObject { ["id"] = id, ["type"] = "Vehicle" };

        var response = await _client.PostAsync("/ngsi-ld/v1/entities", Json(body));

        await response.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task An_id_with_ordinary_non_ascii_letters_is_accepted()
    {
        var id = Unique("Ciudad") + "Par\u00EDs";
        var body = new System.Text.Json.Nodes.JsonObject { ["id"] = id, ["type"] = "Ciudad" };

        var response = await _client.PostAsync("/ngsi-ld/v1/entities", Json(body));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task ObservedAt_with_an_offset_other_than_Z_is_refused()
    {
        var response = await _client.PostAsync("/ngsi-ld/v1/entities",
            Json($$$"""{"id": "{{{Unique("Vehicle")}}}", "type": "Vehicle", "speed": {"type": "Property", "value": 3, "observedAt": "2026-08-10T12:00:00+02:00"}}"""));

        await response.AssertProblemAsync(400, "BadRequestData");
        var utc = await _client.PostAsync("/ngsi-ld/v1/entities",
            Json($$$"""{"id": "{{{Unique("Vehicle")}}}", "type": "Vehicle", "speed": {"type": "Property", "value": 3, "observedAt": "2026-08-10T12:00:00Z"}}"""));
        Assert.Equal(HttpStatusCode.Created, utc.StatusCode);
    }

    [Fact]
    public async Task Purge_deletes_the_entities_of_a_type_and_nothing_else()
    {
        var type = "Purged" + Guid.NewGuid().ToString("N")[..8];
        var (a, b) = (await BuildingAsync(type), await BuildingAsync(type));
        var other = await BuildingAsync();

        var response = await _client.DeleteAsync($"/ngsi-ld/v1/entities?type={type}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{a}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{b}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/ngsi-ld/v1/entities/{other}")).StatusCode);
    }

    [Fact]
    public async Task Purge_with_drop_or_keep_removes_attributes_and_keeps_the_entity()
    {
        var type = "Purged" + Guid.NewGuid().ToString("N")[..8];
        var id = await BuildingAsync(type);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/ngsi-ld/v1/entities?type={type}&drop=name")).StatusCode);
        var dropped = await _client.GetEntityAsync(id);
        Assert.Null(dropped["name"]);
        Assert.NotNull(dropped["street"]);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/ngsi-ld/v1/entities?type={type}&keep=street")).StatusCode);
        var kept = await _client.GetEntityAsync(id);
        Assert.NotNull(kept["street"]);
        Assert.Null(kept["locatedAt"]);
        Assert.Null(kept["location"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?type=Building&keep=name&drop=street")]
    [InlineData("?id={id}")]
    [InlineData("?idPattern=.*")]
    [InlineData("?attrs=createdAt")]
    [InlineData("?q=modifiedAt>\"2020-01-01T00:00:00Z\"")]
    [InlineData("?type=Building&q=owner{name}==\"x\"")]
    [InlineData("?type=Building&attrs=owner{name}")]
    public async Task A_purge_that_is_too_wide_or_malformed_is_refused_before_anything_is_deleted(string query)
    {
        var id = await BuildingAsync();

        var response = await _client.DeleteAsync("/ngsi-ld/v1/entities" + query.Replace("{id}", id));

        await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }
}
