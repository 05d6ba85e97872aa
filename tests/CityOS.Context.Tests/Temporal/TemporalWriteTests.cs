using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Temporal;

/// <summary>Create and update (5.6.11), add attributes (5.6.12), deletes (5.6.13, 5.6.15, 5.6.16) and instance modification (5.6.14).</summary>
public sealed class TemporalWriteTests(TemporalHost host) : IClassFixture<TemporalHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task<string> CreateAsync()
    {
        var id = Ngsi.Unique("Vehicle");
        await _client.CreateTemporalAsync($$$"""
            {"id": "{{{id}}}", "type": "Vehicle",
             "speed": [{"type": "Property", "value": 120, "observedAt": "2026-01-01T10:00:00Z"},
                       {"type": "Property", "value": 80, "observedAt": "2026-01-01T11:00:00Z"},
                       {"type": "Property", "value": 70, "observedAt": "2026-01-01T10:30:00Z", "datasetId": "urn:ngsi-ld:Dataset:radar"}],
             "fuel": {"type": "Property", "value": 50, "observedAt": "2026-01-01T10:00:00Z"}}
            """);
        return id;
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? json = null) =>
        _client.SendAsync(Ngsi.Request(method, url, json is null ? null : Ngsi.Json(json)));

    [Fact]
    public async Task Create_answers_201_then_204_when_appending_to_the_same_entity()
    {
        var id = Ngsi.Unique("Vehicle");
        var body = $$$"""{"id": "{{{id}}}", "type": "Vehicle", "speed": [{"type": "Property", "value": 1, "observedAt": "2026-01-01T00:00:00Z"}]}""";
        var first = await _client.CreateTemporalAsync(body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal($"/ngsi-ld/v1/temporal/entities/{id}", first.Headers.Location!.OriginalString);
        var second = await _client.CreateTemporalAsync(body.Replace("\"value\": 1", "\"value\": 2").Replace("00:00:00Z", "01:00:00Z"));
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        Assert.Equal(new double[] { 1, 2 }, Temporal.Numbers((await _client.GetTemporalAsync(id))["speed"]));
    }

    [Fact]
    public async Task Add_attributes_appends_and_needs_an_existing_entity()
    {
        var id = await CreateAsync();
        var added = await SendAsync(HttpMethod.Post, $"{Temporal.Url}/{id}/attrs", """{"speed": [{"type": "Property", "value": 60, "observedAt": "2026-01-01T12:00:00Z"}], "brake": [{"type": "Property", "value": true}]}""");
        Assert.Equal(HttpStatusCode.NoContent, added.StatusCode);
        var entity = await _client.GetTemporalAsync(id);
        Assert.Equal(new double[] { 120, 70, 80, 60 }, Temporal.Numbers(entity["speed"]));
        Assert.Single(entity["brake"]!.AsArray());

        var missing = await SendAsync(HttpMethod.Post, $"{Temporal.Url}/{Ngsi.Unique("Vehicle")}/attrs", """{"speed": [{"type": "Property", "value": 1}]}""");
        await missing.AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Delete_attribute_by_default_instance_datasetId_or_all()
    {
        var id = await CreateAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}/attrs/speed?datasetId=urn:ngsi-ld:Dataset:radar")).StatusCode);
        Assert.Equal(new double[] { 120, 80 }, Temporal.Numbers((await _client.GetTemporalAsync(id))["speed"]));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}/attrs/speed")).StatusCode);
        Assert.Null((await _client.GetTemporalAsync(id))["speed"]);
        await (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}/attrs/speed")).AssertProblemAsync(404, "ResourceNotFound");

        var other = await CreateAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{other}/attrs/speed?deleteAll=true")).StatusCode);
        var entity = await _client.GetTemporalAsync(other);
        Assert.Null(entity["speed"]);
        Assert.NotNull(entity["fuel"]);
    }

    [Fact]
    public async Task Modify_and_delete_one_instance()
    {
        var id = await CreateAsync();
        var instances = (await _client.GetTemporalAsync(id, "?options=sysAttrs"))["speed"]!.AsArray();
        var target = instances.Single(i => i!["value"]!.GetValue<int>() == 120)!;
        var instanceId = target["instanceId"]!.GetValue<string>();

        var modified = await SendAsync(HttpMethod.Patch, $"{Temporal.Url}/{id}/attrs/speed/{instanceId}", """{"speed": [{"type": "Property", "value": 125}]}""");
        Assert.Equal(HttpStatusCode.NoContent, modified.StatusCode);
        var after = (await _client.GetTemporalAsync(id, "?options=sysAttrs"))["speed"]!.AsArray().Single(i => i!["instanceId"]!.GetValue<string>() == instanceId)!;
        Assert.Equal(125, after["value"]!.GetValue<int>());
        Assert.Equal("2026-01-01T10:00:00Z", after["observedAt"]!.GetValue<string>());
        Assert.Equal(target["createdAt"]!.GetValue<string>(), after["createdAt"]!.GetValue<string>());
        Assert.True(string.CompareOrdinal(after["modifiedAt"]!.GetValue<string>(), target["modifiedAt"]!.GetValue<string>()) >= 0);

        var bare = await SendAsync(HttpMethod.Patch, $"{Temporal.Url}/{id}/attrs/speed/{instanceId}", """{"type": "Property", "value": 126, "observedAt": "2026-01-01T09:00:00Z"}""");
        Assert.Equal(HttpStatusCode.NoContent, bare.StatusCode);
        Assert.Equal(new double[] { 126, 70, 80 }, Temporal.Numbers((await _client.GetTemporalAsync(id))["speed"]));

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}/attrs/speed/{instanceId}")).StatusCode);
        Assert.Equal(new double[] { 70, 80 }, Temporal.Numbers((await _client.GetTemporalAsync(id))["speed"]));
        await (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}/attrs/speed/{instanceId}")).AssertProblemAsync(404, "ResourceNotFound");
        await (await SendAsync(HttpMethod.Patch, $"{Temporal.Url}/{id}/attrs/speed/urn:ngsi-ld:attribute:instance:none", """{"value": 1}""")).AssertProblemAsync(404, "ResourceNotFound");
        await (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}/attrs/fuel/{instanceId}")).AssertProblemAsync(404, "ResourceNotFound");

        // An invalid attribute name or instance id is refused as such (400) before anything is looked up.
        await (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}/attrs/invalid(Name/{instanceId}")).AssertProblemAsync(400, "BadRequestData");
        await (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}/attrs/speed/invalidId")).AssertProblemAsync(400, "BadRequestData");
        await (await SendAsync(HttpMethod.Patch, $"{Temporal.Url}/{id}/attrs/invalid(Name/{instanceId}", """{"value": 1}""")).AssertProblemAsync(400, "BadRequestData");
        await (await SendAsync(HttpMethod.Patch, $"{Temporal.Url}/{id}/attrs/speed/invalidId", """{"value": 1}""")).AssertProblemAsync(400, "BadRequestData");
        await (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}/attrs/invalid(Name")).AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Delete_entity_removes_its_whole_temporal_evolution()
    {
        var id = await CreateAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}")).StatusCode);
        await (await SendAsync(HttpMethod.Get, $"{Temporal.Url}/{id}")).AssertProblemAsync(404, "ResourceNotFound");
        await (await SendAsync(HttpMethod.Delete, $"{Temporal.Url}/{id}")).AssertProblemAsync(404, "ResourceNotFound");
    }

    [Theory]
    [InlineData("""{"type": "Vehicle", "speed": [{"type": "Property", "value": 1}]}""")]
    [InlineData("""{"id": "not a uri", "type": "Vehicle"}""")]
    [InlineData("""{"id": "urn:ngsi-ld:Vehicle:x"}""")]
    [InlineData("""{"id": "urn:ngsi-ld:Vehicle:x", "type": "Vehicle", "speed": [1, 2]}""")]
    [InlineData("""{"id": "urn:ngsi-ld:Vehicle:x", "type": "Vehicle", "speed": []}""")]
    [InlineData("""{"id": "urn:ngsi-ld:Vehicle:x", "type": "Vehicle", "speed": [{"type": "Property", "value": 1, "observedAt": "yesterday"}]}""")]
    [InlineData("""{"id": "urn:ngsi-ld:Vehicle:x", "type": "Vehicle", "speed": [{"type": "Property"}]}""")]
    public async Task Invalid_temporal_entities_are_bad_request_data(string body)
    {
        var response = await _client.PostAsync(Temporal.Url, Ngsi.Json(body));
        await response.AssertProblemAsync(400, "BadRequestData");
    }
}

