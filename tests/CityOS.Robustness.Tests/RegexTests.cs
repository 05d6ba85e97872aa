namespace CityOS.Robustness.Tests;

/// <summary>Class 2 of issue 9: a regular expression from a client must cost linear time wherever it is used.</summary>
[Collection(RealProcessCollection.Name)]
public sealed class RegexTests
{
    /// <summary>Exponential for a backtracking engine on "urn:aaa…a!": every way of splitting the a's is tried.</summary>
    private const string Catastrophic = "^urn:(a|aa)+$";

    [Fact]
    public async Task A_catastrophic_pattern_neither_fails_a_request_nor_delays_notifications_of_another_tenant()
    {
        await using var city = await HostileCity.StartAsync();
        var pattern = Hostile.Escape(Catastrophic);
        var evilId = "urn:" + new string('a', 60) + "!";

        // Accepted for a linear-time engine, or refused as the spec's error types say: either way the pattern costs nothing.
        await city.SendJsonAsync("a subscription with the pattern as idPattern", Expect.AcceptedOrRefused(201), HttpMethod.Post, "/ngsi-ld/v1/subscriptions",
            $$$$"""{"type": "Subscription", "entities": [{"idPattern": "{{{{Catastrophic}}}}", "type": "Evil"}], "notification": {"endpoint": {"uri": "{{{{city.Peer.Notify("evil")}}}}"}}}""");
        await city.SendJsonAsync("a subscription with the pattern in q", Expect.AcceptedOrRefused(201), HttpMethod.Post, "/ngsi-ld/v1/subscriptions",
            $$$$"""{"type": "Subscription", "entities": [{"type": "Evil"}], "q": "name~=\"{{{{Catastrophic.Replace("urn:", "")}}}}\"", "notification": {"endpoint": {"uri": "{{{{city.Peer.Notify("evil")}}}}"}}}""");
        for (var i = 0; i < 5; i++)
        {
            await city.SendJsonAsync($"a change the patterns must be matched against ({i})", Expect.Status(201), HttpMethod.Post, "/ngsi-ld/v1/entities",
                Hostile.Entity(evilId + i, "Evil", "\"name\": " + Hostile.Property($"\"{new string('a', 60)}!{i}\"")));
        }

        var queries = new Dictionary<string, string>
        {
            ["idPattern on a query"] = $"/ngsi-ld/v1/entities?type=Evil&idPattern={pattern}",
            ["idPattern on a query without type"] = $"/ngsi-ld/v1/entities?idPattern={pattern}",
            ["q with ~= on a query"] = $"/ngsi-ld/v1/entities?type=Evil&q={Hostile.Escape("name~=\"^(a|aa)+$\"")}",
            ["idPattern on a temporal query"] = $"/ngsi-ld/v1/temporal/entities?type=Evil&idPattern={pattern}&timerel=after&timeAt=2000-01-01T00:00:00Z",
            ["q with ~= on a temporal query"] = $"/ngsi-ld/v1/temporal/entities?type=Evil&q={Hostile.Escape("name~=\"^(a|aa)+$\"")}&timerel=after&timeAt=2000-01-01T00:00:00Z",
            ["idPattern on a subscription query"] = $"/ngsi-ld/v1/subscriptions?idPattern={pattern}",
        };
        foreach (var (name, path) in queries)
        {
            await city.SendAsync(name, Expect.OneOf(200, 400, 403), HttpMethod.Get, path, timeout: TimeSpan.FromSeconds(30));
        }
        await city.SendJsonAsync("idPattern on a POST query", Expect.OneOf(200, 400, 403), HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query",
            $$$$"""{"type": "Query", "entities": [{"idPattern": "{{{{Catastrophic}}}}", "type": "Evil"}]}""");

        await city.AssertEverythingElseStillWorksAsync("after the catastrophic patterns");
    }
}
