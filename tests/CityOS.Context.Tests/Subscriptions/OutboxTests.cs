using CityOS.Context.Subscriptions;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>
/// A host on the test's clock with an outbox delay of 3 s: the delay passes only when a test advances the clock (a second at
/// a time), so that "taken before the outbox write" is certain, not a race with the machine's speed.
/// </summary>
public sealed class OutboxHost : FakeClockSubscriptionHost
{
    protected override IEnumerable<string> MoreSettings => ["--CityOS:Subscriptions:OutboxDelay", "00:00:03"];

    protected override TimeSpan ClockStep => TimeSpan.FromSeconds(1);
}

/// <summary>
/// The durable outbox: a notification is written to subscriptions.db (with the journal position it was computed up to) only
/// if its receiver has not taken it within CityOS:Subscriptions:OutboxDelay; the journal is acknowledged after that write.
/// </summary>
public sealed class OutboxTests(OutboxHost host) : IClassFixture<OutboxHost>
{
    private ISubscriptionStore Store => host.Services.GetRequiredService<ISubscriptionStore>();

    private async Task<int> RowsForAsync(string receiverUrl) => await Store.LoadDeliveriesAsync(default).CountAsync(d => d.Receiver == receiverUrl);


    private async Task<(string Type, string Url, string Path)> SubscribeAsync()
    {
        var type = "T" + Guid.NewGuid().ToString("N")[..10];
        var path = host.Receiver.NewPath();
        var url = host.Receiver.Url(path);
        await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}], "notificationTrigger": ["entityCreated"],
             "notification": {"endpoint": {"uri": "{{{{url}}}}"}}}
            """);
        return (type, url, path);
    }

    [Fact]
    public async Task Notifications_taken_at_once_are_never_written_to_the_outbox_and_the_journal_is_acknowledged()
    {
        var (type, url, path) = await SubscribeAsync();
        var written = Store.DeliveriesWritten;
        for (var i = 0; i < 20; i++) await host.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$"""{"id": "{{{Ngsi.Unique(type)}}}", "type": "{{{type}}}"}""");
        await host.Receiver.WaitForAsync(path, 20);

        await host.Services.CaughtUpAsync(Notifier.ConsumerName, advanceClock: host.AdvanceClock);
        Assert.Equal(0, await RowsForAsync(url));
        Assert.Equal(written, Store.DeliveriesWritten);
    }

    [Fact]
    public async Task A_notification_its_receiver_has_not_taken_is_in_the_outbox_until_it_is_delivered()
    {
        var (type, url, path) = await SubscribeAsync();
        host.Receiver.FailNext(path, 1_000_000);
        var written = Store.DeliveriesWritten;
        for (var i = 0; i < 3; i++) await host.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$"""{"id": "{{{Ngsi.Unique(type)}}}", "type": "{{{type}}}"}""");

        Assert.True(await Eventually.TrueAsync(async () => await RowsForAsync(url) == 3, between: host.AdvanceClock), "the unsent notifications were not written to the outbox");
        Assert.True(Store.DeliveriesWritten >= written + 3);
        await host.Services.CaughtUpAsync(Notifier.ConsumerName, advanceClock: host.AdvanceClock);

        host.Receiver.FailNext(path, 0);
        // Delivered by the retries, whose delays pass on the test's clock.
        Assert.True(await Eventually.TrueAsync(() => host.Receiver.Received(path).Count >= 3, between: host.AdvanceClock), "the notifications were not delivered");
        Assert.True(await Eventually.TrueAsync(async () => await RowsForAsync(url) == 0), "delivered notifications stayed in the outbox");
    }
}
