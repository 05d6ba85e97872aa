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

    [Fact]
    public async Task Update_attributes_adds_the_types_a_fragment_names()
    {
        var id = await BuildingAsync();

        var response = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs", Json("""{"type": ["Vehicle", "Building"]}"""));
        var again = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs", Json("""{"type": "Building"}"""));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        var types = (await _client.GetEntityAsync(id))["type"]!.AsArray().Select(t => t!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["Building", "Vehicle"], types);
    }

    [Fact]
    public async Task Update_attributes_replaces_a_scope_and_reports_one_the_entity_lacks()
    {
        var scoped = Unique("Building");
        await _client.CreateAsync($$"""{"id": "{{scoped}}", "type": "Building", "scope": "/Madrid"}""");
        var unscoped = await BuildingAsync();

        var replaced = await _client.PatchAsync($"/ngsi-ld/v1/entities/{scoped}/attrs", Json("""{"scope": "/CompanyA/UnitC"}"""));
        var missing = await _client.PatchAsync($"/ngsi-ld/v1/entities/{unscoped}/attrs", Json("""{"scope": "/CompanyA/UnitC"}"""));

        Assert.Equal(HttpStatusCode.NoContent, replaced.StatusCode);
        Assert.Equal("/CompanyA/UnitC", (await _client.GetEntityAsync(scoped))["scope"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.MultiStatus, missing.StatusCode);
        Assert.Equal("scope", (await missing.BodyAsync())["notUpdated"]![0]!["attributeName"]!.GetValue<string>());
        Assert.Null((await _client.GetEntityAsync(unscoped))["scope"]);
    }

    [Fact]
    public async Task Append_attributes_replaces_the_scope_or_with_noOverwrite_adds_to_it()
    {
        var (replaced, added) = (Unique("Building"), Unique("Building"));
        await _client.CreateAsync($$"""{"id": "{{replaced}}", "type": "Building", "scope": "/Madrid"}""");
        await _client.CreateAsync($$"""{"id": "{{added}}", "type": "Building", "scope": "/Madrid"}""");

        var overwrite = await _client.PostAsync($"/ngsi-ld/v1/entities/{replaced}/attrs", Json("""{"scope": "/CompanyA"}"""));
        var noOverwrite = await _client.PostAsync($"/ngsi-ld/v1/entities/{added}/attrs?options=noOverwrite", Json("""{"scope": "/CompanyA"}"""));

        Assert.Equal(HttpStatusCode.NoContent, overwrite.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, noOverwrite.StatusCode);
        Assert.Equal("/CompanyA", (await _client.GetEntityAsync(replaced))["scope"]!.GetValue<string>());
        Assert.Equal(["/Madrid", "/CompanyA"], (await _client.GetEntityAsync(added))["scope"]!.AsArray().Select(s => s!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task Deleting_the_scope_attribute_removes_the_scope()
    {
        var id = Unique("Building");
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Building", "scope": "/Madrid", "name": {"type": "Property", "value": "x"}}""");

        var deleted = await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}/attrs/scope");
        var again = await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}/attrs/scope");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var entity = await _client.GetEntityAsync(id);
        Assert.Null(entity["scope"]);
        Assert.NotNull(entity["name"]);
        await again.AssertProblemAsync(404, "ResourceNotFound");
    }

    [Theory]
    [InlineData("PATCH", "/attrs", """{"name": {"type": "Property", "value": "changed"}}""")]
    [InlineData("POST", "/attrs", """{"name": {"type": "Property", "value": "changed"}}""")]
    [InlineData("PATCH", "/attrs/name", """{"value": "changed"}""")]
    [InlineData("PUT", "/attrs/name", """{"type": "Property", "value": "changed"}""")]
    [InlineData("DELETE", "/attrs/name", null)]
    [InlineData("DELETE", "", null)]
    public async Task The_type_parameter_gates_an_operation_on_one_entity(string method, string path, string? body)
    {
        var (other, matching) = (await BuildingAsync(), await BuildingAsync());

        var refused = await _client.SendAsync(Request(new HttpMethod(method), $"/ngsi-ld/v1/entities/{other}{path}?type=Vehicle", body is null ? null : Json(body)));
        var done = await _client.SendAsync(Request(new HttpMethod(method), $"/ngsi-ld/v1/entities/{matching}{path}?type=Vehicle,Building", body is null ? null : Json(body)));

        await refused.AssertProblemAsync(404, "ResourceNotFound");
        Assert.Equal("Eiffel Tower", (await _client.GetEntityAsync(other))["name"]![0]!["value"]!.GetValue<string>());
        Assert.True(done.StatusCode == HttpStatusCode.NoContent, await done.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_purge_with_a_parameter_purge_does_not_define_is_invalid_request_and_deletes_nothing()
    {
        var type = "Purged" + Guid.NewGuid().ToString("N")[..8];
        var id = await BuildingAsync(type);

        var response = await _client.DeleteAsync($"/ngsi-ld/v1/entities?type={type}&invalidParams=invalidValue");

        await response.AssertProblemAsync(400, "InvalidRequest");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }

    [Fact]
    public async Task ObservedAt_is_rendered_as_the_client_wrote_it_with_or_without_a_fraction()
    {
        var id = Unique("Sensor");
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Sensor", "temperature": {"type": "Property", "value": 25, "unitCode": "CEL", "observedAt": "2022-03-14T12:00:00Z"}}""");
        Assert.Equal("2022-03-14T12:00:00Z", (await _client.GetEntityAsync(id))["temperature"]!["observedAt"]!.GetValue<string>());

        var response = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/temperature",
            Json("""{"type": "Property", "value": 100, "observedAt": "2022-03-14T13:00:00.000Z"}"""));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var temperature = (await _client.GetEntityAsync(id))["temperature"]!;
        Assert.Equal("2022-03-14T13:00:00.000Z", temperature["observedAt"]!.GetValue<string>());
        Assert.Equal("CEL", temperature["unitCode"]!.GetValue<string>());
        Assert.Equal(100, temperature["value"]!.GetValue<int>());
    }
}
