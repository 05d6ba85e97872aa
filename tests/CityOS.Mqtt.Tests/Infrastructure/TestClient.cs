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

    /// <summary>True when no message arrives within <paramref name="milliseconds"/>.</summary>
    public static async Task<bool> StaysEmptyAsync(this ChannelReader<MqttMessage> messages, int milliseconds)
    {
        using var wait = new CancellationTokenSource(milliseconds);
        try
        {
            await messages.WaitToReadAsync(wait.Token);
            return !messages.TryPeek(out _);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }
}
