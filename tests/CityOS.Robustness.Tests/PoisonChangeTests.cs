namespace CityOS.Robustness.Tests;

/// <summary>Class 1 of issue 9: a change that a consumer cannot process must not stop notifications or history for anyone else, not even after a restart.</summary>
[Collection(RealProcessCollection.Name)]
public sealed class PoisonChangeTests
{
    private const string Entities = "/ngsi-ld/v1/entities";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Poison_changes_never_stop_notifications_or_history_of_another_tenant(bool acrossKillAndRestart)
    {
        await using var city = await HostileCity.StartAsync();
        await city.SendJsonAsync("a plain entity to update", Expect.Status(201), HttpMethod.Post, Entities,
            Hostile.Entity("urn:ngsi-ld:Poison:target", "Poison", "\"reading\": " + Hostile.Property("1")));

        // Deep nesting may be accepted only if everything downstream handles it; far beyond any limit it is refused.
        var accepted = new Dictionary<string, string>
        {
            ["an array value nested 61 deep"] = Hostile.NestedArray(61),
            ["an object value nested 61 deep"] = Hostile.NestedObject(61),
        };
        var acceptable = new List<string> { "urn:ngsi-ld:Poison:target" };
        foreach (var (name, value) in accepted)
        {
            acceptable.Add($"urn:ngsi-ld:Poison:deep{acceptable.Count}");
            await city.SendJsonAsync(name, Expect.AcceptedOrRefused(201), HttpMethod.Post, Entities,
                Hostile.Entity(acceptable[^1], "Poison", "\"deep\": " + Hostile.Property(value)));
        }
        await city.SendJsonAsync("an array value nested 1000 deep", Expect.ClientError, HttpMethod.Post, Entities,
            Hostile.Entity("urn:ngsi-ld:Poison:deeper", "Poison", "\"deep\": " + Hostile.Property(Hostile.NestedArray(1000))));
        await city.SendJsonAsync("an array nested 61 deep merged into an entity", Expect.AcceptedOrRefused(204), HttpMethod.Patch,
            $"{Entities}/urn:ngsi-ld:Poison:target", "{\"merged\": " + Hostile.Property(Hostile.NestedArray(61)) + "}");

        // Only finite doubles are numbers a store, a renderer and the history can keep.
        var refused = new List<string> { "urn:ngsi-ld:Poison:batch", "urn:ngsi-ld:Poison:geo", "urn:ngsi-ld:Poison:temporal", "urn:ngsi-ld:Poison:deeper" };
        foreach (var number in new[] { "1e400", "-1e400", "1E+999999999" })
        {
            refused.Add($"urn:ngsi-ld:Poison:number{refused.Count}");
            await city.SendJsonAsync($"the number {number}", Expect.Status(400), HttpMethod.Post, Entities,
                Hostile.Entity(refused[^1], "Poison", "\"reading\": " + Hostile.Property(number)));
        }
        await city.SendJsonAsync("1e400 in an attribute update", Expect.Status(400), HttpMethod.Patch,
            $"{Entities}/urn:ngsi-ld:Poison:target/attrs", "{\"reading\": " + Hostile.Property("1e400") + "}");
        await city.SendJsonAsync("1e400 as a coordinate", Expect.Status(400), HttpMethod.Post, Entities,
            Hostile.Entity("urn:ngsi-ld:Poison:geo", "Poison", "\"location\": {\"type\": \"GeoProperty\", \"value\": {\"type\": \"Point\", \"coordinates\": [1e400, 35]}}"));
        await city.SendJsonAsync("1e400 in a batch upsert", Expect.OneOf(207, 400), HttpMethod.Post, "/ngsi-ld/v1/entityOperations/upsert",
            "[" + Hostile.Entity("urn:ngsi-ld:Poison:batch", "Poison", "\"reading\": " + Hostile.Property("-1e400")) + "]");
        await city.SendJsonAsync("1e400 in a temporal instance", Expect.Status(400), HttpMethod.Post, "/ngsi-ld/v1/temporal/entities",
            """{"id": "urn:ngsi-ld:Poison:temporal", "type": "Poison", "reading": [{"type": "Property", "value": 1e400, "observedAt": "2026-01-01T00:00:00Z"}]}""");

        // A subscription that notifies CityOS itself nests its entities one level deeper each round.
        foreach (var endpoint in new[] { $"http://127.0.0.1:{city.Port}{Entities}", $"http://localhost:{city.Port}/ngsi-ld/v1/entityOperations/upsert" })
        {
            await city.SendJsonAsync($"a subscription notifying CityOS itself at {endpoint}", Expect.ClientError, HttpMethod.Post, "/ngsi-ld/v1/subscriptions",
                $$$$"""{"type": "Subscription", "entities": [{"type": "Echo"}], "notification": {"endpoint": {"uri": "{{{{endpoint}}}}"}}}""");
        }
        await city.SendJsonAsync("the change that would start the loop", Expect.Status(201), HttpMethod.Post, Entities,
            Hostile.Entity("urn:ngsi-ld:Echo:1", "Echo", "\"reading\": " + Hostile.Property("1")));

        if (acrossKillAndRestart) await city.RestartAfterKillAsync();

        // What was accepted must be readable, queryable and deletable; what was refused must not exist.
        await city.SendAsync("query of the poison type", Expect.Status(200), HttpMethod.Get, $"{Entities}?type=Poison&limit=1000");
        await city.SendAsync("temporal query of the poison type", Expect.Status(200), HttpMethod.Get,
            "/ngsi-ld/v1/temporal/entities?type=Poison&timerel=after&timeAt=2000-01-01T00:00:00Z");
        foreach (var id in acceptable)
        {
            await city.SendAsync($"retrieval of {id}", Expect.OneOf(200, 404), HttpMethod.Get, $"{Entities}/{id}");
            await city.SendAsync($"temporal retrieval of {id}", Expect.OneOf(200, 404), HttpMethod.Get, $"/ngsi-ld/v1/temporal/entities/{id}");
        }
        foreach (var id in refused)
        {
            await city.SendAsync($"retrieval of the refused {id}", Expect.Status(404), HttpMethod.Get, $"{Entities}/{id}");
        }
        await city.SendAsync("deletion of an entity holding a deep value", Expect.OneOf(204, 404), HttpMethod.Delete, $"{Entities}/{acceptable[1]}");

        await city.AssertEverythingElseStillWorksAsync(acrossKillAndRestart ? "after the poison batch, kill -9 and a restart" : "after the poison batch");
    }
}
