using System.Diagnostics;
using System.Net;
using CityOS.Context.Tests.Broker;
using CityOS.Context.Tests.DeadLetters;
using CityOS.Context.Tests.Temporal;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>
/// Client-supplied regular expressions run in linear time everywhere (subscriptions, queries, temporal queries), and the
/// subscription members that could flood or break notifications are refused.
/// </summary>
public sealed class HostileSubscriptionTests(SubscriptionHost host) : IClassFixture<SubscriptionHost>
{
    private const string Catastrophic = "^urn:(a|aa)+$";

    /// <summary>An id on which a backtracking engine tries about 2^(n/1.4) ways before failing.</summary>
    private static string Adversarial() => "urn:" + new string('a', 60) + "b" + Guid.NewGuid().ToString("N");

    private static string Endpoint(string url) => $$$"""{"endpoint": {"uri": "{{{url}}}"}}""";

    [Fact]
    public async Task A_subscription_with_a_catastrophic_idPattern_notifies_what_it_matches_and_delays_no_other_tenant()
    {
        var hostile = Journal.NewTenant("a");
        var other = Journal.NewTenant("z");
        var type = Journal.NewType();
        var patternPath = await host.SubscribeToTypeAsync(type, hostile, $""", "idPattern": "{Catastrophic}" """);
        var plainPath = await host.SubscribeToTypeAsync(type, hostile);
        var otherPath = await host.SubscribeToTypeAsync(type, other);

        var adversarial = await host.CreateEntityAsync(type, hostile, Adversarial());
        var matching = await host.CreateEntityAsync(type, hostile, "urn:" + new string('a', 61));
        var fresh = await host.CreateEntityAsync(type, other);

        Assert.Equal(fresh, (await host.Receiver.WaitForAsync(otherPath)).Single().Entity["id"]!.GetValue<string>());
        // Different entities are delivered in parallel (only one entity's notifications keep their order): compare as sets.
        Assert.Equal(new[] { adversarial, matching }.Order(), (await host.Receiver.WaitForAsync(plainPath, 2)).Select(n => n.Entity["id"]!.GetValue<string>()).Order());
        // The pattern's own notifications: the matching entity only, once the notifier has processed both.
        await host.Receiver.WaitForAsync(patternPath);
        await host.SettledAsync(patternPath, hostile);
        Assert.Equal(matching, host.Receiver.Received(patternPath).Single().Entity["id"]!.GetValue<string>());
        Assert.DoesNotContain(await host.Client.DeadLettersAsync(hostile), l => l!["consumer"]!.GetValue<string>() == "notifier");
    }

    [Fact]
    public async Task A_catastrophic_idPattern_in_entity_and_temporal_queries_answers_at_once()
    {
        var type = Journal.NewType();
        await host.CreateEntityAsync(type, null, Adversarial());
        var matching = await host.CreateEntityAsync(type, null, "urn:" + new string('a', 61));
        await host.Client.WaitForHistoryAsync(matching, "temperature", 1);
        var pattern = Uri.EscapeDataString(Catastrophic);

        var clock = Stopwatch.StartNew();
        Assert.Equal([matching], (await host.Client.QueryAsync($"type={type}&idPattern={pattern}")).Ids());
        Assert.Equal([matching], (await host.Client.QueryTemporalAsync($"type={type}&idPattern={pattern}")).Ids());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData(@"^(a)\\1$")]
    [InlineData("^(?=urn).*$")]
    [InlineData("^(?<!x)urn$")]
    public async Task Patterns_that_need_backtracking_are_refused_with_400_everywhere(string pattern)
    {
        var json = pattern.Replace(@"\\", @"\");
        var query = Uri.EscapeDataString(json);
        foreach (var url in new[] { $"/ngsi-ld/v1/entities?type=T&idPattern={query}", $"{Temporal.Temporal.Url}?type=T&idPattern={query}" })
        {
            var problem = await (await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, url))).AssertProblemAsync(400, "BadRequestData");
            Assert.Contains("backtracking", problem["detail"]!.GetValue<string>());
        }
        var created = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", Ngsi.Json($$$"""
            {"type": "Subscription", "entities": [{"type": "T", "idPattern": "{{{pattern}}}"}], "notification": {{{Endpoint("http://127.0.0.1:9/")}}}}
            """)));
        Assert.Contains("idPattern", (await created.AssertProblemAsync(400, "BadRequestData"))["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_timeInterval_below_the_minimum_is_refused_on_create_and_on_update()
    {
        var created = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", Ngsi.Json($$$"""
            {"type": "Subscription", "entities": [{"type": "T"}], "timeInterval": 0.001, "notification": {{{Endpoint("http://127.0.0.1:9/")}}}}
            """)));
        Assert.Contains("MinTimeInterval", (await created.AssertProblemAsync(400, "BadRequestData"))["detail"]!.GetValue<string>());

        var id = await host.SubscribeAsync($$$"""
            {"type": "Subscription", "entities": [{"type": "T"}], "timeInterval": 60, "notification": {{{Endpoint("http://127.0.0.1:9/")}}}}
            """);
        var url = $"/ngsi-ld/v1/subscriptions/{Uri.EscapeDataString(id)}";
        var updated = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Patch, url, Ngsi.Json("""{"timeInterval": 0.001}""")));
        await updated.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(60, (await host.GetSubscriptionAsync(id))["timeInterval"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("Host")]
    [InlineData("Content-Length")]
    [InlineData("transfer-encoding")]
    [InlineData("Connection")]
    [InlineData("Upgrade")]
    [InlineData("Expect")]
    public async Task A_receiverInfo_header_that_frames_or_routes_the_request_is_refused(string header)
    {
        var created = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", Ngsi.Json($$$$"""
            {"type": "Subscription", "entities": [{"type": "T"}],
             "notification": {"endpoint": {"uri": "http://127.0.0.1:9/", "receiverInfo": [{"key": "{{{{header}}}}", "value": "1"}]}}}
            """)));
        Assert.Contains(header, (await created.AssertProblemAsync(400, "BadRequestData"))["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_receiverInfo_header_of_its_own_still_reaches_the_receiver()
    {
        var type = Journal.NewType();
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}],
             "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}", "receiverInfo": [{"key": "X-City", "value": "north"}]}}}
            """);
        await host.CreateEntityAsync(type, null);
        Assert.Equal("north", (await host.Receiver.WaitForAsync(path)).Single().Headers["X-City"]);
    }

    [Fact]
    public async Task A_subscription_update_with_another_type_is_refused_and_changes_nothing()
    {
        var id = await host.SubscribeAsync($$$"""{"type": "Subscription", "entities": [{"type": "T"}], "notification": {{{Endpoint("http://127.0.0.1:9/")}}}}""");
        var url = $"/ngsi-ld/v1/subscriptions/{Uri.EscapeDataString(id)}";
        var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Patch, url, Ngsi.Json("""{"type": "x", "description": "changed"}""")));
        await response.AssertProblemAsync(400, "BadRequestData");
        var stored = await host.GetSubscriptionAsync(id);
        Assert.Equal("Subscription", stored["type"]!.GetValue<string>());
        Assert.Null(stored["description"]);
        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.SendAsync(Ngsi.Request(HttpMethod.Patch, url, Ngsi.Json("""{"type": "Subscription"}""")))).StatusCode);
    }
}
