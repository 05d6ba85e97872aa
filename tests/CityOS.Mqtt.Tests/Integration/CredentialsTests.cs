using CityOS.Mqtt.Tests.Infrastructure;
using static CityOS.Mqtt.Tests.Infrastructure.TestClient;

namespace CityOS.Mqtt.Tests.Integration;

/// <summary>mosquitto with a password file made by mosquitto_passwd.</summary>
public sealed class CredentialsTests : IAsyncLifetime
{
    private MosquittoBroker _broker = null!;

    public async Task InitializeAsync() =>
        _broker = await MosquittoBroker.StartAsync(new Dictionary<string, string> { ["notifier"] = "s3cret:with@odd/chars" });

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Right_credentials_connect_and_publish()
    {
        await using var client = await ConnectAsync(Options(_broker.Port) with { UserName = "notifier", Password = "s3cret:with@odd/chars" });
        await client.PublishAsync("ok", Utf8("1"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
    }

    [Fact]
    public async Task Credentials_from_a_percent_encoded_endpoint_uri_connect()
    {
        await using var pool = new MqttConnectionPool();
        var endpoint = MqttEndpoint.Parse($"mqtt://notifier:s3cret%3Awith%40odd%2Fchars@127.0.0.1:{_broker.Port}/notifications");
        await pool.PublishAsync(endpoint, Utf8("1"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());
    }

    [Theory]
    [InlineData("notifier", "wrong")]
    [InlineData("stranger", "s3cret:with@odd/chars")]
    [InlineData(null, null)]
    public async Task Wrong_or_missing_credentials_are_refused_with_a_clear_error(string? user, string? password)
    {
        await using var client = new MqttClient(Options(_broker.Port) with { UserName = user, Password = password });

        var error = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync(Timeout()));

        // mosquitto answers a failed login with "not authorised" (5) under MQTT 3.1.1.
        Assert.Contains(error.ReturnCode, new[] { MqttConnectReturnCode.BadUserNameOrPassword, MqttConnectReturnCode.NotAuthorized });
        Assert.Contains($"127.0.0.1:{_broker.Port} refused the connection", error.Message, StringComparison.Ordinal);
        Assert.False(client.IsConnected);
    }
}
