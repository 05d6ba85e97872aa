using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CityOS.Mqtt.Tests.Infrastructure;
using static CityOS.Mqtt.Tests.Infrastructure.TestClient;

namespace CityOS.Mqtt.Tests.Integration;

/// <summary>
/// Our publisher, a real mosquitto and MQTT.js (the client most NGSI-LD notification consumers use)
/// as the subscriber: what MQTT.js receives must be exactly what we published.
/// </summary>
public sealed class MqttJsInteropTests : IAsyncLifetime
{
    private MosquittoBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await MosquittoBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task MqttJs_subscriber_receives_our_qos0_and_qos1_messages_byte_for_byte()
    {
        byte[] binary = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        var large = new byte[200_000];
        Random.Shared.NextBytes(large);
        (string Topic, byte[] Payload, MqttQualityOfService Qos)[] sent =
        [
            ("cityos/notify/sub1", Encoding.UTF8.GetBytes("""{"id":"urn:ngsi-ld:Notification:1","type":"Notification"}"""), MqttQualityOfService.AtMostOnce),
            ("cityos/notify/sub2", binary, MqttQualityOfService.AtLeastOnce),
            ("cityos/notify/sub2", [], MqttQualityOfService.AtLeastOnce),
            ("cityos/notify/señal/日本", large, MqttQualityOfService.AtMostOnce),
            ("cityos/notify/last", Encoding.UTF8.GetBytes("done"), MqttQualityOfService.AtLeastOnce),
        ];

        await using var subscriber = await MqttJsSubscriber.StartAsync(_broker.Url, "cityos/notify/#", sent.Length);
        await using var client = await ConnectAsync(Options(_broker.Port));
        foreach (var (topic, payload, qos) in sent)
            await client.PublishAsync(topic, payload, qos, cancellationToken: Timeout());

        var received = await subscriber.WaitForMessagesAsync(_broker);
        Assert.Equal(sent.Length, received.Count);
        for (var i = 0; i < sent.Length; i++)
        {
            Assert.Equal(sent[i].Topic, received[i].Topic);
            Assert.Equal((int)sent[i].Qos, received[i].Qos);
            Assert.False(received[i].Retain);
            Assert.True(sent[i].Payload.AsSpan().SequenceEqual(received[i].Payload), $"Payload of message {i} differs.");
        }
    }
}
