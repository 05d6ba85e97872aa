using CityOS.Mqtt.Tests.Infrastructure;
using static CityOS.Mqtt.Tests.Infrastructure.TestClient;

namespace CityOS.Mqtt.Tests;

/// <summary>The client against a scripted broker: exact bytes on the wire and the broker misbehaving.</summary>
public sealed class ClientProtocolTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, MqttConnectReturnCode.UnacceptableProtocolVersion, "does not support this MQTT version")]
    [InlineData(2, MqttConnectReturnCode.IdentifierRejected, "client identifier was rejected")]
    [InlineData(3, MqttConnectReturnCode.ServerUnavailable, "service is unavailable")]
    [InlineData(4, MqttConnectReturnCode.BadUserNameOrPassword, "bad user name or password")]
    [InlineData(5, MqttConnectReturnCode.NotAuthorized, "not authorised")]
    public async Task Connack_refusals_become_exceptions_that_say_why(byte code, MqttConnectReturnCode expected, string text)
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port));
        var connecting = client.ConnectAsync(Timeout());
        using var connection = await broker.AcceptAsync();
        await connection.ReadPacketAsync();
        await connection.SendAsync($"20 02 00 {code:X2}");

        var error = await Assert.ThrowsAsync<MqttConnectException>(() => connecting);
        Assert.Equal(expected, error.ReturnCode);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
        Assert.Contains($"return code {code}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_sends_the_options_on_the_wire()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker.Port, clientId: "dev-1") with
        {
            UserName = "u",
            Password = "p",
            KeepAlive = TimeSpan.FromSeconds(90),
            CleanSession = false,
            Will = new MqttWill("w", "bye"u8.ToArray()),
        };
        await using var client = new MqttClient(options);
        var connecting = client.ConnectAsync(Timeout());
        using var connection = await broker.AcceptAsync();
        var (first, body) = await connection.ReadPacketAsync();
        await connection.SendAsync("20 02 00 00");
        await connecting;

        Assert.Equal(0x10, first);
        Assert.Equal(
            "00 04 4D 51 54 54 04 C4 00 5A 00 05 64 65 76 2D 31 00 01 77 00 03 62 79 65 00 01 75 00 01 70",
            Hex.Of(body));
    }

    [Fact]
    public async Task A_reply_other_than_connack_is_a_protocol_error()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port));
        var connecting = client.ConnectAsync(Timeout());
        using var connection = await broker.AcceptAsync();
        await connection.ReadPacketAsync();
        await connection.SendAsync("D0 00");

        var error = await Assert.ThrowsAsync<MqttProtocolException>(() => connecting);
        output.WriteLine(error.Message);
        Assert.Contains($"127.0.0.1:{broker.Port} broke the protocol while connecting", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_connack_is_a_protocol_error()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port));
        var connecting = client.ConnectAsync(Timeout());
        using var connection = await broker.AcceptAsync();
        await connection.ReadPacketAsync();
        await connection.SendAsync("20 02 00 09");

        var error = await Assert.ThrowsAsync<MqttProtocolException>(() => connecting);
        output.WriteLine(error.Message);
        Assert.Contains($"127.0.0.1:{broker.Port} broke the protocol while connecting", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broker_that_never_answers_times_out()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port) with { ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        var connecting = client.ConnectAsync(Timeout());
        using var connection = await broker.AcceptAsync();

        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => connecting);
        Assert.Contains("timed out after 0.3 s", error.Message, StringComparison.Ordinal);
        Assert.True(await connection.ClosedByClientAsync());
    }

    [Fact]
    public async Task Connecting_honours_the_callers_cancellation()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port));
        using var cancel = new CancellationTokenSource();
        var connecting = client.ConnectAsync(cancel.Token);
        using var connection = await broker.AcceptAsync();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting);
    }

    [Fact]
    public async Task A_broker_closing_before_connack_is_reported()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port));
        var connecting = client.ConnectAsync(Timeout());
        var connection = await broker.AcceptAsync();
        await connection.ReadPacketAsync();
        connection.Dispose();

        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => connecting);
        Assert.Contains("closed the connection before answering CONNECT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_listening_is_reported()
    {
        await using var client = new MqttClient(Options(MosquittoBroker.FreeTcpPort()));
        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => client.ConnectAsync(Timeout()));
        Assert.Contains("Cannot connect to the MQTT broker 127.0.0.1:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unacknowledged_qos1_publish_is_retransmitted_with_dup_and_the_same_packet_id()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port));
        var connecting = client.ConnectAsync(Timeout());
        var first = await broker.AcceptClientAsync();
        await connecting;

        var publishing = client.PublishAsync("a/b", "hi"u8.ToArray(), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
        var (original, originalBody) = await first.ReadPacketOfTypeAsync(3);
        Assert.Equal(0x32, original);
        first.Dispose();

        using var second = await broker.AcceptClientAsync();
        var (again, againBody) = await second.ReadPacketOfTypeAsync(3);
        Assert.Equal(0x3A, again);
        Assert.Equal(originalBody, againBody);
        Assert.False(publishing.IsCompleted);
        await second.SendAsync($"40 02 {originalBody[5]:X2} {originalBody[6]:X2}");
        await publishing;
    }

    [Fact]
    public async Task Incoming_qos1_messages_are_delivered_and_acknowledged()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port));
        var connecting = client.ConnectAsync(Timeout());
        using var connection = await broker.AcceptClientAsync();
        await connecting;

        var subscribing = client.SubscribeAsync("s/#", MqttQualityOfService.AtLeastOnce, Timeout());
        var (subscribe, body) = await connection.ReadPacketOfTypeAsync(8);
        Assert.Equal(0x82, subscribe);
        Assert.Equal("00 03 73 2F 23 01", Hex.Of(body.AsSpan(2)));
        // Granted QoS 0 although 1 was asked: the subscription reports what the broker decided.
        await connection.SendAsync($"90 03 {body[0]:X2} {body[1]:X2} 00");
        await using var subscription = await subscribing;
        Assert.Equal(MqttQualityOfService.AtMostOnce, subscription.GrantedQualityOfService);

        await connection.SendAsync("32 09 00 03 73 2F 78 12 34 6F 6B");
        var message = await subscription.NextAsync();
        Assert.Equal(("s/x", "ok", MqttQualityOfService.AtLeastOnce), (message.Topic, System.Text.Encoding.UTF8.GetString(message.Payload.Span), message.QualityOfService));
        var (ack, ackBody) = await connection.ReadPacketOfTypeAsync(4);
        Assert.Equal((0x40, "12 34"), (ack, Hex.Of(ackBody)));
    }

    [Fact]
    public async Task A_refused_subscription_is_an_exception()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port));
        var connecting = client.ConnectAsync(Timeout());
        using var connection = await broker.AcceptClientAsync();
        await connecting;

        var subscribing = client.SubscribeAsync("secret/#", cancellationToken: Timeout());
        var (_, body) = await connection.ReadPacketOfTypeAsync(8);
        await connection.SendAsync($"90 03 {body[0]:X2} {body[1]:X2} 80");

        var error = await Assert.ThrowsAsync<MqttException>(() => subscribing);
        Assert.Contains("refused the subscription to 'secret/#'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_qos1_publish_frees_its_inflight_slot()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker.Port) with { MaxInflightMessages = 1 });
        var connecting = client.ConnectAsync(Timeout());
        using var connection = await broker.AcceptClientAsync();
        await connecting;

        using var cancel = new CancellationTokenSource();
        var abandoned = client.PublishAsync("t", "1"u8.ToArray(), MqttQualityOfService.AtLeastOnce, cancellationToken: cancel.Token);
        await connection.ReadPacketOfTypeAsync(3);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        var next = client.PublishAsync("t", "2"u8.ToArray(), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
        var (_, body) = await connection.ReadPacketOfTypeAsync(3);
        await connection.SendAsync($"40 02 {body[3]:X2} {body[4]:X2}");
        await next;
    }

    [Fact]
    public async Task An_idle_client_sends_pingreq_and_a_missing_pingresp_means_a_dead_connection()
    {
        var log = new TestLogger(output);
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(
            Options(broker.Port) with { KeepAlive = TimeSpan.FromSeconds(1) }, log);
        var connecting = client.ConnectAsync(Timeout());
        using var first = await broker.AcceptClientAsync();
        await connecting;

        Assert.Equal(0xC0, (await first.ReadPacketAsync(3)).FirstByte);
        await first.SendAsync("D0 00");
        Assert.Equal(0xC0, (await first.ReadPacketAsync(3)).FirstByte);

        Assert.True(await first.ClosedByClientAsync());
        using var second = await broker.AcceptClientAsync();
        Assert.Contains(log.Messages, m => m.Contains("No PINGRESP from the MQTT broker within 0.5 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dispose_sends_disconnect_and_fails_waiting_publishers()
    {
        await using var broker = new FakeBroker();
        var client = new MqttClient(Options(broker.Port));
        var connecting = client.ConnectAsync(Timeout());
        using var connection = await broker.AcceptClientAsync();
        await connecting;
        var waiting = client.PublishAsync("t", "x"u8.ToArray(), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
        await connection.ReadPacketOfTypeAsync(3);

        await client.DisposeAsync();

        Assert.Equal(0xE0, (await connection.ReadPacketOfTypeAsync(14)).FirstByte);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
        Assert.False(client.IsConnected);
    }
}