/// <summary>Parameter errors of the temporal retrieval and query (6.18, 6.19).</summary>
public sealed class TemporalErrorTests(TemporalHost host) : IClassFixture<TemporalHost>
{
    private readonly HttpClient _client = host.Client;

    [Theory]
    [InlineData("timerel=before")]
    [InlineData("timeAt=2026-01-01T00:00:00Z")]
    [InlineData("timerel=during&timeAt=2026-01-01T00:00:00Z")]
    [InlineData("timerel=after&timeAt=yesterday")]
    [InlineData("timerel=between&timeAt=2026-01-01T00:00:00Z")]
    [InlineData("timerel=between&timeAt=2026-01-02T00:00:00Z&endTimeAt=2026-01-01T00:00:00Z")]
    [InlineData("timerel=between&timeAt=2026-01-01T00:00:00Z&endTimeAt=soon")]
    [InlineData("timerel=after&timeAt=2026-01-01T00:00:00Z&endTimeAt=2026-01-02T00:00:00Z")]
    [InlineData("timeproperty=deletedSometime")]
    [InlineData("lastN=0")]
    [InlineData("lastN=many")]
    [InlineData("orderBy=name")]
    [InlineData("orderBy=createdAt")]
    [InlineData("orderBy=id,name")]
    [InlineData("orderBy=id;sideways")]
    public async Task Invalid_temporal_parameters_are_bad_request_data(string query)
    {
        await (await _client.GetAsync($"{Temporal.Url}?type=Anything&{query}")).AssertProblemAsync(400, "BadRequestData");
        await (await _client.GetAsync($"{Temporal.Url}/urn:ngsi-ld:Anything:1?{query}")).AssertProblemAsync(400, "BadRequestData");
    }

