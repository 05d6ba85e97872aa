using System.Text.Json.Nodes;
using CityOS.Context.Subscriptions;

namespace CityOS.Storage.Contracts;

/// <summary>
/// What every engine's subscription store (<see cref="ISubscriptionStore"/>) must do: keep each tenant's subscriptions and
/// their counters, the outbox of deliveries and the journal positions, apart per tenant and durably. An engine's test
/// project derives a class that opens its store on one test's storage.
/// </summary>
public abstract class SubscriptionStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset Created = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private ISubscriptionStore? _store;

    private ISubscriptionStore Store => _store!;

    /// <summary>Opens the engine on this test's storage (the same storage again after <see cref="CloseAsync"/>).</summary>
    protected abstract ValueTask<ISubscriptionStore> OpenAsync();

    /// <summary>Closes the store once every write it was given (those not awaited too) is durable.</summary>
    protected abstract ValueTask CloseAsync(ISubscriptionStore store);

    /// <summary>Removes this test's storage (after the last close).</summary>
    protected abstract ValueTask DeleteStorageAsync();

    public async Task InitializeAsync() => _store = await OpenAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null) await CloseAsync(_store);
        await DeleteStorageAsync();
    }

    private async Task ReopenAsync()
    {
        await CloseAsync(Store);
        _store = null;
        _store = await OpenAsync();
    }

    private static StoredSubscription Subscription(string? tenant, string id, string type, DateTimeOffset? modified = null) => new(
        tenant, id, JsonNode.Parse($$"""{"type": "Subscription", "entities": [{"type": "{{type}}"}]}""")!.AsObject(),
        JsonNode.Parse("""["https://example.org/context.jsonld"]"""), Created, modified ?? Created, 0, 0, null, null, null);

    private static Delivery Delivery(long seq, string? tenant, string receiver, string orderKey = "k") => new()
    {
        Seq = seq,
        Tenant = tenant,
        SubscriptionId = "urn:ngsi-ld:Subscription:" + seq,
        Receiver = receiver,
        Payload = [1, 2, (byte)seq],
        Headers = [new("Content-Type", "application/json"), new("Fiware-Service", "x")],
        Qos = 1,
        NotifiedAtOffset = 7,
        OrderKey = orderKey,
        CausedAt = Created.AddSeconds(seq),
    };

    [Fact]
    public async Task Subscriptions_are_created_replaced_and_deleted_and_survive_a_reopen()
    {
        await Store.SaveSubscriptionAsync(Subscription(null, "urn:s:1", "Car"));
        await Store.SaveSubscriptionAsync(Subscription("city", "urn:s:2", "Bus"));
        await Store.SaveSubscriptionAsync(Subscription(null, "urn:s:1", "Tram", Created.AddMinutes(5)));
        await Store.SaveSubscriptionAsync(Subscription(null, "urn:s:3", "Bike"));
        await Store.DeleteSubscriptionAsync(null, "urn:s:3");
        await ReopenAsync();

        var all = await Store.LoadSubscriptionsAsync(default);
        Assert.Equal([(null, "urn:s:1"), ("city", "urn:s:2")], all.Select(s => (s.Tenant, s.Id)).Order());
        var replaced = all.Single(s => s.Id == "urn:s:1");
        Assert.Equal("Tram", replaced.Document["entities"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("https://example.org/context.jsonld", replaced.Context![0]!.GetValue<string>());
        Assert.Equal((Created, Created.AddMinutes(5)), (replaced.CreatedAt, replaced.ModifiedAt));
    }

    [Fact]
    public async Task The_same_id_in_two_tenants_is_two_subscriptions()
    {
        await Store.SaveSubscriptionAsync(Subscription("city-a", "urn:s:same", "Car"));
        await Store.SaveSubscriptionAsync(Subscription("city-b", "urn:s:same", "Bus"));
        await Store.DeleteSubscriptionAsync("city-a", "urn:s:same");

        var left = Assert.Single(await Store.LoadSubscriptionsAsync(default));
        Assert.Equal(("city-b", "Bus"), (left.Tenant, left.Document["entities"]![0]!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Counters_are_kept_and_a_save_of_the_document_leaves_them()
    {
        await Store.SaveSubscriptionAsync(Subscription("city", "urn:s:c", "Car"));
        Store.SaveCounters("city", "urn:s:c", new SubscriptionState(5, 2, Created.AddHours(1), Created.AddHours(1), Created.AddMinutes(30)));
        await ReopenAsync();
        await Store.SaveSubscriptionAsync(Subscription("city", "urn:s:c", "Bus", Created.AddHours(2)));

        var stored = Assert.Single(await Store.LoadSubscriptionsAsync(default));
        Assert.Equal((5L, 2L), (stored.TimesSent, stored.TimesFailed));
        Assert.Equal((Created.AddHours(1), Created.AddHours(1), Created.AddMinutes(30)), (stored.LastNotification, stored.LastSuccess, stored.LastFailure));
    }

    [Fact]
    public async Task The_outbox_keeps_deliveries_in_queueing_order_until_finished_and_survives_a_reopen()
    {
        Assert.Equal(0, await Store.MaxDeliverySeqAsync(default));
        var written = Store.DeliveriesWritten;
        var taken = Delivery(2, "city", "http://b.example/n");
        // Taken by its receiver before the outbox write: never written.
        Assert.False(taken.FinishAndNeedsDelete());
        await Store.EnqueueAsync([Delivery(1, null, "http://a.example/n"), taken, Delivery(3, "city", "http://a.example/n"), Delivery(4, null, "http://a.example/n")],
            [new(null, 40), new("city", 30)]);
        Assert.Equal(written + 3, Store.DeliveriesWritten);

        var first = (await Store.LoadDeliveriesAsync("http://a.example/n", 0, 10, default)).ToList();
        Assert.Equal([1L, 3, 4], first.Select(d => d.Seq));
        Store.Finished(first[1]);
        Store.Attempted(4, 3);
        await Store.EnqueueAsync([], [new(null, 50), new("city", 20)]);
        await ReopenAsync();

        var left = await Store.LoadDeliveriesAsync(default).ToListAsync();
        Assert.Equal([1L, 4], left.Select(d => d.Seq));
        var last = left[1];
        Assert.Equal((null, "urn:ngsi-ld:Subscription:4", "http://a.example/n", 1, 3, 7, "k"), (last.Tenant, last.SubscriptionId, last.Receiver, last.Qos, last.Attempts, last.NotifiedAtOffset, last.OrderKey));
        Assert.Equal(new byte[] { 1, 2, 4 }, last.Payload);
        Assert.Equal([KeyValuePair.Create("Content-Type", "application/json"), KeyValuePair.Create("Fiware-Service", "x")], last.Headers);
        Assert.Equal(Created.AddSeconds(4), last.CausedAt);
        Assert.Equal(4, await Store.MaxDeliverySeqAsync(default));
        Assert.Equal([4L], (await Store.LoadDeliveriesAsync("http://a.example/n", 2, 10, default)).Select(d => d.Seq));
        Assert.Equal([1L], (await Store.LoadDeliveriesAsync("http://a.example/n", 0, 1, default)).Select(d => d.Seq));
        Assert.Empty(await Store.LoadDeliveriesAsync("http://b.example/n", 0, 10, default));

        // A journal position only moves forward.
        var positions = await Store.LoadPositionsAsync(default);
        Assert.Equal(50, positions[ISubscriptionStore.KeyOf(null)]);
        Assert.Equal(30, positions[ISubscriptionStore.KeyOf("city")]);
    }
}
