using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Temporal;

/// <summary>
/// Temporal retrieval as the ETSI suite checks it against the specification: timeproperty=deletedAt (5.7.3), the datasetId
/// filter (4.5.5), attrs that name nothing (404), aggregated values as real numbers with the client's time spelling (4.5.19),
/// and aggrParams in a POST query (5.2.44).
/// </summary>
public sealed class TemporalConformanceTests(TemporalHost host) : IClassFixture<TemporalHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task<HttpResponseMessage> GetAsync(string url) => await _client.SendAsync(Ngsi.Request(HttpMethod.Get, url));

    [Fact]
    public async Task Timeproperty_deletedAt_lists_the_deletions_with_the_null_of_each_attribute_kind()
    {
        var id = Ngsi.Unique("Car");
        await _client.CreateAsync($$$$"""
            {"id": "{{{{id}}}}", "type": "Car", "fuel": {"type": "Property", "value": 60},
             "parkedIn": {"type": "Relationship", "object": "urn:ngsi-ld:Parking:1"},
             "name": {"type": "LanguageProperty", "languageMap": {"fr": "Ma voiture", "en": "My car"}}}
            """);
        await _client.WaitForHistoryAsync(id, "fuel", 1);
        foreach (var attribute in new[] { "fuel", "parkedIn", "name" })
        {
            var deleted = await _client.SendAsync(Ngsi.Request(HttpMethod.Delete, $"/ngsi-ld/v1/entities/{id}/attrs/{attribute}"));
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        JsonObject entity;
        while (true)
        {
            entity = await _client.GetTemporalAsync(id, "?timeproperty=deletedAt");
            if (entity.ContainsKey("name") || clock.Elapsed > TimeSpan.FromSeconds(15)) break;
            await Task.Delay(20);
        }
        var fuel = Assert.Single(entity["fuel"]!.AsArray())!;
        Assert.Equal("urn:ngsi-ld:null", fuel["value"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(fuel["deletedAt"]!.GetValue<string>(), out _));
        Assert.Equal("urn:ngsi-ld:null", Assert.Single(entity["parkedIn"]!.AsArray())!["object"]!.GetValue<string>());
        Assert.Equal("""{"@none":"urn:ngsi-ld:null"}""", Assert.Single(entity["name"]!.AsArray())!["languageMap"]!.ToJsonString());

        // The values themselves are not deletions; in temporalValues the pair holds the time of the deletion.
        var simplified = await _client.GetTemporalAsync(id, "?timeproperty=deletedAt&options=temporalValues&attrs=fuel");
        var pair = Assert.Single(simplified["fuel"]!["values"]!.AsArray())!.AsArray();
        Assert.Equal("urn:ngsi-ld:null", pair[0]!.GetValue<string>());
        Assert.Equal(fuel["deletedAt"]!.GetValue<string>(), pair[1]!.GetValue<string>());
        var unknown = await GetAsync($"{Temporal.Url}/{id}?timeproperty=removedAt");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task The_datasetId_parameter_keeps_the_instances_of_those_datasets_and_the_entities_that_have_them()
    {
        var type = "Van" + Guid.NewGuid().ToString("N")[..8];
        var id = $"urn:ngsi-ld:{type}:1";
        await _client.CreateTemporalAsync($$$"""
            {"id": "{{{id}}}", "type": "{{{type}}}", "speed": [
              {"type": "Property", "value": 10, "observedAt": "2026-01-01T00:00:00Z"},
              {"type": "Property", "value": 20, "datasetId": "urn:ngsi-ld:Dataset:gps", "observedAt": "2026-01-01T00:00:00Z"},
              {"type": "Property", "value": 30, "datasetId": "urn:ngsi-ld:Dataset:radar", "observedAt": "2026-01-01T00:00:00Z"}]}
            """);
        async Task<double[]> Speeds(string datasetId) =>
            Temporal.Numbers((await _client.QueryTemporalAsync($"type={type}&datasetId={Uri.EscapeDataString(datasetId)}")).Single()!["speed"]);

        Assert.Equal(new double[] { 20 }, await Speeds("urn:ngsi-ld:Dataset:gps"));
        Assert.Equal(new double[] { 10 }, await Speeds("@none"));
        Assert.Equal(new double[] { 20, 30 }, (await Speeds("urn:ngsi-ld:Dataset:gps,urn:ngsi-ld:Dataset:radar")).Order());
        Assert.Empty(await _client.QueryTemporalAsync($"type={type}&datasetId=urn:ngsi-ld:Dataset:none"));
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync($"{Temporal.Url}?type={type}&datasetId=not%20a%20uri")).StatusCode);
    }

    [Fact]
    public async Task Retrieving_only_attributes_the_entity_never_had_is_not_found()
    {
        var id = Ngsi.Unique("Car");
        await _client.CreateTemporalAsync($$$"""{"id": "{{{id}}}", "type": "Car", "speed": {"type": "Property", "value": 1, "observedAt": "2026-01-01T00:00:00Z"}}""");
        var response = await GetAsync($"{Temporal.Url}/{id}?attrs=unknownAttribute");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", (await response.BodyAsync())["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"{Temporal.Url}/{id}?attrs=unknownAttribute,speed")).StatusCode);
    }

    [Fact]
    public async Task Aggregated_values_are_real_numbers_and_period_bounds_keep_the_time_as_written()
    {
        var id = Ngsi.Unique("Tank");
        await _client.CreateTemporalAsync($$$"""
            {"id": "{{{id}}}", "type": "Tank", "level": [
              {"type": "Property", "value": 67, "observedAt": "2020-08-01T12:03:00Z"},
              {"type": "Property", "value": 53, "observedAt": "2020-08-01T13:05:00Z"}]}
            """);
        var response = await GetAsync($"{Temporal.Url}/{id}?options=aggregatedValues&aggrMethods=avg,max,totalCount&aggrPeriodDuration=PT1H");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var level = JsonNode.Parse(text)!["level"]!;
        Assert.Equal("""[[67.0,"2020-08-01T12:03:00Z","2020-08-01T13:03:00Z"],[53.0,"2020-08-01T13:03:00Z","2020-08-01T14:03:00Z"]]""", level["avg"]!.ToJsonString());
        Assert.Equal("""[[67.0,"2020-08-01T12:03:00Z","2020-08-01T13:03:00Z"],[53.0,"2020-08-01T13:03:00Z","2020-08-01T14:03:00Z"]]""", level["max"]!.ToJsonString());
        Assert.Equal("""[[1,"2020-08-01T12:03:00Z","2020-08-01T13:03:00Z"],[1,"2020-08-01T13:03:00Z","2020-08-01T14:03:00Z"]]""", level["totalCount"]!.ToJsonString());
    }

    [Fact]
    public async Task AggrParams_of_a_POST_query_ask_for_the_aggregated_representation_and_are_validated()
    {
        var type = "Tank" + Guid.NewGuid().ToString("N")[..8];
        await _client.CreateTemporalAsync($$$"""
            {"id": "urn:ngsi-ld:{{{type}}}:1", "type": "{{{type}}}", "level": [
              {"type": "Property", "value": 2, "observedAt": "2020-08-01T12:00:00Z"}, {"type": "Property", "value": 4, "observedAt": "2020-08-01T12:30:00Z"}]}
            """);
        async Task<HttpResponseMessage> Query(string aggrParams) => await _client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/temporal/entityOperations/query", Ngsi.Json($$$"""
            {"type": "Query", "entities": [{"type": "{{{type}}}"}], "temporalQ": {"timerel": "after", "timeAt": "2020-08-01T00:00:00Z"}, "aggrParams": {{{aggrParams}}}}
            """)));

        var ok = await Query("""{"aggrMethods": ["avg"], "aggrPeriodDuration": "PT0S"}""");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var entity = (await ok.BodyAsync()).AsArray().Single()!;
        Assert.Equal(3.0, entity["level"]!["avg"]![0]![0]!.GetValue<double>());
        Assert.Null(entity["level"]!["instanceId"]);

        foreach (var (bad, member) in new[] { ("""{"aggrMethods": ["bogus"]}""", "aggrMethods"), ("""{"aggrMethods": ["avg"], "aggrPeriodDuration": "bogus"}""", "aggrPeriodDuration"), ("""{"aggrMethod": ["avg"]}""", "aggrMethod") })
        {
            var refused = await Query(bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(member, await refused.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task TemporalValues_pairs_keep_the_value_member_of_language_vocab_and_json_properties_and_bare_ids_of_list_relationships()
    {
        var id = Ngsi.Unique("Car");
        await _client.CreateAsync($$$$"""
            {"id": "{{{{id}}}}", "type": "Car",
             "name": {"type": "LanguageProperty", "languageMap": {"fr": "Ma voiture"}, "observedAt": "2020-08-01T12:03:00Z"},
             "state": {"type": "VocabProperty", "vocab": "parked", "observedAt": "2020-08-01T12:03:00Z"},
             "config": {"type": "JsonProperty", "json": {"a": 1}, "observedAt": "2020-08-01T12:03:00Z"},
             "route": {"type": "ListRelationship", "objectList": [{"object": "urn:ngsi-ld:Road:1"}], "observedAt": "2020-08-01T12:03:00Z"}}
            """);
        await _client.WaitForHistoryAsync(id, "route", 1);

        var entity = await _client.GetTemporalAsync(id, "?options=temporalValues");

        Assert.Equal("""{"languageMap":{"fr":"Ma voiture"}}""", entity["name"]!["languageMaps"]![0]![0]!.ToJsonString());
        Assert.Equal("""{"vocab":"parked"}""", entity["state"]!["vocabs"]![0]![0]!.ToJsonString());
        Assert.Equal("""{"json":{"a":1}}""", entity["config"]!["jsons"]![0]![0]!.ToJsonString());
        Assert.Equal("""["urn:ngsi-ld:Road:1"]""", entity["route"]!["objectLists"]![0]![0]!.ToJsonString());
    }
}
