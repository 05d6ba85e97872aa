using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Limits;

/// <summary>
/// Issue 9: hostile input through the NGSI-LD API gets a 4xx naming what is wrong (the limit and its setting where
/// one applies) and changes nothing; what is accepted at a limit's edge can be read, queried and deleted.
/// </summary>
public sealed class InputLimitsApiTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private const string Entities = "/ngsi-ld/v1/entities";
    private readonly HttpClient _client = host.Client;

    private static string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);

    private static string Entity(string id, string attributes = "") =>
        $$$"""{"id":"{{{id}}}","type":"Limited"{{{(attributes.Length == 0 ? "" : "," + attributes)}}}}""";

    private async Task<HttpResponseMessage> PostAsync(string url, HttpContent content, string? tenant = null) =>
        await _client.SendAsync(Request(HttpMethod.Post, url, content, tenant));

    private async Task AssertAbsentAsync(string id, string? tenant = null)
    {
        var response = await _client.SendAsync(Request(HttpMethod.Get, $"{Entities}/{Uri.EscapeDataString(id)}", tenant: tenant));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task AssertLimitAsync(HttpResponseMessage response, string setting)
    {
        var problem = await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Contains("CityOS:Limits:" + setting, problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_value_nested_deeper_than_MaxJsonDepth_is_refused_and_nothing_is_stored()
    {
        var id = Unique("Deep");
        var response = await PostAsync(Entities, Json(Entity(id, $$"""
            "p":{"type":"Property","value":{{Nested(61)}}}
            """)));
        await AssertLimitAsync(response, "MaxJsonDepth");
        await AssertAbsentAsync(id);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1E+999999999")]
    public async Task A_number_beyond_the_range_of_a_double_is_refused(string number)
    {
        var id = Unique("Huge");
        var response = await PostAsync(Entities, Json(Entity(id, $"\"p\":{number}")));
        var problem = await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Contains("finite", problem["detail"]!.GetValue<string>());
        await AssertAbsentAsync(id);
    }

    [Fact]
    public async Task Duplicate_members_are_refused_as_an_invalid_request()
    {
        var id = Unique("Twice");
        var response = await PostAsync(Entities, Json($$"""{"id":"{{id}}","type":"Limited","p":1,"p":2}"""));
        var problem = await response.AssertProblemAsync(400, "InvalidRequest");
        Assert.Contains("\"p\" twice", problem["detail"]!.GetValue<string>());
        await AssertAbsentAsync(id);
    }

    [Fact]
    public async Task Invalid_UTF8_and_an_escaped_lone_surrogate_are_refused_as_an_invalid_request()
    {
        var id = Unique("Broken");
        var prefix = Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","type":"Limited","p":""" + "\"");
        byte[] body = [.. prefix, 0xFF, 0xFE, .. "\"}"u8];
        var invalidUtf8 = new ByteArrayContent(body);
        invalidUtf8.Headers.ContentType = new("application/json");
        await (await PostAsync(Entities, invalidUtf8)).AssertProblemAsync(400, "InvalidRequest");

        var surrogate = await PostAsync(Entities, Json($$"""{"id":"{{id}}","type":"Limited","p":"\ud800"}"""));
        await surrogate.AssertProblemAsync(400, "InvalidRequest");
        await AssertAbsentAsync(id);
    }

    [Fact]
    public async Task An_entity_id_longer_than_MaxIdLength_is_refused_and_one_at_the_limit_is_addressable_by_URL()
    {
        var tooLong = "urn:ngsi-ld:Limited:" + new string('x', 100_000);
        await AssertLimitAsync(await PostAsync(Entities, Json(Entity(tooLong))), "MaxIdLength");
        var batch = await PostAsync("/ngsi-ld/v1/entityOperations/create", Json($"[{Entity(tooLong)}]"));
        Assert.Equal(HttpStatusCode.MultiStatus, batch.StatusCode);
        var error = (await batch.BodyAsync())["errors"]![0]!["error"]!;
        Assert.Equal(400, error["status"]!.GetValue<int>());
        Assert.Contains("CityOS:Limits:MaxIdLength", error["detail"]!.GetValue<string>());

        var atLimit = "urn:ngsi-ld:Limited:" + new string('y', 1024 - "urn:ngsi-ld:Limited:".Length);
        await _client.CreateAsync(Entity(atLimit, "\"p\":1"));
        Assert.Equal(1, (await _client.GetEntityAsync(atLimit))["p"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_string_longer_than_MaxStringLength_is_refused()
    {
        var id = Unique("Long");
        var response = await PostAsync(Entities, Json(Entity(id, $"\"p\":\"{new string('z', 128 * 1024 + 1)}\"")));
        await AssertLimitAsync(response, "MaxStringLength");
        await AssertAbsentAsync(id);
    }

    [Fact]
    public async Task An_entity_cannot_be_created_or_grown_past_MaxAttributes()
    {
        string Attributes(int from, int count) => string.Join(",", Enumerable.Range(from, count).Select(i => $"\"a{i}\":{i}"));
        var tooMany = Unique("Wide");
        await AssertLimitAsync(await PostAsync(Entities, Json(Entity(tooMany, Attributes(0, 1001)))), "MaxAttributes");
        await AssertAbsentAsync(tooMany);

        var full = Unique("Wide");
        await _client.CreateAsync(Entity(full, Attributes(0, 1000)));
        var append = await PostAsync($"{Entities}/{Uri.EscapeDataString(full)}/attrs", Json("{\"extra\":1}"));
        await AssertLimitAsync(append, "MaxAttributes");
        var entity = await _client.GetEntityAsync(full);
        Assert.Null(entity["extra"]);
        Assert.Equal(1002, entity.Count);
    }

    private static string LineString(int points) =>
        "{\"type\":\"LineString\",\"coordinates\":[" + string.Join(",", Enumerable.Range(0, points).Select(i => $"[{i % 180}.{i % 997},{i % 89}.5]")) + "]}";

    [Fact]
    public async Task A_geometry_of_more_than_MaxGeometryPoints_positions_is_refused_on_write_and_in_a_query()
    {
        var id = Unique("Road");
        var response = await PostAsync(Entities, Json(Entity(id, $"\"location\":{{\"type\":\"GeoProperty\",\"value\":{LineString(10_001)}}}")));
        await AssertLimitAsync(response, "MaxGeometryPoints");
        await AssertAbsentAsync(id);

        var polygon = "[[" + string.Join(",", Enumerable.Range(0, 10_001).Select(i => $"[{Math.Cos(i * 2 * Math.PI / 10_000):R},{Math.Sin(i * 2 * Math.PI / 10_000):R}]")) + "]]";
        var query = await PostAsync("/ngsi-ld/v1/entityOperations/query",
            Json($$$"""{"type":"Query","entities":[{"type":"Limited"}],"geoQ":{"georel":"within","geometry":"Polygon","coordinates":{{{polygon}}}}}"""));
        await AssertLimitAsync(query, "MaxGeometryPoints");
    }

    [Fact]
    public async Task A_batch_of_geometries_beyond_MaxGeometryPointsPerRequest_is_refused_as_a_whole()
    {
        var ids = Enumerable.Range(0, 11).Select(_ => Unique("Road")).ToList();
        var road = LineString(9_500);
        var batch = "[" + string.Join(",", ids.Select(id => Entity(id, $"\"location\":{{\"type\":\"GeoProperty\",\"value\":{road}}}"))) + "]";
        var response = await PostAsync("/ngsi-ld/v1/entityOperations/create", Json(batch));
        await AssertLimitAsync(response, "MaxGeometryPointsPerRequest");
        foreach (var id in ids) await AssertAbsentAsync(id);
    }

    [Fact]
    public async Task A_polygon_with_more_than_MaxGeometryRings_rings_is_refused()
    {
        var id = Unique("Lace");
        var hole = "[[0.5,0.5],[0.6,0.5],[0.6,0.6],[0.5,0.5]]";
        var rings = "[[0,0],[10,0],[10,10],[0,10],[0,0]]," + string.Join(",", Enumerable.Repeat(hole, 1_000));
        var response = await PostAsync(Entities, Json(Entity(id, $"\"location\":{{\"type\":\"GeoProperty\",\"value\":{{\"type\":\"Polygon\",\"coordinates\":[{rings}]}}}}")));
        await AssertLimitAsync(response, "MaxGeometryRings");
        await AssertAbsentAsync(id);
    }

    [Theory]
    [InlineData("createdAt")]
    [InlineData("modifiedAt")]
    [InlineData("deletedAt")]
    public async Task A_system_attribute_name_cannot_name_an_attribute_but_its_DateTime_may_come_back(string name)
    {
        var id = Unique("Reserved");
        var refused = await PostAsync(Entities, Json(Entity(id, $"\"{name}\":{{\"type\":\"Property\",\"value\":1}}")));
        var problem = await refused.AssertProblemAsync(400, "BadRequestData");
        Assert.Contains("reserved", problem["detail"]!.GetValue<string>());
        await AssertAbsentAsync(id);

        await _client.CreateAsync(Entity(id, $"\"{name}\":\"2020-01-01T00:00:00Z\",\"p\":{{\"type\":\"Property\",\"value\":1,\"{name}\":\"2020-01-01T00:00:00Z\"}}"));
        var stored = await _client.GetEntityAsync(id, "?options=sysAttrs");
        Assert.NotEqual("2020-01-01T00:00:00.000Z", stored["createdAt"]!.GetValue<string>());
        var subAttribute = await PostAsync($"{Entities}/{Uri.EscapeDataString(id)}/attrs", Json($"{{\"q\":{{\"type\":\"Property\",\"value\":1,\"{name}\":{{\"type\":\"Property\",\"value\":2}}}}}}"));
        await subAttribute.AssertProblemAsync(400, "BadRequestData");
    }

    [Theory]
    [InlineData("@id")]
    [InlineData("@type")]
    public async Task A_JSON_LD_keyword_is_not_an_entity_type(string type)
    {
        var id = Unique("Keyword");
        var response = await PostAsync(Entities, Json($$"""{"id":"{{id}}","type":"{{type}}"}"""));
        await response.AssertProblemAsync(400, "BadRequestData");
        await AssertAbsentAsync(id);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("")]
    public async Task A_blank_tenant_header_is_refused_rather_than_read_as_the_default_tenant(string tenant)
    {
        var id = Unique("Tenantless");
        var request = Request(HttpMethod.Post, Entities, Json(Entity(id)));
        request.Headers.TryAddWithoutValidation("NGSILD-Tenant", tenant);
        var response = await _client.SendAsync(request);
        await response.AssertProblemAsync(400, "BadRequestData");
        await AssertAbsentAsync(id);
    }

    [Theory]
    [InlineData("POST", Entities)]
    [InlineData("PATCH", Entities + "/urn:ngsi-ld:Limited:any")]
    [InlineData("POST", "/ngsi-ld/v1/entityOperations/upsert")]
    public async Task A_body_of_another_media_type_is_415_whatever_it_holds(string method, string url)
    {
        foreach (var body in new[] { "plain words", """{"id":"urn:ngsi-ld:Limited:any","type":"Limited"}""" })
        {
            var response = await _client.SendAsync(Request(new HttpMethod(method), url, new StringContent(body, Encoding.UTF8, "text/plain")));
            await response.AssertProblemAsync(415, "UnsupportedMediaType");
        }
        await AssertAbsentAsync("urn:ngsi-ld:Limited:any");
    }

    [Theory]
    [InlineData("options=aggregatedValues&aggrMethods=sum&aggrPeriodDuration=P10000Y")]
    [InlineData("aggrMethods=sum&aggrPeriodDuration=P99999999D")]
    public async Task Temporal_queries_with_a_period_beyond_the_calendar_are_400(string parameters)
    {
        var response = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/temporal/entities?type=Limited&" + parameters));
        await response.AssertProblemAsync(400, "BadRequestData");
    }
}

/// <summary>A host with the highest MaxJsonDepth the stored forms are sized for.</summary>
public sealed class DeepestBodyHost : CityOsTestHost
{
    protected override string[] Settings => ["--CityOS:Limits:MaxJsonDepth", $"{CityOS.Core.Http.InputLimits.HighestJsonDepth}"];
}

/// <summary>What the parser accepts at its deepest, every later reader handles: the store, the renderers, history.</summary>
public sealed class DeepestBodyTests(DeepestBodyHost host) : IClassFixture<DeepestBodyHost>
{
    [Fact]
    public async Task The_deepest_accepted_entity_can_be_read_queried_rendered_recorded_and_deleted()
    {
        // Sub-attributes take two levels each in the stored form: a chain at the body's limit nests the stored
        // entity about twice as deep as the body, far beyond the 64 levels a default JSON reader accepts.
        var client = host.Client;
        var id = Unique("Deep");
        var chain = "\"leaf\":{\"type\":\"Property\",\"value\":1}";
        for (var i = 0; i < CityOS.Core.Http.InputLimits.HighestJsonDepth - 2; i++) chain = $"\"s{i}\":{{\"type\":\"Property\",\"value\":{i},{chain}}}";
        await client.CreateAsync($$$"""{"id":"{{{id}}}","type":"Limited",{{{chain}}}}""");

        var top = $"s{CityOS.Core.Http.InputLimits.HighestJsonDepth - 3}";
        var entity = await client.GetEntityAsync(id);
        Assert.Equal(CityOS.Core.Http.InputLimits.HighestJsonDepth - 3, entity[top]!["value"]!.GetValue<int>());
        var query = await client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Limited&id=" + Uri.EscapeDataString(id)));
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        Assert.Equal([id], (await DeepAsync(query)).AsArray().Ids());
        var asJsonLd = await client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}?options=sysAttrs", accept: "application/ld+json"));
        Assert.Equal(HttpStatusCode.OK, asJsonLd.StatusCode);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonNode? history = null;
        while (history?[top] is not JsonArray)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the history of {id} was never recorded");
            var temporal = await client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/temporal/entities/{Uri.EscapeDataString(id)}?attrs={top}"));
            history = temporal.IsSuccessStatusCode ? await DeepAsync(temporal) : null;
            if (history?[top] is not JsonArray) await Task.Delay(20);
        }
        Assert.NotNull(history[top]![0]!["s" + (CityOS.Core.Http.InputLimits.HighestJsonDepth - 4)]);

        var deleted = await client.SendAsync(Request(HttpMethod.Delete, $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}"))).StatusCode);
    }

    /// <summary>Queries and temporal answers wrap the entity in more levels than a default client-side reader takes.</summary>
    private static async Task<JsonNode> DeepAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(), documentOptions: new() { MaxDepth = 2 * CityOS.Core.Http.InputLimits.HighestJsonDepth })!;
}
