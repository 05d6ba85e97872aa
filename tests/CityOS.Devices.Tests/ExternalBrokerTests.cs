using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Tests;

/// <summary>A host whose IoT agent subscribes to a real mosquitto started for it (CityOS:Devices:ExternalMqtt:*).</summary>
public sealed class ExternalBrokerHost : CityOsTestHost
{
    public MosquittoBroker Mosquitto { get; private set; } = null!;

    protected override string[] Settings =>
        ["--CityOS:Devices:ExternalMqtt:Host", "127.0.0.1", "--CityOS:Devices:ExternalMqtt:Port", Mosquitto.Port.ToString(CultureInfo.InvariantCulture)];

    public override async Task InitializeAsync()
    {
        Mosquitto = await MosquittoBroker.StartAsync();
        await base.InitializeAsync();
        Assert.True(await Eventually.TrueAsync(async () => (await Client.GetAsync("/ready")).IsSuccessStatusCode), Mosquitto.Output);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Mosquitto.DisposeAsync();
    }
}

public sealed class ExternalBrokerTests(ExternalBrokerHost host) : IClassFixture<ExternalBrokerHost>
{
    private readonly HttpClient _http = host.Client;

    [Fact]
    public async Task Devices_publishing_to_mosquitto_land_as_entities()
    {
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync("/iot/services", "external", """
            {"services": [{"apikey": "extkey", "entity_type": "Sensor", "resource": "/iot/d",
              "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"}, {"object_id": "h", "name": "humidity", "type": "Integer"}]}]}
            """)).StatusCode);

        var output = await MqttBrokerTests.RunNodeAsync("publish.js", host.Mosquitto.Url, "extkey", "20");
        Assert.Contains("\"acked\":20", output);

        // mosquitto acknowledges before cityos has the measure: it arrives soon after.
        for (var n = 0; n < 20; n++)
        {
            var id = $"urn:ngsi-ld:Sensor:dev{n}";
            JsonObject? entity = null;
            Assert.True(await Eventually.TrueAsync(async () => (entity = await _http.EntityAsync("external", id))?["humidity"] is not null), $"{id} is missing");
            Assert.Equal(n, (double)entity!["temperature"]!["value"]!);
            Assert.Equal(n + 1, (int)entity["humidity"]!["value"]!);
        }
    }

    [Fact]
    public async Task A_command_goes_out_through_mosquitto_and_its_answer_comes_back()
    {
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync("/iot/services", "external-cmd", """
            {"services": [{"apikey": "extcmdkey", "entity_type": "Bell", "resource": "/iot/d"}]}
            """)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync("/iot/devices", "external-cmd", """
            {"devices": [{"device_id": "bell9", "transport": "MQTT", "commands": [{"name": "ring"}]}]}
            """)).StatusCode);

        var output = JsonNode.Parse(await MqttBrokerTests.RunNodeAsync("command-device.js", host.Mosquitto.Url, host.BaseAddress.ToString().TrimEnd('/'),
            "external-cmd", "extcmdkey", "bell9", "any-password", "urn:ngsi-ld:Bell:bell9", "ring", "\"twice\"", "rang twice", "ul",
            _http.DefaultRequestHeaders.Authorization?.ToString() ?? ""))!;
        Assert.Equal("bell9@ring|twice", (string)output["received"]!);

        Assert.True(await Eventually.TrueAsync(async () =>
            (await CommandTests.StatusAsync(_http, "external-cmd", "urn:ngsi-ld:Bell:bell9", "ring")) == ("OK", "rang twice")));
    }
}
