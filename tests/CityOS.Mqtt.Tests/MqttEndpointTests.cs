namespace CityOS.Mqtt.Tests;

/// <summary>Notification endpoints as Orion-LD accepts them: mqtt[s]://[user:pass@]host[:port]/topic.</summary>
public sealed class MqttEndpointTests
{
    [Theory]
    [InlineData("mqtt://broker/notifications", "broker", 1883, "notifications", false, null, null)]
    [InlineData("mqtts://broker/notifications", "broker", 8883, "notifications", true, null, null)]
    [InlineData("mqtt://broker:1884/a/b/c", "broker", 1884, "a/b/c", false, null, null)]
    [InlineData("mqtts://user:pass@mqtt.example.org:8884/city/sub1", "mqtt.example.org", 8884, "city/sub1", true, "user", "pass")]
    [InlineData("mqtt://user:@10.0.0.5/t", "10.0.0.5", 1883, "t", false, "user", "")]
    [InlineData("mqtt://user:p%40ss%3Aw%2Frd@host/t", "host", 1883, "t", false, "user", "p@ss:w/rd")]
    [InlineData("mqtt://user:pa:ss@host/t", "host", 1883, "t", false, "user", "pa:ss")]
    [InlineData("mqtt://[::1]:1999/t", "::1", 1999, "t", false, null, null)]
    [InlineData("mqtt://[::1]/t", "::1", 1883, "t", false, null, null)]
    [InlineData("MQTT://Broker/T", "Broker", 1883, "T", false, null, null)]
    [InlineData("mqtt://broker//leading/slash/kept", "broker", 1883, "/leading/slash/kept", false, null, null)]
    [InlineData("mqtt://broker/with?query&stays=in topic", "broker", 1883, "with?query&stays=in topic", false, null, null)]
    public void Parses_valid_endpoints(string uri, string host, int port, string topic, bool tls, string? user, string? password)
    {
        var endpoint = MqttEndpoint.Parse(uri);
        Assert.Equal(new MqttEndpoint(host, port, topic, tls, user, password), endpoint);
        Assert.True(MqttEndpoint.TryParse(uri, out var again));
        Assert.Equal(endpoint, again);
    }

    [Theory]
    [InlineData("http://broker/t", "scheme must be mqtt:// or mqtts://")]
    [InlineData("mqtt:/broker/t", "scheme must be mqtt:// or mqtts://")]
    [InlineData("broker:1883/t", "scheme must be mqtt:// or mqtts://")]
    [InlineData("mqtt://broker", "there is no topic")]
    [InlineData("mqtt://broker:1883", "there is no topic")]
    [InlineData("mqtt://broker/", "topic (the path after the host) is empty")]
    [InlineData("mqtt:///t", "host is missing")]
    [InlineData("mqtt://:1883/t", "host is missing")]
    [InlineData("mqtt://broker:/t", "no port number")]
    [InlineData("mqtt://broker:abc/t", "'abc' is not a number")]
    [InlineData("mqtt://broker:-1/t", "'-1' is not a number")]
    [InlineData("mqtt://broker:0/t", "'0' is not a number between 1 and 65535")]
    [InlineData("mqtt://broker:65536/t", "'65536' is not a number between 1 and 65535")]
    [InlineData("mqtt://broker:99999999999/t", "is not a number between 1 and 65535")]
    [InlineData("mqtt://user@broker/t", "colon is missing")]
    [InlineData("mqtt://:pass@broker/t", "user name is empty")]
    [InlineData("mqtt://bro ker/t", "not a valid host name")]
    [InlineData("mqtt://[::1/t", "no closing ']'")]
    [InlineData("mqtt://[::1]x/t", "unexpected characters after the IPv6 address")]
    [InlineData("mqtt://[nope]/t", "is not an IPv6 address")]
    [InlineData("mqtt://broker/a/+/c", "wildcard")]
    [InlineData("mqtt://broker/a/#", "wildcard")]
    public void Rejects_invalid_endpoints_with_a_reason(string uri, string reason)
    {
        var error = Assert.Throws<FormatException>(() => MqttEndpoint.Parse(uri));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.False(MqttEndpoint.TryParse(uri, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Rejects_a_missing_uri_as_an_argument_error(string? uri)
    {
        Assert.ThrowsAny<ArgumentException>(() => MqttEndpoint.Parse(uri!));
        Assert.False(MqttEndpoint.TryParse(uri, out _));
    }

    [Fact]
    public void Errors_and_ToString_never_show_the_password()
    {
        var error = Assert.Throws<FormatException>(() => MqttEndpoint.Parse("mqtt://admin:hunter2@broker:x/t"));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.Contains("mqtt://admin:***@broker:x/t", error.Message, StringComparison.Ordinal);

        var endpoint = MqttEndpoint.Parse("mqtts://admin:hunter2@broker/city/t");
        Assert.Equal("mqtts://admin:***@broker:8883/city/t", endpoint.ToString());
        Assert.Equal("mqtt://[::1]:1883/t", MqttEndpoint.Parse("mqtt://[::1]/t").ToString());
    }

    [Fact]
    public void Client_options_come_from_the_endpoint()
    {
        var options = MqttClientOptions.FromEndpoint(MqttEndpoint.Parse("mqtts://u:p@broker:1/x"));
        Assert.Equal(("broker", 1, true, "u", "p"), (options.Host, options.Port, options.UseTls, options.UserName, options.Password));
    }
}
