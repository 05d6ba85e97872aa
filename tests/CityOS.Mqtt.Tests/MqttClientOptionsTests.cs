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
        { Valid with { ConnectTimeout = TimeSpan.Zero }, "ConnectTimeout" },
        { Valid with { ReconnectDelay = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(1) }, "MaxReconnectDelay" },
        { Valid with { MaxInflightMessages = 0 }, "MaxInflightMessages" },
        { Valid with { ProtocolVersion = (MqttVersion)3 }, "3.1.1 or 5.0" },
        { Valid with { Will = new MqttWill("a/+", default) }, "wildcard" },
        { Valid with { Will = new MqttWill("a", default, (MqttQualityOfService)3) }, "QoS must be 0, 1 or 2" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_options_are_refused_when_the_client_is_created(MqttClientOptions options, string reason)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new MqttClient(options));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mqtt5_allows_a_password_without_a_user_name() =>
        _ = new MqttClient(Valid with { Password = "token", ProtocolVersion = MqttVersion.V500 });

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
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.PublishAsync("t", default, (MqttQualityOfService)3));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubscribeAsync("a#"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.SubscribeAsync("a", (MqttQualityOfService)3));
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
