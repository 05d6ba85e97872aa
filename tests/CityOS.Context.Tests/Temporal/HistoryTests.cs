using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Temporal;

/// <summary>Every change made through the normal API is kept as attribute instances.</summary>
public sealed class HistoryTests(TemporalHost host) : IClassFixture<TemporalHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task SendAsync(HttpMethod method, string url, string json, string? tenant = null)
    {
        var response = await _client.SendAsync(Ngsi.Request(method, url, Ngsi.Json(json), tenant));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Create_patch_merge_and_batch_writes_each_add_an_instance_of_the_changed_attribute_only()
    {
        var id = Ngsi.Unique("Room");
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Room", "temperature": {"type": "Property", "value": 20, "observedAt": "2026-01-01T00:00:00Z"}, "name": "hall"}""");
        await SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{id}/attrs", """{"temperature": {"type": "Property", "value": 21, "observedAt": "2026-01-01T01:00:00Z"}}""");
        await SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{id}", """{"temperature": {"value": 22, "observedAt": "2026-01-01T02:00:00Z"}}""");
        await SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{id}/attrs/temperature", """{"value": 23, "observedAt": "2026-01-01T03:00:00Z"}""");
        await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/update", $$$"""[{"id": "{{{id}}}", "type": "Room", "temperature": {"type": "Property", "value": 24, "observedAt": "2026-01-01T04:00:00Z"}}]""");

        var history = await _client.WaitForHistoryAsync(id, "temperature", 5);
        Assert.Equal(new double[] { 20, 21, 22, 23, 24 }, Temporal.Numbers(history["temperature"]));
        var first = history["temperature"]![0]!;
        Assert.Equal("Property", first["type"]!.GetValue<string>());
        Assert.Equal("2026-01-01T00:00:00Z", first["observedAt"]!.GetValue<string>());
        Assert.StartsWith("urn:ngsi-ld:attribute:instance:", first["instanceId"]!.GetValue<string>());
        Assert.Equal("Room", history["type"]!.GetValue<string>());

        var all = await _client.GetTemporalAsync(id);
        Assert.Single(all["name"]!.AsArray());
    }

    [Fact]
    public async Task Sub_attributes_datasetIds_and_relationships_are_kept()
    {
        var id = Ngsi.Unique("Car");
        await _client.CreateAsync($$$"""
            {"id": "{{{id}}}", "type": "Car",
             "speed": [{"type": "Property", "value": 50, "unitCode": "KMH", "accuracy": {"type": "Property", "value": 0.5}},
                       {"type": "Property", "value": 51, "datasetId": "urn:ngsi-ld:Dataset:gps"}],
             "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Person:1"}}
            """);
        var history = await _client.WaitForHistoryAsync(id, "speed", 2);
        var speeds = history["speed"]!.AsArray();
        var plain = speeds.Single(s => s!["datasetId"] is null)!;
        Assert.Equal("KMH", plain["unitCode"]!.GetValue<string>());
        Assert.Equal(0.5, plain["accuracy"]!["value"]!.GetValue<double>());
        Assert.Equal("urn:ngsi-ld:Dataset:gps", speeds.Single(s => s!["datasetId"] is not null)!["datasetId"]!.GetValue<string>());
        var owner = (await _client.WaitForHistoryAsync(id, "owner", 1))["owner"]![0]!;
        Assert.Equal("urn:ngsi-ld:Person:1", owner["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_history_outlives_the_entity_until_the_temporal_entity_is_deleted()
    {
        var id = Ngsi.Unique("Lamp");
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Lamp", "on": {"type": "Property", "value": true}}""");
        await _client.WaitForHistoryAsync(id, "on", 1);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
        Assert.True((await _client.WaitForHistoryAsync(id, "on", 2))["on"]![0]!["value"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"{Temporal.Url}/{id}")).StatusCode);
        var gone = await _client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Temporal.Url}/{id}"));
        await gone.AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task A_temporal_delete_right_after_a_core_delete_is_not_undone_by_the_late_history_of_the_core_delete()
    {
        var id = Ngsi.Unique("Kiosk");
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Kiosk", "open": {"type": "Property", "value": true}}""");
        await _client.WaitForHistoryAsync(id, "open", 1);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"{Temporal.Url}/{id}")).StatusCode);

        // A later change recorded means the core delete's markers have been through the recorder too.
        var later = Ngsi.Unique("Kiosk");
        await _client.CreateAsync($$$"""{"id": "{{{later}}}", "type": "Kiosk", "open": {"type": "Property", "value": false}}""");
        await _client.WaitForHistoryAsync(later, "open", 1);

        var gone = await _client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Temporal.Url}/{id}"));
        await gone.AssertProblemAsync(404, "ResourceNotFound");
        Assert.DoesNotContain(await _client.QueryTemporalAsync("type=Kiosk"), e => e!["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task A_temporal_read_right_after_a_core_write_sees_its_history()
    {
        for (var round = 0; round < 5; round++)
        {
            var id = Ngsi.Unique("Meter");
            await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Meter", "reading": {"type": "Property", "value": 1}}""");
            await SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{id}/attrs", """{"reading": {"type": "Property", "value": 2}}""");

            var response = await _client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Temporal.Url}/{id}"));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(new double[] { 1, 2 }, Temporal.Numbers((await response.BodyAsync())["reading"]));
        }
    }

    [Fact]
    public async Task Deleting_an_attribute_leaves_an_instance_with_the_NGSI_LD_Null_and_deletedAt()
    {
        var id = Ngsi.Unique("Valve");
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Valve", "flow": {"type": "Property", "value": 3}, "open": {"type": "Property", "value": true}}""");
        await _client.WaitForHistoryAsync(id, "flow", 1);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}/attrs/flow")).StatusCode);

        var flow = (await _client.WaitForHistoryAsync(id, "flow", 2))["flow"]!.AsArray();
        Assert.Equal(3, flow[0]!["value"]!.GetValue<int>());
        Assert.Null(flow[0]!["deletedAt"]);
        var marker = flow[1]!;
        Assert.Equal("Property", marker["type"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:null", marker["value"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(marker["deletedAt"]!.GetValue<string>(), out _));
        Assert.StartsWith("urn:ngsi-ld:attribute:instance:", marker["instanceId"]!.GetValue<string>());

        var entity = await _client.GetTemporalAsync(id);
        Assert.Single(entity["open"]!.AsArray());
        Assert.Null(entity["deletedAt"]);
        var values = (await _client.GetTemporalAsync(id, "?attrs=flow&options=temporalValues"))["flow"]!["values"]!.AsArray();
        Assert.Equal("urn:ngsi-ld:null", values[1]![0]!.GetValue<string>());
        var count = (await _client.GetTemporalAsync(id, "?attrs=flow&aggrMethods=totalCount"))["flow"]!["totalCount"]![0]![0]!.GetValue<int>();
        Assert.Equal(1, count);
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("batch")]
    public async Task Deleting_the_entity_marks_every_attribute_and_the_entity_deleted(string how)
    {
        var id = Ngsi.Unique("Bin");
        await _client.CreateAsync($$$"""
            {"id": "{{{id}}}", "type": "Bin", "fill": {"type": "Property", "value": 40}, "emptiedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Truck:1"}}
            """);
        await _client.WaitForHistoryAsync(id, "fill", 1);
        var response = how == "batch"
            ? await _client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/delete", Ngsi.Json($"[\"{id}\"]")))
            : await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var entity = await _client.WaitForHistoryAsync(id, "fill", 2);
        // One response is one snapshot: once the deletion markers show, so does the entity's deletedAt.
        var deletedAt = entity["fill"]![1]!["deletedAt"]!.GetValue<string>();
        Assert.Equal("urn:ngsi-ld:null", entity["fill"]![1]!["value"]!.GetValue<string>());
        Assert.Equal(deletedAt, entity["deletedAt"]!.GetValue<string>());
        var relationship = (await _client.WaitForHistoryAsync(id, "emptiedBy", 2))["emptiedBy"]![1]!;
        Assert.Equal("urn:ngsi-ld:null", relationship["object"]!.GetValue<string>());
        Assert.Equal(deletedAt, relationship["deletedAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tenants_are_isolated()
    {
        var id = Ngsi.Unique("Meter");
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Meter", "reading": {"type": "Property", "value": 1}}""", tenant: "cityA");
        await _client.WaitForHistoryAsync(id, "reading", 1, tenant: "cityA");
        var other = await _client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Temporal.Url}/{id}", tenant: "cityB"));
        await other.AssertProblemAsync(404, "ResourceNotFound");
        var defaultTenant = await _client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Temporal.Url}/{id}"));
        await defaultTenant.AssertProblemAsync(404, "ResourceNotFound");
        Assert.Empty(await _client.QueryTemporalAsync("type=Meter&q=reading==1"));
    }
}

