using System.Globalization;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>
/// The notification rules that depend on time (5.11: expiresAt, throttling, timeInterval) on the test's clock: the clock
/// moves only when a test advances it, so that neither a slow machine nor a fast one decides the outcome.
/// </summary>
public sealed class NotificationClockTests(FakeClockSubscriptionHost host) : IClassFixture<FakeClockSubscriptionHost>
{
    private static string Attrs(string id) => $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}/attrs";

    private static string Temperature(int value) => $$$"""{"temperature": {"type": "Property", "value": {{{value}}}}}""";

    private static DateTimeOffset NotifiedAt(ReceivedNotification notification) =>
        DateTimeOffset.Parse(notification.Body["notifiedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task An_expired_or_paused_subscription_does_not_notify()
    {
        var expiresAt = host.Clock.GetUtcNow().AddSeconds(1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var (type, path, id) = await host.SubscribeOnNewPathAsync($"\"expiresAt\": \"{expiresAt}\"");
        var (_, pausedPath, _) = await host.SubscribeOnNewPathAsync("\"isActive\": false", type: type);
        Assert.Equal("active", (await host.GetSubscriptionAsync(id))["status"]!.GetValue<string>());
        host.Clock.Advance(TimeSpan.FromSeconds(1.2));
        Assert.Equal("expired", (await host.GetSubscriptionAsync(id))["status"]!.GetValue<string>());
        await host.CreateWithAttributesAsync(type);
        await host.SettledAsync(path);
        await host.SettledAsync(pausedPath);
        Assert.Empty(host.Receiver.Received(path));
        Assert.Empty(host.Receiver.Received(pausedPath));
    }

    [Fact]
    public async Task Throttling_drops_notifications_within_the_period()
    {
        var (type, path, _) = await host.SubscribeOnNewPathAsync("\"throttling\": 60");
        var id = await host.CreateWithAttributesAsync(type);
        await host.Receiver.WaitForAsync(path);
        for (var i = 0; i < 3; i++) await host.SendAsync(HttpMethod.Patch, Attrs(id), Temperature(30 + i));
        await host.SettledAsync(path);
        Assert.Single(host.Receiver.Received(path));

        // Once the period is over, the next change notifies again.
        host.Clock.Advance(TimeSpan.FromSeconds(60));
        await host.SendAsync(HttpMethod.Patch, Attrs(id), Temperature(40));
        var received = await host.Receiver.WaitForAsync(path, 2);
        Assert.Equal(40, received[1].Entity["temperature"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task TimeInterval_notifies_the_matching_entities_periodically()
    {
        var type = SubscriptionHost.NewType();
        await host.CreateWithAttributesAsync(type);
        await host.CreateWithAttributesAsync(type);
        var (_, path, _) = await host.SubscribeOnNewPathAsync("\"timeInterval\": 0.5", type: type);
        // The notifier looks at its periodic subscriptions every 100 ms; the clock stands still while each notification is sent.
        host.Clock.Advance(TimeSpan.FromMilliseconds(100));
        await host.Receiver.WaitForAsync(path, 1);
        host.Clock.Advance(TimeSpan.FromMilliseconds(500));
        var notifications = await host.Receiver.WaitForAsync(path, 2);
        Assert.All(notifications, n => Assert.Equal(2, n.Data.Count));
        // Spaced by the interval when sent (notifiedAt).
        var sent = notifications.Select(NotifiedAt).ToArray();
        Assert.True(sent[1] - sent[0] >= TimeSpan.FromMilliseconds(400), $"sent at {sent[0]:O} and {sent[1]:O}");
    }

    [Fact]
    public async Task Periodic_geo_json_notifications_hold_one_Feature_per_entity()
    {
        var type = SubscriptionHost.NewType();
        await host.CreateWithAttributesAsync(type, """ "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}} """);
        await host.CreateWithAttributesAsync(type, """ "temperature": {"type": "Property", "value": 7} """);
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}], "timeInterval": 1,
             "notification": {"format": "keyValues", "endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}", "accept": "application/geo+json"}}}
            """);
        host.Clock.Advance(TimeSpan.FromMilliseconds(100));
        var features = (await host.Receiver.WaitForAsync(path))[0].Body["data"]!["features"]!.AsArray();
        Assert.Equal(2, features.Count);
        Assert.Single(features, f => f!["geometry"] is null && f["properties"]!["temperature"]!.GetValue<int>() == 7);
        Assert.Single(features, f => f!["geometry"]?["type"]?.GetValue<string>() == "Point");
    }
}
