using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Temporal;

/// <summary>Retrieve (5.7.3) and query (5.7.4) of temporal evolution: timerel, timeproperty, lastN, representations, selection, paging.</summary>
public sealed class TemporalQueryTests(TemporalHost host) : IClassFixture<TemporalHost>, IAsyncLifetime
{
    private readonly HttpClient _client = host.Client;
    private readonly string _type = "Sensor" + Guid.NewGuid().ToString("N")[..8];
    private string _id = "";

    /// <summary>Five temperatures, one per hour from 2026-01-01T00:00Z (values 10, 11, 12, 13, 14), and two humidities.</summary>
    public async Task InitializeAsync()
    {
        _id = $"urn:ngsi-ld:{_type}:a";
        var temperatures = string.Join(",", Enumerable.Range(0, 5).Select(i => $$$"""{"type": "Property", "value": {{{10 + i}}}, "observedAt": "2026-01-01T0{{{i}}}:00:00Z"}"""));
        var created = await _client.CreateTemporalAsync($$$"""
            {"id": "{{{_id}}}", "type": "{{{_type}}}", "temperature": [{{{temperatures}}}],
             "humidity": [{"type": "Property", "value": 40, "observedAt": "2026-01-01T00:30:00Z"}, {"type": "Property", "value": 45, "observedAt": "2026-01-01T03:30:00Z"}]}
            """);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<double[]> TemperaturesAsync(string query) => Temporal.Numbers((await _client.GetTemporalAsync(_id, query))["temperature"]);

    [Fact]
    public async Task Without_timerel_every_instance_comes_in_time_order()
    {
        var entity = await _client.GetTemporalAsync(_id);
        Assert.Equal(new double[] { 10, 11, 12, 13, 14 }, Temporal.Numbers(entity["temperature"]));
        Assert.Equal(new double[] { 40, 45 }, Temporal.Numbers(entity["humidity"]));
    }

    /// <summary>4.11: before is an exclusive bound, after an inclusive one, between includes timeAt and excludes endTimeAt.</summary>
    [Fact]
    public async Task Timerel_before_after_and_between()
    {
        Assert.Equal(new double[] { 10, 11 }, await TemperaturesAsync("?timerel=before&timeAt=2026-01-01T02:00:00Z"));
        Assert.Equal(new double[] { 12, 13, 14 }, await TemperaturesAsync("?timerel=after&timeAt=2026-01-01T02:00:00Z"));
        Assert.Equal(new double[] { 12, 13, 14 }, await TemperaturesAsync("?timerel=after&timeAt=2026-01-01T02:00:00.000Z"));
        Assert.Equal(new double[] { 11, 12 }, await TemperaturesAsync("?timerel=between&timeAt=2026-01-01T01:00:00Z&endTimeAt=2026-01-01T03:00:00Z"));
    }

    [Fact]
    public async Task Timeproperty_createdAt_and_modifiedAt_select_by_when_instances_were_written()
    {
        var now = DateTimeOffset.UtcNow;
        var before = now.AddMinutes(-10).ToString("yyyy-MM-ddTHH:mm:ssZ");
        Assert.Equal(new double[] { 10, 11, 12, 13, 14 }, await TemperaturesAsync($"?timerel=after&timeAt={before}&timeproperty=createdAt"));
        Assert.Null((await _client.GetTemporalAsync(_id, $"?timerel=before&timeAt={before}&timeproperty=modifiedAt"))["temperature"]);
    }

    [Fact]
    public async Task LastN_gives_the_most_recent_instances_newest_first_and_is_complete_when_only_lastN_cut_it()
    {
        var response = await _client.GetAsync($"{Temporal.Url}/{_id}?attrs=temperature&lastN=2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new double[] { 14, 13 }, Temporal.Numbers((await response.BodyAsync())["temperature"]));
        Assert.False(response.Content.Headers.Contains("Content-Range"));

        Assert.Equal(new double[] { 11, 10 }, await TemperaturesAsync("?lastN=2&timerel=before&timeAt=2026-01-01T02:00:00Z"));
        var all = await _client.GetAsync($"{Temporal.Url}/{_id}?attrs=temperature&lastN=10");
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
    }

    [Fact]
    public async Task Pick_and_omit_keep_the_chosen_members_on_retrieve_and_query()
    {
        var picked = await _client.GetTemporalAsync(_id, "?pick=id,humidity");
        Assert.Equal(["humidity", "id"], picked.AsObject().Select(kv => kv.Key).Order());
        var omitted = await _client.GetTemporalAsync(_id, "?omit=type,temperature");
        Assert.Equal(["humidity", "id"], omitted.AsObject().Select(kv => kv.Key).Order());
        var query = await _client.QueryTemporalAsync($"type={_type}&pick=temperature");
        Assert.Equal(["temperature"], query.Single()!.AsObject().Select(kv => kv.Key));

        var nothingLeft = await _client.GetAsync($"{Temporal.Url}/{_id}?pick=unknown");
        Assert.Equal(HttpStatusCode.NotFound, nothingLeft.StatusCode);
        foreach (var invalid in new[] { "pick=id&omit=type", "pick=id&attrs=temperature", "omit=humidity&attrs=temperature" })
        {
            var refused = await _client.GetAsync($"{Temporal.Url}/{_id}?{invalid}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
    }

    [Fact]
    public async Task OrderBy_id_sorts_the_entities_ascending_or_descending()
    {
        foreach (var suffix in new[] { "c", "b" })
        {
            await _client.CreateTemporalAsync($$$"""{"id": "urn:ngsi-ld:{{{_type}}}:{{{suffix}}}", "type": "{{{_type}}}", "temperature": {"type": "Property", "value": 1}}""");
        }
        string[] ascending = [_id, $"urn:ngsi-ld:{_type}:b", $"urn:ngsi-ld:{_type}:c"];
        Assert.Equal(ascending, (await _client.QueryTemporalAsync($"type={_type}&orderBy=id")).Ids());
        Assert.Equal(ascending.Reverse(), (await _client.QueryTemporalAsync($"type={_type}&orderBy=id;desc")).Ids());
    }

    [Fact]
    public async Task TemporalValues_are_value_time_pairs()
    {
        var entity = await _client.GetTemporalAsync(_id, "?options=temporalValues&attrs=humidity");
        Assert.Null(entity["temperature"]);
        var humidity = entity["humidity"]!;
        Assert.Equal("Property", humidity["type"]!.GetValue<string>());
        Assert.Equal("""[[40,"2026-01-01T00:30:00Z"],[45,"2026-01-01T03:30:00Z"]]""", humidity["values"]!.ToJsonString());
        var viaFormat = await _client.GetTemporalAsync(_id, "?format=temporalValues&attrs=humidity");
        Assert.Equal(humidity.ToJsonString(), viaFormat["humidity"]!.ToJsonString());
    }

    [Fact]
    public async Task SysAttrs_add_createdAt_and_modifiedAt_to_each_instance()
    {
        var entity = await _client.GetTemporalAsync(_id, "?options=sysAttrs&attrs=humidity");
        Assert.NotNull(entity["humidity"]![0]!["createdAt"]);
        Assert.NotNull(entity["humidity"]![0]!["modifiedAt"]);
        Assert.Null((await _client.GetTemporalAsync(_id, "?attrs=humidity"))["humidity"]![0]!["createdAt"]);
    }

    [Fact]
    public async Task Query_selects_by_type_id_idPattern_and_attrs_and_leaves_out_entities_without_matching_instances()
    {
        var other = $"urn:ngsi-ld:{_type}:b";
        await _client.CreateTemporalAsync($$$"""{"id": "{{{other}}}", "type": "{{{_type}}}", "temperature": [{"type": "Property", "value": 99, "observedAt": "2026-03-01T00:00:00Z"}]}""");

        Assert.Equal([_id, other], (await _client.QueryTemporalAsync($"type={_type}")).Ids());
        Assert.Equal([other], (await _client.QueryTemporalAsync($"type={_type}&timerel=after&timeAt=2026-02-01T00:00:00Z")).Ids());
        Assert.Equal([_id], (await _client.QueryTemporalAsync($"id={_id}")).Ids());
        Assert.Equal([other], (await _client.QueryTemporalAsync($"idPattern=.*:b$&type={_type}")).Ids());
        Assert.Equal([_id], (await _client.QueryTemporalAsync($"type={_type}&attrs=humidity")).Ids());
        var page = await _client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Temporal.Url}?type={_type}&limit=1&offset=1&count=true"));
        Assert.Equal("2", page.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Equal([other], (await page.BodyAsync()).AsArray().Ids());
    }

    [Fact]
    public async Task Query_pages_carry_link_headers_to_the_next_and_previous_pages()
    {
        foreach (var suffix in new[] { "b", "c" })
        {
            await _client.CreateTemporalAsync($$$"""{"id": "urn:ngsi-ld:{{{_type}}}:{{{suffix}}}", "type": "{{{_type}}}", "temperature": {"type": "Property", "value": 1}}""");
        }
        var first = await _client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Temporal.Url}?type={_type}&attrs=temperature&limit=2"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal([_id, $"urn:ngsi-ld:{_type}:b"], (await first.BodyAsync()).AsArray().Ids());
        var firstLinks = string.Join(",", first.Headers.GetValues("Link"));
        Assert.DoesNotContain("rel=\"prev\"", firstLinks);
        var nextUrl = System.Text.RegularExpressions.Regex.Match(firstLinks, "<([^>]*)>; rel=\"next\"").Groups[1].Value;
        Assert.StartsWith(Temporal.Url + "?", nextUrl);
        Assert.Contains("offset=2", nextUrl);
        Assert.Contains("attrs=temperature", nextUrl);

        var second = await _client.SendAsync(Ngsi.Request(HttpMethod.Get, nextUrl));
        Assert.Equal([$"urn:ngsi-ld:{_type}:c"], (await second.BodyAsync()).AsArray().Ids());
        var secondLinks = string.Join(",", second.Headers.GetValues("Link"));
        Assert.Matches("<[^>]*offset=0[^>]*>; rel=\"prev\"", secondLinks);
        Assert.DoesNotContain("rel=\"next\"", secondLinks);
    }

    [Fact]
    public async Task Q_and_geo_queries_apply_to_the_current_entity()
    {
        var type = "Bin" + Guid.NewGuid().ToString("N")[..8];
        var full = $"urn:ngsi-ld:{type}:full";
        var empty = $"urn:ngsi-ld:{type}:empty";
        await _client.CreateAsync($$$$"""{"id": "{{{{full}}}}", "type": "{{{{type}}}}", "fill": {"type": "Property", "value": 90}, "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.35, 48.85]}}}""");
        await _client.CreateAsync($$$$"""{"id": "{{{{empty}}}}", "type": "{{{{type}}}}", "fill": {"type": "Property", "value": 5}, "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [13.4, 52.5]}}}""");
        await _client.WaitForHistoryAsync(full, "fill", 1);
        await _client.WaitForHistoryAsync(empty, "fill", 1);

        Assert.Equal([full], (await _client.QueryTemporalAsync($"type={type}&q=fill>50")).Ids());
        Assert.Equal([empty], (await _client.QueryTemporalAsync($"type={type}&georel=near;maxDistance==10000&geometry=Point&coordinates=[13.4,52.5]")).Ids());
    }

    [Fact]
    public async Task Q_and_geo_queries_match_temporal_only_entities_on_their_instances()
    {
        var type = "Buoy" + Guid.NewGuid().ToString("N")[..8];
        var drifting = $"urn:ngsi-ld:{type}:drifting";
        var calm = $"urn:ngsi-ld:{type}:calm";
        await _client.CreateTemporalAsync($$$$"""
            {"id": "{{{{drifting}}}}", "type": "{{{{type}}}}",
             "wave": [{"type": "Property", "value": 4, "observedAt": "2026-01-01T00:00:00Z"}, {"type": "Property", "value": 1, "observedAt": "2026-01-01T02:00:00Z"}],
             "location": [{"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.35, 48.85]}, "observedAt": "2026-01-01T00:00:00Z"},
                          {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [13.4, 52.5]}, "observedAt": "2026-01-01T02:00:00Z"}]}
            """);
        await _client.CreateTemporalAsync($$$$"""
            {"id": "{{{{calm}}}}", "type": "{{{{type}}}}",
             "wave": [{"type": "Property", "value": 0.5, "observedAt": "2026-01-01T00:00:00Z"}],
             "location": [{"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.35, 48.85]}, "observedAt": "2026-01-01T00:00:00Z"}]}
            """);

        Assert.Equal([drifting], (await _client.QueryTemporalAsync($"type={type}&q=wave>3")).Ids());
        Assert.Empty(await _client.QueryTemporalAsync($"type={type}&q=wave>3&timerel=after&timeAt=2026-01-01T01:00:00Z"));
        Assert.Equal([calm, drifting], (await _client.QueryTemporalAsync($"type={type}&q=wave<2")).Ids().Order());
        Assert.Equal([drifting], (await _client.QueryTemporalAsync($"type={type}&q=wave<2;wave>0.9")).Ids());
        Assert.Equal([drifting], (await _client.QueryTemporalAsync($"type={type}&georel=near;maxDistance==10000&geometry=Point&coordinates=[13.4,52.5]")).Ids());
        Assert.Equal([calm, drifting], (await _client.QueryTemporalAsync($"type={type}&georel=near;maxDistance==10000&geometry=Point&coordinates=[2.35,48.85]")).Ids().Order());
        Assert.Empty(await _client.QueryTemporalAsync($"type={type}&georel=near;maxDistance==10000&geometry=Point&coordinates=[2.35,48.85]&timerel=after&timeAt=2026-01-01T01:00:00Z"));
    }

    [Fact]
    public async Task Post_query_reads_the_temporalQ()
    {
        var response = await _client.PostAsync("/ngsi-ld/v1/temporal/entityOperations/query", Ngsi.Json($$$"""
            {"type": "Query", "entities": [{"type": "{{{_type}}}"}], "attrs": ["temperature"],
             "temporalQ": {"timerel": "between", "timeAt": "2026-01-01T01:00:00Z", "endTimeAt": "2026-01-01T03:00:00Z"}}
            """));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entity = (await response.BodyAsync()).AsArray().Single(e => e!["id"]!.GetValue<string>() == _id)!;
        Assert.Equal(new double[] { 11, 12 }, Temporal.Numbers(entity["temperature"]));
        Assert.Null(entity["humidity"]);

        var lastN = await _client.PostAsync("/ngsi-ld/v1/temporal/entityOperations/query", Ngsi.Json($$$"""
            {"type": "Query", "entities": [{"id": "{{{_id}}}", "type": "{{{_type}}}"}], "attrs": ["temperature"], "temporalQ": {"lastN": 1}}
            """));
        Assert.Equal(new double[] { 14 }, Temporal.Numbers((await lastN.BodyAsync())[0]!["temperature"]));
    }

    [Fact]
    public async Task Responses_carry_the_context_as_asked()
    {
        var response = await _client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Temporal.Url}/{_id}?attrs=humidity", accept: "application/ld+json"));
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType!.MediaType);
        Assert.NotNull((await response.BodyAsync())["@context"]);
    }
}
