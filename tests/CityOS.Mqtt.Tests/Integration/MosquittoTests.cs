using System.Text;
using CityOS.Mqtt.Tests.Infrastructure;
using static CityOS.Mqtt.Tests.Infrastructure.TestClient;

namespace CityOS.Mqtt.Tests.Integration;

/// <summary>The client against a real mosquitto broker.</summary>
public sealed class MosquittoTests(ITestOutputHelper output) : IAsyncLifetime
{
    private MosquittoBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await MosquittoBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Publishes_qos0_and_qos1_and_a_subscriber_receives_them_exactly()
    {
        await using var subscriber = await ConnectAsync(Options(_broker.Port));
        await using var publisher = await ConnectAsync(Options(_broker.Port));
        await using var subscription = await subscriber.SubscribeAsync("city/+/temperature", MqttQualityOfService.AtLeastOnce, Timeout());
        Assert.Equal(MqttQualityOfService.AtLeastOnce, subscription.GrantedQualityOfService);

        byte[] binary = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        await publisher.PublishAsync("city/madrid/temperature", Utf8("21.5"), MqttQualityOfService.AtMostOnce, cancellationToken: Timeout());
        await publisher.PublishAsync("city/seville/temperature", binary, MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
        await publisher.PublishAsync("city/seville/humidity", Utf8("not for this subscription"), cancellationToken: Timeout());
        await publisher.PublishAsync("city/bilbao/temperature", ReadOnlyMemory<byte>.Empty, MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());

        var first = await subscription.NextAsync();
        Assert.Equal(("city/madrid/temperature", "21.5", MqttQualityOfService.AtMostOnce, false),
            (first.Topic, Encoding.UTF8.GetString(first.Payload.Span), first.QualityOfService, first.Retain));
        var second = await subscription.NextAsync();
        Assert.Equal("city/seville/temperature", second.Topic);
        Assert.Equal(binary, second.Payload.ToArray());
        Assert.Equal(MqttQualityOfService.AtLeastOnce, second.QualityOfService);
        var third = await subscription.NextAsync();
        Assert.Equal(("city/bilbao/temperature", 0), (third.Topic, third.Payload.Length));
        await subscription.AssertNothingBeforeMarkerAsync(publisher, "city/marker/temperature");
    }

    [Fact]
    public async Task Large_payloads_and_utf8_topics_arrive_intact()
    {
        await using var client = await ConnectAsync(Options(_broker.Port));
        await using var subscription = await client.SubscribeAsync("ciudad/señal/#", MqttQualityOfService.AtLeastOnce, Timeout());
        var payload = new byte[3 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(payload);

        await client.PublishAsync("ciudad/señal/日本/😀", payload, MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());

        var message = await subscription.NextAsync();
        Assert.Equal("ciudad/señal/日本/😀", message.Topic);
        Assert.True(payload.AsSpan().SequenceEqual(message.Payload.Span));
    }

    [Fact]
    public async Task Retained_message_reaches_a_later_subscriber_with_the_retain_flag()
    {
        await using var publisher = await ConnectAsync(Options(_broker.Port));
        await publisher.PublishAsync("parking/p1/free", Utf8("42"), MqttQualityOfService.AtLeastOnce, retain: true, Timeout());

        await using var subscriber = await ConnectAsync(Options(_broker.Port));
        await using var subscription = await subscriber.SubscribeAsync("parking/#", cancellationToken: Timeout());
        var message = await subscription.NextAsync();

        Assert.Equal(("parking/p1/free", "42", true), (message.Topic, Encoding.UTF8.GetString(message.Payload.Span), message.Retain));
    }

    [Fact]
    public async Task Unsubscribing_stops_delivery_but_keeps_other_subscriptions_of_the_same_filter()
    {
        await using var client = await ConnectAsync(Options(_broker.Port));
        var first = await client.SubscribeAsync("lights/#", cancellationToken: Timeout());
        await using var second = await client.SubscribeAsync("lights/#", cancellationToken: Timeout());
        await using var other = await client.SubscribeAsync("lights/+/state", cancellationToken: Timeout());

        await first.DisposeAsync();
        await client.PublishAsync("lights/l7/state", Utf8("on"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());

        Assert.Equal("lights/l7/state", (await second.NextAsync()).Topic);
        Assert.Equal("lights/l7/state", (await other.NextAsync()).Topic);
        Assert.False(await first.Messages.WaitToReadAsync(Timeout()));

        await second.UnsubscribeAsync(Timeout());
        await client.PublishAsync("lights/l8/level", Utf8("50"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
        await client.PublishAsync("lights/l8/state", Utf8("off"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
        Assert.Equal("lights/l8/state", (await other.NextAsync()).Topic);
        await other.AssertNothingBeforeMarkerAsync(client, "lights/marker/state");
    }

    [Fact]
    public async Task Concurrent_qos1_publishers_share_one_client_and_every_message_arrives_once()
    {
        await using var subscriber = await ConnectAsync(Options(_broker.Port));
        await using var subscription = await subscriber.SubscribeAsync("load/#", MqttQualityOfService.AtLeastOnce, Timeout());
        await using var publisher = await ConnectAsync(Options(_broker.Port) with { MaxInflightMessages = 16 });

        const int publishers = 8, perPublisher = 100;
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < perPublisher; i++)
                await publisher.PublishAsync($"load/{p}", Utf8($"{p}:{i}"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout(20));
        })));

        var received = new HashSet<string>();
        for (var i = 0; i < publishers * perPublisher; i++)
            Assert.True(received.Add(Encoding.UTF8.GetString((await subscription.NextAsync()).Payload.Span)));
        await subscription.AssertNothingBeforeMarkerAsync(publisher, "load/marker");
    }

    [Fact]
    public async Task Broker_restart_the_client_reconnects_resubscribes_and_a_qos1_publish_still_arrives()
    {
        var subscriberLog = new TestLogger(output);
        var publisherLog = new TestLogger(output);
        await using var subscriber = await ConnectAsync(Options(_broker.Port), subscriberLog);
        await using var subscription = await subscriber.SubscribeAsync("alerts/#", MqttQualityOfService.AtLeastOnce, Timeout());
        await using var publisher = await ConnectAsync(Options(_broker.Port), publisherLog);

        await _broker.StopAsync();
        // Published while the broker is down: the task waits for the reconnection.
        var duringOutage = publisher.PublishAsync("alerts/flood", Utf8("river level high"), MqttQualityOfService.AtLeastOnce, retain: true, Timeout(20));
        // The client has tried the broker again and failed: the publish still waits.
        await WaitUntilAsync(() => publisherLog.Count(LogEvents.ReconnectFailed) >= 1);
        Assert.False(duringOutage.IsCompleted);
        await _broker.RestartAsync();

        await duringOutage;
        // Retained, so the subscriber gets it whichever of the two clients reconnects first.
        var message = await subscription.NextAsync();
        Assert.Equal(("alerts/flood", "river level high"), (message.Topic, Encoding.UTF8.GetString(message.Payload.Span)));

        // A plain message proves the subscription itself was restored on the new broker.
        await WaitUntilAsync(() => subscriber.IsConnected);
        await publisher.PublishAsync("alerts/fire", Utf8("smoke in sector 4"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
        var plain = await subscription.NextAsync();
        Assert.Equal(("alerts/fire", false), (plain.Topic, plain.Retain));
        Assert.True(publisherLog.Count(LogEvents.Reconnected) >= 1);
        Assert.True(subscriberLog.Count(LogEvents.Reconnected) >= 1);
    }

    [Fact]
    public async Task Keep_alive_pings_hold_an_idle_connection_open()
    {
        var log = new TestLogger(output);
        await using var proxy = new TcpProxy(_broker.Port);
        await using var client = await ConnectAsync(Options(proxy.Port) with { KeepAlive = TimeSpan.FromSeconds(1) }, log);

        // mosquitto drops a client that stays silent for 1.5 keep-alive periods. On the idle connection the broker sends only the
        // CONNACK (4 bytes) and a PINGRESP (2 bytes) per ping: three of them, and it still answered three periods on.
        await WaitUntilAsync(() => proxy.BytesFromBroker >= 4 + 3 * 2);

        Assert.True(client.IsConnected);
        Assert.Equal(0, log.Count(LogEvents.ConnectionLost));
        Assert.Equal(1, proxy.AcceptedConnections);
        await client.PublishAsync("still/here", Utf8("yes"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
    }

    [Fact]
    public async Task A_silent_connection_is_detected_as_dead_and_the_unacknowledged_qos1_message_is_retransmitted()
    {
        var log = new TestLogger(output);
        await using var subscriber = await ConnectAsync(Options(_broker.Port));
        await using var subscription = await subscriber.SubscribeAsync("meters/#", MqttQualityOfService.AtLeastOnce, Timeout());
        await using var proxy = new TcpProxy(_broker.Port);
        await using var publisher = await ConnectAsync(
            Options(proxy.Port) with { KeepAlive = TimeSpan.FromSeconds(1) }, log);

        proxy.SilenceExistingConnections();
        // Lost on the silent connection: neither the PUBLISH nor a PUBACK gets through.
        await publisher.PublishAsync("meters/m1", Utf8("1234 kWh"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout(15));

        var message = await subscription.NextAsync();
        Assert.Equal(("meters/m1", "1234 kWh"), (message.Topic, Encoding.UTF8.GetString(message.Payload.Span)));
        Assert.Contains(log.Messages, m => m.Contains("No PINGRESP", StringComparison.Ordinal));
        Assert.Contains(log.Messages, m => m.Contains("retransmitting 1 unacknowledged", StringComparison.Ordinal));
        // At least: a loaded machine may miss one more PINGRESP deadline, which only costs another reconnect.
        Assert.True(proxy.AcceptedConnections >= 2);
    }

    [Fact]
    public async Task The_will_is_published_when_the_connection_is_cut_but_not_after_a_clean_disconnect()
    {
        await using var watcher = await ConnectAsync(Options(_broker.Port));
        await using var wills = await watcher.SubscribeAsync("status/+", MqttQualityOfService.AtLeastOnce, Timeout());
        await using var proxy = new TcpProxy(_broker.Port);
        var will = new MqttWill("status/sensor-9", Utf8("offline"), MqttQualityOfService.AtLeastOnce);
        await using var cut = await ConnectAsync(Options(proxy.Port) with { Will = will, AutoReconnect = false });
        var clean = await ConnectAsync(Options(_broker.Port) with { Will = will with { Topic = "status/sensor-10" } });

        await clean.DisposeAsync();
        proxy.CutExistingConnections();

        var message = await wills.NextAsync();
        Assert.Equal(("status/sensor-9", "offline"), (message.Topic, Encoding.UTF8.GetString(message.Payload.Span)));
        await wills.AssertNothingBeforeMarkerAsync(watcher, "status/marker");
        await WaitUntilAsync(() => !cut.IsConnected);
        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => cut.PublishAsync("status/x", Utf8("?"), cancellationToken: Timeout()));
        Assert.Contains("AutoReconnect is off", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pool_shares_one_connection_per_broker_and_credentials()
    {
        await using var watcher = await ConnectAsync(Options(_broker.Port));
        await using var subscription = await watcher.SubscribeAsync("notify/#", MqttQualityOfService.AtLeastOnce, Timeout());
        await using var pool = new MqttConnectionPool();

        var first = MqttEndpoint.Parse($"mqtt://127.0.0.1:{_broker.Port}/notify/sub1");
        var second = MqttEndpoint.Parse($"mqtt://127.0.0.1:{_broker.Port}/notify/sub2");
        await Task.WhenAll(
            pool.PublishAsync(first, Utf8("a"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout()),
            pool.PublishAsync(second, Utf8("b"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout()));
        Assert.Equal(1, pool.Count);
        Assert.Same(await pool.GetClientAsync(first, Timeout()), await pool.GetClientAsync(second, Timeout()));

        var withUser = MqttEndpoint.Parse($"mqtt://someone:secret@127.0.0.1:{_broker.Port}/notify/sub3");
        await pool.PublishAsync(withUser, Utf8("c"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
        Assert.Equal(2, pool.Count);

        var topics = new List<string>();
        for (var i = 0; i < 3; i++)
            topics.Add((await subscription.NextAsync()).Topic);
        Assert.Equal(["notify/sub1", "notify/sub2", "notify/sub3"], topics.Order());
    }

    [Fact]
    public async Task Pool_reports_an_unreachable_broker_and_forgets_the_failed_client()
    {
        await using var pool = new MqttConnectionPool(endpoint => MqttClientOptions.FromEndpoint(endpoint) with { ConnectTimeout = TimeSpan.FromSeconds(2) });
        var endpoint = MqttEndpoint.Parse($"mqtt://127.0.0.1:{MosquittoBroker.FreeTcpPort()}/nobody/listens");

        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => pool.PublishAsync(endpoint, Utf8("x"), cancellationToken: Timeout()));
        Assert.Contains("Cannot connect to the MQTT broker 127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, pool.Count);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true within 10 s.");
            await Task.Delay(20);
        }
    }
}