    [Theory]
    [InlineData("format=pretty")]
    [InlineData("options=invalidOptions")]
    [InlineData("options=temporalValues,invalidOptions")]
    [InlineData("format=temporalValues&options=aggregatedValues,invalidOptions")]
    public async Task Unknown_format_and_options_values_are_invalid_requests(string query)
    {
        await (await _client.GetAsync($"{Temporal.Url}?type=Anything&{query}")).AssertProblemAsync(400, "InvalidRequest");
        await (await _client.GetAsync($"{Temporal.Url}/urn:ngsi-ld:Anything:1?{query}")).AssertProblemAsync(400, "InvalidRequest");
    }

    [Fact]
    public async Task Unknown_entities_and_too_broad_queries()
    {
        await (await _client.GetAsync($"{Temporal.Url}/urn:ngsi-ld:Nothing:1")).AssertProblemAsync(404, "ResourceNotFound");
        await (await _client.GetAsync($"{Temporal.Url}/not-a-uri")).AssertProblemAsync(400, "BadRequestData");
        await (await _client.GetAsync($"{Temporal.Url}?timerel=after&timeAt=2026-01-01T00:00:00Z")).AssertProblemAsync(400, "BadRequestData");
        var bodyError = await _client.PostAsync("/ngsi-ld/v1/temporal/entityOperations/query", Ngsi.Json("""{"type": "Query", "entities": [{"type": "A"}], "temporalQ": {"timerel": "after"}}"""));
        await bodyError.AssertProblemAsync(400, "BadRequestData");
    }
}
