using System.Net;
using System.Text.Json.Nodes;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Create, retrieve, replace, merge, delete of single entities (5.6.1, 5.6.6, 5.6.17, 5.6.18, 5.7.1).</summary>
public sealed class EntityApiTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private static string Building(string id) => $$$"""
        {
          "id": "{{{id}}}",
          "type": "Building",
          "name": {"type": "Property", "value": "Shibuya Hikarie"},
          "floors": {"type": "Property", "value": 34, "observedAt": "2026-11-22T09:00:00Z", "unitCode": "C62"},
          "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Company:tokyu"},
          "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [139.7036, 35.6590]}}
        }
        """;

    [Fact]
    public async Task Create_answers_201_with_the_location_and_retrieve_returns_the_normalized_entity()
    {
        var id = Unique("Building");
        var created = await _client.CreateAsync(Building(id));
        Assert.Equal($"/ngsi-ld/v1/entities/{id}", created.Headers.Location!.OriginalString);

        var response = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(BrokerHost.CoreContext, response.Headers.GetValues("Link").Single());
        var entity = (await response.BodyAsync()).AsObject();
        Assert.Equal(id, entity["id"]!.GetValue<string>());
        Assert.Equal("Building", entity["type"]!.GetValue<string>());
        Assert.Equal("Property", entity["name"]!["type"]!.GetValue<string>());
        Assert.Equal("Shibuya Hikarie", entity["name"]!["value"]!.GetValue<string>());
        Assert.Equal(34, entity["floors"]!["value"]!.GetValue<int>());
        Assert.Equal("C62", entity["floors"]!["unitCode"]!.GetValue<string>());
        Assert.StartsWith("2026-11-22T09:00:00", entity["floors"]!["observedAt"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Company:tokyu", entity["owner"]!["object"]!.GetValue<string>());
        Assert.Equal("Point", entity["location"]!["value"]!["type"]!.GetValue<string>());
        Assert.Null(entity["createdAt"]);
    }

    [Fact]
    public async Task A_method_or_path_the_api_does_not_offer_answers_with_problem_details()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));

        var wrongMethod = await _client.SendAsync(Request(HttpMethod.Put, $"/ngsi-ld/v1/entities/{id}/attrs", Json("""{"name": {"type": "Property", "value": "x"}}""")));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Contains(HttpMethod.Patch.Method, wrongMethod.Content.Headers.Allow);
        var problem = await wrongMethod.BodyAsync();
        Assert.Equal(405, problem["status"]!.GetValue<int>());
        Assert.Contains("PUT", problem["detail"]!.GetValue<string>());

        var noPath = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/no-such-resource"));
        Assert.Equal(HttpStatusCode.NotFound, noPath.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", (await noPath.BodyAsync())["type"]!.GetValue<string>());

        var unchanged = await (await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}"))).BodyAsync();
        Assert.Equal("Shibuya Hikarie", unchanged["name"]!["value"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("POST", "/ngsi-ld/v1/entities//attrs")]
    [InlineData("PATCH", "/ngsi-ld/v1/entities//attrs/name")]
    [InlineData("DELETE", "/ngsi-ld/v1/entities//attrs/name")]
    [InlineData("DELETE", "/ngsi-ld/v1/temporal/entities//attrs/speed")]
    public async Task A_path_with_a_missing_id_is_a_bad_request(string method, string path)
    {
        var body = method is "POST" or "PATCH" ? Json("""{"name": {"type": "Property", "value": "x"}}""") : null;

        var response = await _client.SendAsync(Request(new HttpMethod(method), path, body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.BodyAsync();
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/BadRequestData", problem["type"]!.GetValue<string>());
        Assert.Contains("empty segment", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retrieve_as_json_ld_carries_the_context_in_the_body()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));

        var response = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}", accept: "application/ld+json"));

        Assert.Equal("application/ld+json", response.Content.Headers.ContentType!.MediaType);
        Assert.False(response.Headers.Contains("Link"));
        var entity = await response.BodyAsync();
        Assert.Contains(BrokerHost.CoreContext, entity["@context"]!.ToJsonString());
    }

    [Fact]
    public async Task Simplified_concise_and_sysAttrs_representations()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));

        var simplified = await _client.GetEntityAsync(id, "?options=keyValues");
        Assert.Equal("Shibuya Hikarie", simplified["name"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Company:tokyu", simplified["owner"]!.GetValue<string>());
        Assert.Equal(34, simplified["floors"]!.GetValue<int>());

        var viaFormat = await _client.GetEntityAsync(id, "?format=simplified");
        Assert.True(JsonNode.DeepEquals(simplified, viaFormat));

        var concise = await _client.GetEntityAsync(id, "?options=concise");
        Assert.Equal("Shibuya Hikarie", concise["name"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Company:tokyu", concise["owner"]!["object"]!.GetValue<string>());
        Assert.Equal(34, concise["floors"]!["value"]!.GetValue<int>());

        var withSystem = await _client.GetEntityAsync(id, "?options=sysAttrs");
        Assert.NotNull(withSystem["createdAt"]);
        Assert.NotNull(withSystem["modifiedAt"]);
        Assert.NotNull(withSystem["name"]!["createdAt"]);
    }

    [Fact]
    public async Task Attrs_pick_and_omit_select_what_is_returned()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));

        var onlyName = await _client.GetEntityAsync(id, "?attrs=name");
        Assert.Equal(["id", "type", "name"], onlyName.Select(p => p.Key));

        var picked = await _client.GetEntityAsync(id, "?pick=id,floors");
        Assert.Equal(["id", "floors"], picked.Select(p => p.Key));

        var omitted = await _client.GetEntityAsync(id, "?omit=location,owner");
        Assert.Null(omitted["location"]);
        Assert.Null(omitted["owner"]);
        Assert.NotNull(omitted["name"]);

        var both = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}?pick=name&omit=floors"));
        await both.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Retrieve_as_GeoJSON_gives_a_feature()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));

        var response = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}", accept: "application/geo+json"));

        Assert.Equal("application/geo+json", response.Content.Headers.ContentType!.MediaType);
        var feature = await response.BodyAsync();
        Assert.Equal("Feature", feature["type"]!.GetValue<string>());
        Assert.Equal(id, feature["id"]!.GetValue<string>());
        Assert.Equal(139.7036, feature["geometry"]!["coordinates"]![0]!.GetValue<double>());
        Assert.Equal("Building", feature["properties"]!["type"]!.GetValue<string>());
        Assert.Contains(BrokerHost.CoreContext, feature["@context"]!.ToJsonString());
        Assert.False(response.Headers.Contains("Link"));
    }

    [Fact]
    public async Task LanguageProperty_is_resolved_by_lang()
    {
        var id = Unique("Place");
        await _client.CreateAsync($$$$"""
            {"id": "{{{{id}}}}", "type": "Place",
             "name": {"type": "LanguageProperty", "languageMap": {"ja": "渋谷", "en": "Shibuya"}}}
            """);

        var normalized = await _client.GetEntityAsync(id);
        Assert.Equal("渋谷", normalized["name"]!["languageMap"]!["ja"]!.GetValue<string>());

        var english = await _client.GetEntityAsync(id, "?lang=en");
        Assert.Equal("Shibuya", english["name"]!["value"]!.GetValue<string>());
        Assert.Equal("en", english["name"]!["lang"]!.GetValue<string>());

        var japaneseSimplified = await _client.GetEntityAsync(id, "?lang=ja&options=keyValues");
        Assert.Equal("渋谷", japaneseSimplified["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Creating_an_existing_entity_is_409_AlreadyExists_and_changes_nothing()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));

        var again = await _client.PostAsync("/ngsi-ld/v1/entities", Json(Building(id).Replace("Shibuya Hikarie", "Other")));

        await again.AssertProblemAsync(409, "AlreadyExists");
        Assert.Equal("Shibuya Hikarie", (await _client.GetEntityAsync(id))["name"]!["value"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{not json", 400, "InvalidRequest")]
    [InlineData("""{"type": "Building"}""", 400, "BadRequestData")]
    [InlineData("""{"id": "not a uri", "type": "Building"}""", 400, "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:X:1"}""", 400, "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:X:1", "type": "X", "temp": {"type": "Property"}}""", 400, "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:X:1", "type": "X", "owner": {"type": "Relationship", "object": 5}}""", 400, "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:X:1", "type": "X", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [200, 10]}}}""", 400, "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:X:1", "type": "X", "t": {"type": "Property", "value": 1, "observedAt": "yesterday"}}""", 400, "BadRequestData")]
    [InlineData("""[{"id": "urn:ngsi-ld:X:1", "type": "X"}]""", 400, "BadRequestData")]
    public async Task Invalid_entities_are_rejected_with_a_problem_and_not_stored(string body, int status, string errorType)
    {
        var response = await _client.PostAsync("/ngsi-ld/v1/entities", Json(body));

        await response.AssertProblemAsync(status, errorType);
        var lookup = await _client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:X:1");
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task Media_type_rules_of_the_context_are_enforced()
    {
        var id = Unique("Building");
        var plain = await _client.PostAsync("/ngsi-ld/v1/entities", Json(Building(id), "text/plain"));
        await plain.AssertProblemAsync(415, "UnsupportedMediaType");

        var ldWithoutContext = await _client.PostAsync("/ngsi-ld/v1/entities", Json(Building(id), "application/ld+json"));
        await ldWithoutContext.AssertProblemAsync(400, "BadRequestData");

        var jsonWithContext = JsonNode.Parse(Building(id))!.AsObject();
        jsonWithContext["@context"] = BrokerHost.CoreContext;
        var rejected = await _client.PostAsync("/ngsi-ld/v1/entities", Json(jsonWithContext));
        await rejected.AssertProblemAsync(400, "BadRequestData");

        var accepted = await _client.PostAsync("/ngsi-ld/v1/entities", Json(jsonWithContext, "application/ld+json"));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);

        var notAcceptable = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}", accept: "text/html"));
        await notAcceptable.AssertProblemAsync(406, "NotAcceptable");
    }

    [Fact]
    public async Task An_entity_over_the_size_limit_is_413()
    {
        var big = new string('x', 1024 * 1024 + 10);
        var response = await _client.PostAsync("/ngsi-ld/v1/entities",
            Json($$$"""{"id": "urn:ngsi-ld:Big:1", "type": "Big", "blob": {"type": "Property", "value": "{{{big}}}"}}"""));

        await response.AssertProblemAsync(413, "PayloadTooLarge");
    }

    [Fact]
    public async Task Retrieve_of_a_missing_entity_is_404_and_a_bad_id_400()
    {
        var missing = await _client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Nothing:here");
        await missing.AssertProblemAsync(404, "ResourceNotFound");

        var bad = await _client.GetAsync("/ngsi-ld/v1/entities/no%20uri");
        await bad.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Replace_swaps_the_whole_entity_and_keeps_createdAt()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));
        var before = await _client.GetEntityAsync(id, "?options=sysAttrs");

        var replaced = await _client.PutAsync($"/ngsi-ld/v1/entities/{id}",
            Json("""{"type": "Building", "height": {"type": "Property", "value": 182.5}}"""));

        Assert.Equal(HttpStatusCode.NoContent, replaced.StatusCode);
        var after = await _client.GetEntityAsync(id, "?options=sysAttrs");
        Assert.Null(after["name"]);
        Assert.Equal(182.5, after["height"]!["value"]!.GetValue<double>());
        Assert.Equal(before["createdAt"]!.GetValue<string>(), after["createdAt"]!.GetValue<string>());

        var missing = await _client.PutAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Building:none", Json("""{"type": "Building"}"""));
        await missing.AssertProblemAsync(404, "ResourceNotFound");
        var contradicting = await _client.PutAsync($"/ngsi-ld/v1/entities/{id}", Json("""{"id": "urn:other", "type": "Building"}"""));
        await contradicting.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Merge_adds_merges_and_deletes_with_the_ngsi_ld_null()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));

        var merged = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}", Json("""
            {
              "floors": {"type": "Property", "value": 35},
              "owner": "urn:ngsi-ld:null",
              "height": {"type": "Property", "value": 182.5}
            }
            """));

        Assert.Equal(HttpStatusCode.NoContent, merged.StatusCode);
        var entity = await _client.GetEntityAsync(id);
        Assert.Equal(35, entity["floors"]!["value"]!.GetValue<int>());
        Assert.Equal("C62", entity["floors"]!["unitCode"]!.GetValue<string>());
        Assert.Null(entity["owner"]);
        Assert.Equal(182.5, entity["height"]!["value"]!.GetValue<double>());
        Assert.Equal("Shibuya Hikarie", entity["name"]!["value"]!.GetValue<string>());

        var missing = await _client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Building:none", Json("""{"floors": 1}"""));
        await missing.AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Delete_removes_the_entity()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
        await (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).AssertProblemAsync(404, "ResourceNotFound");
        await (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}")).AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Concise_input_is_accepted_and_stored_normalized()
    {
        var id = Unique("Sensor");
        await _client.CreateAsync($$$"""
            {"id": "{{{id}}}", "type": "Sensor",
             "temperature": 21.5,
             "label": "roof",
             "controlledBy": {"object": "urn:ngsi-ld:Device:1"},
             "location": {"type": "Point", "coordinates": [139.7, 35.6]}}
            """);

        var entity = await _client.GetEntityAsync(id);
        Assert.Equal("Property", entity["temperature"]!["type"]!.GetValue<string>());
        Assert.Equal(21.5, entity["temperature"]!["value"]!.GetValue<double>());
        Assert.Equal("Relationship", entity["controlledBy"]!["type"]!.GetValue<string>());
        Assert.Equal("GeoProperty", entity["location"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retrieve_with_a_type_that_does_not_match_is_404()
    {
        var id = Unique("Building");
        await _client.CreateAsync(Building(id));

        await (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}?type=Vehicle")).AssertProblemAsync(404, "ResourceNotFound");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}?type=Building")).StatusCode);
    }
}
