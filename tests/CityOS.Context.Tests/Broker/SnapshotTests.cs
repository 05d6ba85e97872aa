using System.Net;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Snapshots (GS CIM 009 1.9.1, 5.16): a frozen copy of what queries matched, read with NGSILD-Snapshot (6.3.22).</summary>
public sealed class SnapshotTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task<(string Type, string Fast, string Slow)> VehiclesAsync()
    {
        var type = "Snap" + Guid.NewGuid().ToString("N")[..8];
        var (fast, slow) = (Unique(type), Unique(type));
        await _client.CreateAsync($$$"""{"id": "{{{fast}}}", "type": "{{{type}}}", "speed": {"type": "Property", "value": 80}}""");
        await _client.CreateAsync($$$"""{"id": "{{{slow}}}", "type": "{{{type}}}", "speed": {"type": "Property", "value": 30}}""");
        return (type, fast, slow);
    }

    private async Task<string> SnapshotAsync(string type, string query = "", int? priority = null)
    {
        var members = (query.Length > 0 ? $", \"q\": \"{query}\"" : "");
        var body = $$"""{"type": "Snapshot", "snapshotQueries": [{"type": "Query", "entities": [{"type": "{{type}}"}]{{members}}}]{{(priority is { } p ? $", \"snapshotPriority\": {p}" : "")}}}""";
        var response = await _client.PostAsync("/ngsi-ld/v1/snapshots", Json(body));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.OriginalString;
    }

    private Task<HttpResponseMessage> InSnapshotAsync(string snapshotId, string url)
    {
        var request = Request(HttpMethod.Get, url);
        request.Headers.Add("NGSILD-Snapshot", snapshotId);
        return _client.SendAsync(request);
    }

    [Fact]
    public async Task A_snapshot_freezes_what_its_query_matched()
    {
        var (type, fast, slow) = await VehiclesAsync();
        var location = await SnapshotAsync(type, "speed>50");
        var snapshot = await (await _client.GetAsync(location)).BodyAsync();
        var id = snapshot["id"]!.GetValue<string>();

        await _client.PatchAsync($"/ngsi-ld/v1/entities/{fast}/attrs", Json("""{"speed": {"type": "Property", "value": 10}}"""));
        var queried = await InSnapshotAsync(id, $"/ngsi-ld/v1/entities?type={type}");
        var retrieved = await InSnapshotAsync(id, $"/ngsi-ld/v1/entities/{fast}");

        Assert.Equal("success", snapshot["snapshotStatus"]!.GetValue<string>());
        Assert.Equal(5, snapshot["snapshotPriority"]!.GetValue<int>());
        Assert.Equal("success", snapshot["snapshotQueriesDetails"]![0]!["resultStatus"]!.GetValue<string>());
        Assert.NotNull(snapshot["lastUsedAt"]);
        Assert.Equal(id, queried.Headers.GetValues("NGSILD-Snapshot").Single());
        Assert.Equal([fast], (await queried.BodyAsync()).AsArray().Ids());
        Assert.Equal(80, (await retrieved.BodyAsync())["speed"]!["value"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await InSnapshotAsync(id, $"/ngsi-ld/v1/entities/{slow}")).StatusCode);
        Assert.Equal(10, (await _client.GetEntityAsync(fast))["speed"]!["value"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"type": "Snapshot"}""")]
    [InlineData("""{"type": "Snapshot", "snapshotQueries": []}""")]
    [InlineData("""{"type": "Snapshot", "snapshotQueries": [{"type": "Query", "entities": [{"type": "V"}], "temporalQ": {"timerel": "after", "timeAt": "2020-01-01T00:00:00Z"}}]}""")]
    [InlineData("""{"type": "Snapshot", "snapshotQueries": [{"type": "Query", "entities": [{"type": "V"}]}], "snapshotPriority": 0}""")]
    public async Task A_snapshot_without_valid_queries_is_BadRequestData(string body)
    {
        var response = await _client.PostAsync("/ngsi-ld/v1/snapshots", Json(body));

        await response.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task An_unknown_snapshot_is_not_found()
    {
        var response = await InSnapshotAsync("urn:ngsi-ld:Snapshot:absent", "/ngsi-ld/v1/entities?type=Vehicle");

        await response.AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Update_changes_the_priority_only_a_clone_outlives_its_original_and_purge_deletes_by_member()
    {
        var (type, _, _) = await VehiclesAsync();
        var location = await SnapshotAsync(type);

        var updated = await _client.PatchAsync(location, Json("""{"snapshotPriority": 2}"""));
        var readOnly = await _client.PatchAsync(location, Json("""{"snapshotQueries": []}"""));
        var cloned = await _client.PostAsync(location + "/clone", Json("""{"type": "Snapshot", "snapshotPriority": 9}"""));
        var wrongMember = await _client.DeleteAsync("/ngsi-ld/v1/snapshots?q=speed>50");
        var purged = await _client.DeleteAsync("/ngsi-ld/v1/snapshots?q=snapshotPriority<5");

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(2, (await updated.BodyAsync())["snapshotPriority"]!.GetValue<int>());
        await readOnly.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(HttpStatusCode.Created, cloned.StatusCode);
        await wrongMember.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(HttpStatusCode.NoContent, purged.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync(location)).StatusCode);
        var clone = await (await _client.GetAsync(cloned.Headers.Location!.OriginalString)).BodyAsync();
        Assert.Equal(9, clone["snapshotPriority"]!.GetValue<int>());
        var frozen = await InSnapshotAsync(clone["id"]!.GetValue<string>(), $"/ngsi-ld/v1/entities?type={type}");
        Assert.Equal(2, (await frozen.BodyAsync()).AsArray().Count);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync(cloned.Headers.Location!.OriginalString)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync(cloned.Headers.Location!.OriginalString)).StatusCode);
    }
}
