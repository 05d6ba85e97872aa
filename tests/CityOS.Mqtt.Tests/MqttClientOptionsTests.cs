namespace CityOS.Mqtt.Tests;

public sealed class MqttClientOptionsTests
{
    private static readonly MqttClientOptions Valid = new() { Host = "broker" };

    public static TheoryData<MqttClientOptions, string> InvalidOptions => new()
    {
        { Valid with { Host = "" }, "Host" },
        { Valid with { Port = 0 }, "Port" },
        { Valid with { Port = 65536 }, "Port" },
        { Valid with { Password = "p" }, "password without a user name" },
        { Valid with { ClientId = "", CleanSession = false }, "CleanSession" },
        { Valid with { ClientId = "a\0" }, "U+0000" },
        { Valid with { KeepAlive = TimeSpan.FromSeconds(65536) }, "65535 seconds" },
        { Valid with { KeepAlive = TimeSpan.FromSeconds(-1) }, "65535 seconds" },
        { Valid with { PingTimeout = TimeSpan.Zero }, "PingTimeout" },
        { Valid with { ConnectTimeout = TimeSpan.Zero }, "ConnectTimeout" },
        { Valid with { ReconnectDelay = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(1) }, "MaxReconnectDelay" },
        { Valid with { MaxInflightMessages = 0 }, "MaxInflightMessages" },
        { Valid with { MaxIncomingPacketSize = 1 }, "MaxIncomingPacketSize" },
        { Valid with { Will = new MqttWill("a/+", default) }, "wildcard" },
        { Valid with { Will = new MqttWill("a", default, MqttQualityOfService.ExactlyOnce) }, "QoS 0 and 1" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_options_are_refused_when_the_client_is_created(MqttClientOptions options, string reason)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new MqttClient(options));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_usable_and_client_ids_are_unique()
    {
        _ = new MqttClient(Valid);
        Assert.NotEqual(new MqttClientOptions { Host = "h" }.ClientId, new MqttClientOptions { Host = "h" }.ClientId);
        Assert.StartsWith("cityos-", Valid.ClientId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Using_a_client_before_connecting_is_an_error()
    {
        await using var client = new MqttClient(Valid);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.PublishAsync("t", default));
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Invalid_publish_and_subscribe_arguments_are_refused_before_any_io()
    {
        await using var client = new MqttClient(Valid);
        await Assert.ThrowsAsync<ArgumentException>(() => client.PublishAsync("a/#", default));
        await Assert.ThrowsAsync<ArgumentException>(() => client.PublishAsync("", default));
        await Assert.ThrowsAsync<NotSupportedException>(() => client.PublishAsync("t", default, MqttQualityOfService.ExactlyOnce));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubscribeAsync("a#"));
        await Assert.ThrowsAsync<NotSupportedException>(() => client.SubscribeAsync("a", MqttQualityOfService.ExactlyOnce));
    }

    [Fact]
    public async Task A_disposed_client_refuses_work()
    {
        var client = new MqttClient(Valid);
        await client.DisposeAsync();
        await client.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.PublishAsync("t", default));
    }
}
