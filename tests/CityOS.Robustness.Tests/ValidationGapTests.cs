namespace CityOS.Robustness.Tests;

/// <summary>Class 6 of issue 9: what the API cannot serve back, or what breaks later work, is refused when it comes in.</summary>
[Collection(RealProcessCollection.Name)]
public sealed class ValidationGapTests
{
    private const string Entities = "/ngsi-ld/v1/entities";
    private const string Subscriptions = "/ngsi-ld/v1/subscriptions";
    private static readonly string KnownAttrs = $"{Entities}/{HostileCity.KnownId}/attrs";
    private static readonly Expect NothingOfType = Expect.Status(200).WithBody("an empty list", body => body.Trim() == "[]");

    [Fact]
    public async Task Input_that_could_not_be_served_back_or_would_break_later_work_is_refused()
    {
        await using var city = await HostileCity.StartAsync();

        await city.SendJsonAsync("a 100 KB entity id", Expect.ClientError, HttpMethod.Post, Entities,
            Hostile.Entity("urn:ngsi-ld:Gap:" + new string('x', 100_000), "Gap"));
        await city.SendJsonAsync("createdAt as an attribute name", Expect.Status(400), HttpMethod.Post, Entities,
            Hostile.Entity("urn:ngsi-ld:Gap:createdAt", "Gap", "\"createdAt\": " + Hostile.Property("\"2000-01-01T00:00:00Z\"")));
        await city.SendJsonAsync("modifiedAt as an attribute name in an update of the known entity", Expect.Status(400), HttpMethod.Patch, KnownAttrs,
            "{\"modifiedAt\": " + Hostile.Property("\"2000-01-01T00:00:00Z\"") + "}");
        await city.SendJsonAsync("createdAt appended to the known entity", Expect.Status(400), HttpMethod.Post, KnownAttrs,
            "{\"createdAt\": " + Hostile.Property("1") + "}");
        await city.SendJsonAsync("\"type\": \"@id\"", Expect.Status(400), HttpMethod.Post, Entities, Hostile.Entity("urn:ngsi-ld:Gap:type", "@id"));
        await city.SendAsync("the refused entities do not exist", NothingOfType, HttpMethod.Get, $"{Entities}?type=Gap");

        await city.SendJsonAsync("NGSILD-Tenant: ' '", Expect.ClientError, HttpMethod.Post, Entities, Hostile.Entity("urn:ngsi-ld:Gap:blank-tenant", "Gap"), tenant: " ");
        await city.SendAsync("the default tenant did not get the blank tenant's write", Expect.Status(404), HttpMethod.Get, $"{Entities}/urn:ngsi-ld:Gap:blank-tenant", tenant: null);

        var endpoint = city.Peer.Notify("gaps");
        var subscriptions = new Dictionary<string, string>
        {
            ["timeInterval 0.001"] = $$$$"""{"type": "Subscription", "entities": [{"type": "Gap"}], "timeInterval": 0.001, "notification": {"endpoint": {"uri": "{{{{endpoint}}}}"}}}""",
            ["receiverInfo setting Content-Length"] = $$$$"""{"type": "Subscription", "entities": [{"type": "Gap"}], "notification": {"endpoint": {"uri": "{{{{endpoint}}}}", "receiverInfo": [{"key": "Content-Length", "value": "1"}]}}}""",
            ["receiverInfo setting Host"] = $$$$"""{"type": "Subscription", "entities": [{"type": "Gap"}], "notification": {"endpoint": {"uri": "{{{{endpoint}}}}", "receiverInfo": [{"key": "Host", "value": "elsewhere.example"}]}}}""",
        };
        foreach (var (name, json) in subscriptions) await city.SendJsonAsync($"a subscription with {name}", Expect.Status(400), HttpMethod.Post, Subscriptions, json);
        await city.SendJsonAsync("a valid subscription to patch", Expect.Status(201), HttpMethod.Post, Subscriptions,
            $$$$"""{"id": "urn:ngsi-ld:Subscription:gap", "type": "Subscription", "entities": [{"type": "Gap"}], "notification": {"endpoint": {"uri": "{{{{endpoint}}}}"}}}""");
        await city.SendJsonAsync("a subscription PATCH with {\"type\": \"x\"}", Expect.Status(400), HttpMethod.Patch, $"{Subscriptions}/urn:ngsi-ld:Subscription:gap", """{"type": "x"}""");

        await city.SendAsync("temporal options=bogus", Expect.Status(400), HttpMethod.Get, $"/ngsi-ld/v1/temporal/entities/{HostileCity.KnownId}?options=bogus");
        await city.SendAsync("temporal query with options=bogus", Expect.Status(400), HttpMethod.Get,
            "/ngsi-ld/v1/temporal/entities?type=Known&timerel=after&timeAt=2000-01-01T00:00:00Z&options=bogus");

        await city.SendJsonAsync("Content-Type text/plain on an entity creation", Expect.Status(415), HttpMethod.Post, Entities,
            Hostile.Entity("urn:ngsi-ld:Gap:text", "Gap"), contentType: "text/plain");
        await city.SendJsonAsync("Content-Type text/plain on an update of the known entity", Expect.Status(415), HttpMethod.Patch, KnownAttrs,
            "{\"reading\": " + Hostile.Property("7") + "}", contentType: "text/plain");
        await city.SendJsonAsync("Content-Type text/plain on a subscription", Expect.Status(415), HttpMethod.Post, Subscriptions,
            $$$$"""{"type": "Subscription", "entities": [{"type": "Gap"}], "notification": {"endpoint": {"uri": "{{{{endpoint}}}}"}}}""", contentType: "text/plain");

        await city.AssertEverythingElseStillWorksAsync("after the validation gaps");
    }
}