/// <summary>History policies per type and tenant, and retention pruning.</summary>
public sealed class HistoryPolicyTests(PolicyHost host) : IClassFixture<PolicyHost>
{
    private readonly HttpClient _client = host.Client;

    [Fact]
    public async Task A_type_or_tenant_with_history_off_keeps_none()
    {
        var secret = Ngsi.Unique("Secret");
        var visible = Ngsi.Unique("Visible");
        var quiet = Ngsi.Unique("Visible");
        await _client.CreateAsync($$$"""{"id": "{{{secret}}}", "type": "Secret", "code": {"type": "Property", "value": 1}}""");
        await _client.CreateAsync($$$"""{"id": "{{{quiet}}}", "type": "Visible", "code": {"type": "Property", "value": 1}}""", tenant: "quiet");
        await _client.CreateAsync($$$"""{"id": "{{{visible}}}", "type": "Visible", "code": {"type": "Property", "value": 1}}""");
        await _client.WaitForHistoryAsync(visible, "code", 1);
        await host.Services.CaughtUpAsync(CityOS.Context.Temporal.HistoryRecorder.Consumer, [null, "quiet"]);
        await (await _client.GetAsync($"{Temporal.Url}/{secret}")).AssertProblemAsync(404, "ResourceNotFound");
        await (await _client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Temporal.Url}/{quiet}", tenant: "quiet"))).AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Pruning_removes_instances_older_than_the_type_retention()
    {
        var ephemeral = Ngsi.Unique("Ephemeral");
        var lasting = Ngsi.Unique("Lasting");
        var old = DateTimeOffset.UtcNow.AddDays(-3).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var recent = DateTimeOffset.UtcNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:ssZ");
        foreach (var (id, type) in new[] { (ephemeral, "Ephemeral"), (lasting, "Lasting") })
        {
            await _client.CreateTemporalAsync($$$"""
                {"id": "{{{id}}}", "type": "{{{type}}}", "level": [
                  {"type": "Property", "value": 1, "observedAt": "{{{old}}}"},
                  {"type": "Property", "value": 2, "observedAt": "{{{recent}}}"}]}
                """);
        }
        Assert.True(await host.Services.GetRequiredService<CityOS.Context.Temporal.HistoryPruner>().PruneAsync(CancellationToken.None) >= 1);
        Assert.Equal(new double[] { 2 }, Temporal.Numbers((await _client.GetTemporalAsync(ephemeral))["level"]));
        Assert.Equal(new double[] { 1, 2 }, Temporal.Numbers((await _client.GetTemporalAsync(lasting))["level"]));
    }

    [Fact]
    public async Task Beyond_the_instance_limit_the_response_is_partial_and_names_its_window()
    {
        var id = Ngsi.Unique("Gauge");
        var instances = string.Join(",", Enumerable.Range(0, 5).Select(i => $$$"""{"type": "Property", "value": {{{i}}}, "observedAt": "2026-02-01T0{{{i}}}:00:00Z"}"""));
        await _client.CreateTemporalAsync($$$"""{"id": "{{{id}}}", "type": "Gauge", "level": [{{{instances}}}]}""");

        var first = await _client.GetAsync($"{Temporal.Url}/{id}?timerel=after&timeAt=2026-01-31T00:00:00Z");
        Assert.Equal(HttpStatusCode.PartialContent, first.StatusCode);
        Assert.Equal("date-time 2026-01-31T00:00:00.000Z-2026-02-01T02:00:00.000Z/*", first.Content.Headers.GetValues("Content-Range").Single());
        Assert.Equal(new double[] { 0, 1, 2 }, Temporal.Numbers((await first.BodyAsync())["level"]));

        // after is an inclusive bound (4.11): the next page starts again with the instance at the range end.
        var next = await _client.GetAsync($"{Temporal.Url}/{id}?timerel=after&timeAt=2026-02-01T02:00:00Z");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(new double[] { 2, 3, 4 }, Temporal.Numbers((await next.BodyAsync())["level"]));
    }

    [Fact]
    public async Task A_partial_response_covers_one_window_for_every_attribute_and_lists_an_attribute_it_leaves_empty()
    {
        var id = Ngsi.Unique("Gauge");
        // level on day 1, flow on day 2: five instances each, the limit is three.
        string Series(int day) => string.Join(",", Enumerable.Range(0, 5).Select(i => $$$"""{"type": "Property", "value": {{{i}}}, "observedAt": "2026-02-0{{{day}}}T0{{{i}}}:00:00Z"}"""));
        await _client.CreateTemporalAsync($$$"""{"id": "{{{id}}}", "type": "Gauge", "level": [{{{Series(1)}}}], "flow": [{{{Series(2)}}}]}""");

        var forward = await _client.GetAsync($"{Temporal.Url}/{id}?timerel=after&timeAt=2026-01-01T00:00:00Z");
        Assert.Equal(HttpStatusCode.PartialContent, forward.StatusCode);
        var body = await forward.BodyAsync();
        Assert.Equal(new double[] { 0, 1, 2 }, Temporal.Numbers(body["level"]));
        Assert.Empty(body["flow"]!.AsArray());
        var simplified = await (await _client.GetAsync($"{Temporal.Url}/{id}?timerel=after&timeAt=2026-01-01T00:00:00Z&options=temporalValues")).BodyAsync();
        Assert.Empty(simplified["flow"]!["values"]!.AsArray());

        // lastN runs backwards: the window starts at the oldest instance kept of flow, so level (older) has none.
        var backward = await _client.GetAsync($"{Temporal.Url}/{id}?lastN=4");
        Assert.Equal(HttpStatusCode.PartialContent, backward.StatusCode);
        body = await backward.BodyAsync();
        Assert.Equal(new double[] { 4, 3, 2 }, Temporal.Numbers(body["flow"]));
        Assert.Empty(body["level"]!.AsArray());
        Assert.Equal("date-time 2026-02-02T04:00:00.000Z-2026-02-02T02:00:00.000Z/4", backward.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task LastN_within_the_instance_limit_is_complete_and_beyond_it_partial()
    {
        var id = Ngsi.Unique("Gauge");
        var instances = string.Join(",", Enumerable.Range(0, 5).Select(i => $$$"""{"type": "Property", "value": {{{i}}}, "observedAt": "2026-02-01T0{{{i}}}:00:00Z"}"""));
        await _client.CreateTemporalAsync($$$"""{"id": "{{{id}}}", "type": "Gauge", "level": [{{{instances}}}]}""");

        // Cut by the client's lastN only (the limit here is 3): the whole answer, 200 without Content-Range.
        var atLimit = await _client.GetAsync($"{Temporal.Url}/{id}?lastN=3");
        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        Assert.False(atLimit.Content.Headers.Contains("Content-Range"));
        Assert.Equal(new double[] { 4, 3, 2 }, Temporal.Numbers((await atLimit.BodyAsync())["level"]));

        // lastN above the limit: the broker cut it, so the answer is partial with a backward range.
        var cut = await _client.GetAsync($"{Temporal.Url}/{id}?lastN=4");
        Assert.Equal(HttpStatusCode.PartialContent, cut.StatusCode);
        Assert.Equal(new double[] { 4, 3, 2 }, Temporal.Numbers((await cut.BodyAsync())["level"]));
        Assert.Equal("date-time 2026-02-01T04:00:00.000Z-2026-02-01T02:00:00.000Z/4", cut.Content.Headers.GetValues("Content-Range").Single());
    }
}
