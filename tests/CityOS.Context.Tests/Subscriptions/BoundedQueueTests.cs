using CityOS.Context.Subscriptions;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>A host that holds at most four deliveries per receiver in memory.</summary>
public sealed class BoundedQueueHost : SubscriptionHost
{
    protected override IEnumerable<string> MoreSettings =>
    [
        "--CityOS:Subscriptions:MaxQueuedPerReceiver", "4",
        "--CityOS:Subscriptions:MaxInFlightPerReceiver", "2",
    ];
}

/// <summary>Deliveries to a receiver that is down wait in the durable outbox, not in memory, and all arrive once it is back.</summary>
public sealed class BoundedQueueTests(BoundedQueueHost host) : IClassFixture<BoundedQueueHost>
{
    [Fact]
    public async Task A_receiver_that_is_down_costs_at_most_its_cap_in_memory_and_gets_every_notification_once_back()
    {
        var type = "T" + Guid.NewGuid().ToString("N")[..10];
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}], "notificationTrigger": ["entityCreated"],
             "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}"}}}
            """);
        host.Receiver.FailNext(path, 1_000_000);
        var dispatcher = host.Services.GetRequiredService<DeliveryDispatcher>();
        var ids = new List<string>();
        var mostHeld = 0;
        for (var i = 0; i < 40; i++)
        {
            var id = Ngsi.Unique(type);
            await host.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$"""{"id": "{{{id}}}", "type": "{{{type}}}", "n": {{{i}}}}""");
            ids.Add(id);
            mostHeld = Math.Max(mostHeld, dispatcher.Pending);
        }
        // Every notification computed and the journal acknowledged: all 40 are in the outbox, at most four of them in memory.
        var url = host.Receiver.Url(path);
        var store = host.Services.GetRequiredService<ISubscriptionStore>();
        await host.Services.CaughtUpAsync(Notifier.ConsumerName);
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            mostHeld = Math.Max(mostHeld, dispatcher.Pending);
            return await store.LoadDeliveriesAsync(default).CountAsync(d => d.Receiver == url) == 40;
        }), "the undelivered notifications did not all reach the outbox");
        mostHeld = Math.Max(mostHeld, dispatcher.Pending);
        Assert.InRange(mostHeld, 1, 4);

        host.Receiver.FailNext(path, 0);
        var received = await host.Receiver.WaitForAsync(path, 40, 20_000);
        Assert.Equal(ids.Order(), received.Select(n => n.Entity["id"]!.GetValue<string>()).Distinct().Order());
    }
}
