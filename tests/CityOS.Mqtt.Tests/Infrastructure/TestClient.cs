using System.Text;
using System.Threading.Channels;

namespace CityOS.Mqtt.Tests.Infrastructure;

public static class TestClient
{
    /// <summary>Options tuned so that reconnects and dead-connection detection happen within a test's time.</summary>
    public static MqttClientOptions Options(int port, string? clientId = null) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        ClientId = clientId ?? "test-" + Guid.NewGuid().ToString("N")[..12],
        ReconnectDelay = TimeSpan.FromMilliseconds(100),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    public static async Task<MqttClient> ConnectAsync(MqttClientOptions options, TestLogger? logger = null)
    {
        var client = new MqttClient(options, logger);
        await client.ConnectAsync(Timeout());
        return client;
    }

    public static CancellationToken Timeout(int seconds = 10) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static async Task<MqttMessage> NextAsync(this MqttSubscription subscription, int seconds = 10) =>
        await subscription.Messages.ReadAsync(Timeout(seconds));

    /// <summary>
    /// Asserts that nothing more reached the subscription: <paramref name="publisher"/> publishes a marker (QoS 1) to
    /// <paramref name="topic"/>, which the subscription matches, and the marker must be the next message. The broker forwards
    /// what it has taken to a subscriber in order, so a message it sent before the marker would have arrived first.
    /// </summary>
    public static async Task AssertNothingBeforeMarkerAsync(this MqttSubscription subscription, MqttClient publisher, string topic)
    {
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        await publisher.PublishAsync(topic, Utf8(marker), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
        var next = await subscription.NextAsync();
        Assert.Equal((topic, marker), (next.Topic, Encoding.UTF8.GetString(next.Payload.Span)));
    }
}
