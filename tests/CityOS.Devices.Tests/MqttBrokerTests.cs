using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using CityOS.Devices.Mqtt;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Devices.Tests;

public sealed class MqttBrokerTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    private readonly HttpClient _http = host.Client;

    internal int BrokerPort => host.Services.GetRequiredService<DeviceMqttBroker>().Port ?? throw new InvalidOperationException("The MQTT broker does not listen.");

    [Fact]
    public async Task Fifty_MQTTjs_devices_publish_with_QoS_1_and_every_acknowledged_measure_is_in_the_broker()
    {
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync("/iot/services", "mqttcity", """
            {"services": [{"apikey": "mqttkey", "entity_type": "Sensor", "resource": "/iot/d", "password": "mqtt-group-secret",
              "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"}, {"object_id": "h", "name": "humidity", "type": "Integer"}]}]}
            """)).StatusCode);

        var output = await RunNodeAsync("publish.js", $"mqtt://127.0.0.1:{BrokerPort}", "mqttkey", "50", "mqtt-group-secret");
        Assert.Contains("\"acked\":50", output);

        // PUBACK means committed: every measure is there as soon as the devices have their acknowledgements, without waiting.
        for (var n = 0; n < 50; n++)
        {
            var entity = await _http.EntityAsync("mqttcity", $"urn:ngsi-ld:Sensor:dev{n}");
            Assert.True(entity is not null, $"dev{n} is missing");
            Assert.Equal(n, (double)entity["temperature"]!["value"]!);
            Assert.Equal(n + 1, (int)entity["humidity"]!["value"]!);
            Assert.NotNull(entity["temperature"]!["observedAt"]);
        }
        var device = await (await _http.GetAsync("/iot/devices/dev7", "mqttcity")).JsonAsync();
        Assert.Equal("urn:ngsi-ld:Sensor:dev7", (string)device["entity_name"]!);
    }

    [Fact]
    public async Task A_listening_broker_leaves_the_host_ready()
    {
        var response = await _http.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(BrokerPort > 0);
    }

    [Theory]
    [InlineData("/k/d/attrs", null, "k", "d")]
    [InlineData("/ul/k/d/attrs", MeasureFormat.UltraLight, "k", "d")]
    [InlineData("/json/k/d/attrs", MeasureFormat.Json, "k", "d")]
    [InlineData("json/k/d/attrs", MeasureFormat.Json, "k", "d")]
    public void Measure_topics_name_format_apikey_and_device(string topic, MeasureFormat? format, string apikey, string deviceId) =>
        Assert.Equal(new DeviceTopic(format, apikey, deviceId, TopicKind.Attrs), DeviceTopic.Parse(topic));

    [Theory]
    [InlineData("/k/d/attrs/t", TopicKind.Attr, "t")]
    [InlineData("/json/k/d/cmdexe", TopicKind.CmdExe, null)]
    [InlineData("/k/d/cmd", TopicKind.Cmd, null)]
    public void Attribute_command_and_answer_topics_are_recognised(string topic, TopicKind kind, string? attribute)
    {
        var parsed = DeviceTopic.Parse(topic);
        Assert.Equal(kind, parsed?.Kind);
        Assert.Equal(attribute, parsed?.Attribute);
    }

    [Theory]
    [InlineData("/k/d/attrs/")]
    [InlineData("/k/+/attrs")]
    [InlineData("/k//attrs")]
    [InlineData("/a/b/c/attrs")]
    [InlineData("sensors/temperature")]
    public void Other_topics_are_no_measures(string topic) => Assert.Null(DeviceTopic.Parse(topic));

    internal static Task<string> RunNodeAsync(string script, params string[] args)
    {
        var directory = ScriptDirectory();
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "mqtt")))
            throw new InvalidOperationException($"MQTT.js is not installed: run `npm ci` in {directory}.");
        return NodeScript.RunAsync(directory, script, args);
    }

    private static string ScriptDirectory([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "js");
}

/// <summary>A host whose MQTT port is already taken when it starts (as by a mosquitto on the same machine).</summary>
public sealed class PortTakenHost : CityOsTestHost
{
    private readonly TcpListener _occupant = Occupy();

    public int TakenPort => ((IPEndPoint)_occupant.LocalEndpoint).Port;

    protected override string[] Settings => ["--CityOS:Mqtt:Broker:Port", TakenPort.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    private static TcpListener Occupy()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _occupant.Stop();
        _occupant.Dispose();
    }
}

public sealed class MqttPortTakenTests(PortTakenHost host) : IClassFixture<PortTakenHost>
{
    [Fact]
    public async Task A_taken_port_leaves_everything_else_served_and_ready_names_the_mqtt_listener()
    {
        var broker = host.Services.GetRequiredService<DeviceMqttBroker>();
        Assert.Null(broker.Port);
        Assert.Contains($"127.0.0.1:{host.TakenPort}: the port is already in use", broker.Failure);

        var ready = await host.Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = await ready.JsonAsync();
        Assert.Equal(["mqtt"], body["failing"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/iot/about")).StatusCode);
    }
}
