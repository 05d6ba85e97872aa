using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Devices.Mqtt;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Devices.Tests;

/// <summary>
/// Every southbound MQTT path, driven by real publishers (MQTT.js devices, mosquitto_pub) on both MQTT paths: the broker
/// built into cityos (<see cref="BuiltInBrokerPathsTests"/>) and a real mosquitto that cityos's agent subscribes to as a
/// client (<see cref="MosquittoPathsTests"/>). UltraLight and JSON measures on attrs, attrs/{attr} and the /ul and /json
/// topics, several groups and timestamps in one message, QoS 0 and 1, commands and their answers, misfitting measures,
/// autoprovisioning and tenancy.
/// </summary>
public abstract class MqttPathsTests<THost>(THost host) where THost : CityOsTestHost
{
    private const string GroupPassword = "paths-group-secret";
    private const string DevicePassword = "paths-device-secret";

    protected THost Host => host;

    protected HttpClient Http => host.Client;

    /// <summary>The broker the devices publish to.</summary>
    protected abstract int MqttPort { get; }

    /// <summary>
    /// Whether a PUBACK means the measure is committed (the built-in broker answers only after the commit), or only that the
    /// broker took it (mosquitto acknowledges at once; cityos's agent gets it after, and acknowledges to mosquitto once committed).
    /// </summary>
    protected abstract bool AckMeansCommitted { get; }

    private string Url => $"mqtt://127.0.0.1:{MqttPort}";

    [Fact]
    public async Task UltraLight_measures_land_from_every_topic_form_mapped_and_typed()
    {
        await ProvisionAsync("paths-ul", "pathsulkey");

        Acknowledged(await ClientAsync("pathsulkey",
            ("/pathsulkey/ul1/attrs", "t|21.5#h|40"),
            ("/ul/pathsulkey/ul2/attrs", "2024-06-13T00:35:30Z|t|3.5|h|7"),
            ("/pathsulkey/ul3/attrs/t", "22.25"),
            ("/ul/pathsulkey/ul4/attrs/h", "12")));

        var ul1 = await LandedAsync("paths-ul", "urn:ngsi-ld:Gauge:ul1", e => e["humidity"] is not null);
        Assert.Equal(21.5, (double)ul1["temperature"]!["value"]!);
        Assert.Equal(40, (int)ul1["humidity"]!["value"]!);
        Assert.NotNull(ul1["temperature"]!["observedAt"]);
        Assert.Equal("Kamo", (string)ul1["river"]!["value"]!);
        var ul2 = await LandedAsync("paths-ul", "urn:ngsi-ld:Gauge:ul2", e => e["humidity"] is not null);
        Assert.Equal(3.5, (double)ul2["temperature"]!["value"]!);
        Assert.StartsWith("2024-06-13T00:35:30", (string)ul2["temperature"]!["observedAt"]!);
        Assert.StartsWith("2024-06-13T00:35:30", (string)ul2["humidity"]!["observedAt"]!);
        Assert.Equal(22.25, (double)(await LandedAsync("paths-ul", "urn:ngsi-ld:Gauge:ul3", e => e["temperature"] is not null))["temperature"]!["value"]!);
        Assert.Equal(12, (int)(await LandedAsync("paths-ul", "urn:ngsi-ld:Gauge:ul4", e => e["humidity"] is not null))["humidity"]!["value"]!);
    }

    [Fact]
    public async Task JSON_measures_land_from_every_topic_form_mapped_and_typed()
    {
        await ProvisionAsync("paths-json", "pathsjsonkey");

        Acknowledged(await ClientAsync("pathsjsonkey",
            ("/json/pathsjsonkey/js1/attrs", """{"t": 19.5, "h": 55}"""),
            ("/pathsjsonkey/js2/attrs", """[{"t": 1.5}, {"h": 2, "TimeInstant": "2025-01-02T03:04:05Z"}]"""),
            ("/json/pathsjsonkey/js3/attrs/h", "61"),
            ("/json/pathsjsonkey/js4/attrs/t", "\"18.75\"")));

        var js1 = await LandedAsync("paths-json", "urn:ngsi-ld:Gauge:js1", e => e["humidity"] is not null);
        Assert.Equal(19.5, (double)js1["temperature"]!["value"]!);
        Assert.Equal(55, (int)js1["humidity"]!["value"]!);
        var js2 = await LandedAsync("paths-json", "urn:ngsi-ld:Gauge:js2", e => e["humidity"] is not null);
        Assert.Equal(1.5, (double)js2["temperature"]!["value"]!);
        Assert.StartsWith("2025-01-02T03:04:05", (string)js2["humidity"]!["observedAt"]!);
        Assert.DoesNotContain("2025-01-02", (string)js2["temperature"]!["observedAt"]!);
        Assert.Equal(61, (int)(await LandedAsync("paths-json", "urn:ngsi-ld:Gauge:js3", e => e["humidity"] is not null))["humidity"]!["value"]!);
        Assert.Equal(18.75, (double)(await LandedAsync("paths-json", "urn:ngsi-ld:Gauge:js4", e => e["temperature"] is not null))["temperature"]!["value"]!);
    }

    [Fact]
    public async Task QoS_0_measures_of_mosquitto_pub_and_MQTTjs_land()
    {
        await ProvisionAsync("paths-qos0", "pathsq0key");

        var (exit, output) = await MqttAccessTests.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", MqttPort.ToString(CultureInfo.InvariantCulture),
            "-q", "0", "-i", "paths-qos0-pub", "-u", "pathsq0key", "-P", GroupPassword, "-t", "/pathsq0key/q1/attrs", "-m", "t|5.5#h|6");
        Assert.True(exit == 0, output);
        Acknowledged(await ClientAsync("pathsq0key", 0, ("/json/pathsq0key/q2/attrs", """{"t": 7.5}""")));

        // No PUBACK at QoS 0: the measure arrives soon after, on either broker.
        JsonObject? q1 = null, q2 = null;
        Assert.True(await Eventually.TrueAsync(async () => (q1 = await Http.EntityAsync("paths-qos0", "urn:ngsi-ld:Gauge:q1"))?["humidity"] is not null));
        Assert.Equal(5.5, (double)q1!["temperature"]!["value"]!);
        Assert.True(await Eventually.TrueAsync(async () => (q2 = await Http.EntityAsync("paths-qos0", "urn:ngsi-ld:Gauge:q2"))?["temperature"] is not null));
        Assert.Equal(7.5, (double)q2!["temperature"]!["value"]!);
    }

    [Fact]
    public async Task A_misfitting_measure_is_dropped_and_counted_and_the_device_goes_on()
    {
        await ProvisionAsync("paths-bad", "pathsbadkey");

        // Refused measures are acknowledged (sent again, they would be refused again) and written nowhere.
        Acknowledged(await ClientAsync("pathsbadkey",
            ("/pathsbadkey/b1/attrs", "t|warm"),
            ("/json/pathsbadkey/b1/attrs", "{\"t\": "),
            ("/pathsbadkey/b1/attrs", "t|23")));

        var b1 = await LandedAsync("paths-bad", "urn:ngsi-ld:Gauge:b1", e => e["temperature"] is not null);
        Assert.Equal(23, (double)b1["temperature"]!["value"]!);
        var state = await (await Http.GetAsync("/iot/devices/b1", "paths-bad")).JsonAsync();
        Assert.Equal(1, (long)state["measureCount"]!);
        // t|warm did not fit the device's mapping; the JSON that does not parse never reached the device.
        Assert.Equal(1, (long)state["errorCount"]!);
    }

    [Fact]
    public async Task Without_autoprovision_a_stranger_is_dropped_and_a_provisioned_device_is_served()
    {
        Assert.Equal(HttpStatusCode.Created, (await Http.ProvisionAsync("/iot/services", "paths-noauto", $$"""
            {"services": [{"apikey": "pathsnoautokey", "entity_type": "Gauge", "resource": "/iot/d", "password": "{{GroupPassword}}", "autoprovision": false,
              "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"}]}]}
            """)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Http.ProvisionAsync("/iot/devices", "paths-noauto", """
            {"devices": [{"device_id": "known", "entity_name": "urn:ngsi-ld:Gauge:known-one", "apikey": "pathsnoautokey"}]}
            """)).StatusCode);

        Acknowledged(await ClientAsync("pathsnoautokey", ("/pathsnoautokey/stranger/attrs", "t|1"), ("/pathsnoautokey/known/attrs", "t|2")));

        Assert.Equal(2, (double)(await LandedAsync("paths-noauto", "urn:ngsi-ld:Gauge:known-one", e => e["temperature"] is not null))["temperature"]!["value"]!);
        Assert.Null(await Http.EntityAsync("paths-noauto", "urn:ngsi-ld:Gauge:stranger"));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/iot/devices/stranger", "paths-noauto")).StatusCode);
    }

    [Fact]
    public async Task A_measure_lands_in_the_tenant_of_its_apikey_only()
    {
        await ProvisionAsync("paths-city-a", "pathskeya");
        await ProvisionAsync("paths-city-b", "pathskeyb");

        Acknowledged(await ClientAsync("pathskeya", ("/pathskeya/gauge/attrs", "t|11")));
        Acknowledged(await ClientAsync("pathskeyb", ("/pathskeyb/gauge/attrs", "t|22")));

        Assert.Equal(11, (double)(await LandedAsync("paths-city-a", "urn:ngsi-ld:Gauge:gauge", e => e["temperature"] is not null))["temperature"]!["value"]!);
        Assert.Equal(22, (double)(await LandedAsync("paths-city-b", "urn:ngsi-ld:Gauge:gauge", e => e["temperature"] is not null))["temperature"]!["value"]!);
        Assert.Null(await Http.EntityAsync("default", "urn:ngsi-ld:Gauge:gauge"));
    }

    [Theory]
    [InlineData("PDI-IoTA-UltraLight", "ul", "pathsbell-ul@ring|loud")]
    [InlineData("IoTA-JSON", "json", """{"ring":"loud"}""")]
    public async Task A_command_reaches_the_device_on_its_cmd_topic_and_its_answer_on_cmdexe_comes_back(string protocol, string format, string expected)
    {
        var tenant = "paths-cmd-" + format;
        var device = "pathsbell-" + format;
        await ProvisionAsync(tenant, "pathscmdkey" + format, $$"""
            [{"device_id": "{{device}}", "entity_type": "Bell", "protocol": "{{protocol}}", "transport": "MQTT", "password": "{{DevicePassword}}",
              "commands": [{"name": "ring", "type": "command"}]}]
            """);
        var entityId = $"urn:ngsi-ld:Bell:{device}";

        var output = JsonNode.Parse(await MqttBrokerTests.RunNodeAsync("command-device.js", Url, host.BaseAddress.ToString().TrimEnd('/'),
            tenant, "pathscmdkey" + format, device, DevicePassword, entityId, "ring", "\"loud\"", "rang " + format, format,
            Http.DefaultRequestHeaders.Authorization?.ToString() ?? ""))!;
        Assert.Equal($"/pathscmdkey{format}/{device}/cmd", (string)output["topic"]!);
        Assert.Equal(expected, (string)output["received"]!);
        Assert.Equal("DELIVERED", (string)output["statusBeforeAnswer"]!);

        Assert.True(await Eventually.TrueAsync(async () => (await CommandTests.StatusAsync(Http, tenant, entityId, "ring")) == ("OK", "rang " + format)),
            (await CommandTests.StatusAsync(Http, tenant, entityId, "ring")).ToString());
    }

    /// <summary>A service group of Gauges (t → temperature Number, h → humidity Integer, a static river) whose devices log in with its password.</summary>
    private async Task ProvisionAsync(string tenant, string apikey, string? devices = null)
    {
        var group = await Http.ProvisionAsync("/iot/services", tenant, $$"""
            {"services": [{"apikey": "{{apikey}}", "entity_type": "Gauge", "resource": "/iot/d", "password": "{{GroupPassword}}",
              "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"}, {"object_id": "h", "name": "humidity", "type": "Integer"}],
              "static_attributes": [{"name": "river", "type": "Text", "value": "Kamo"}]}]}
            """);
        Assert.True(group.StatusCode == HttpStatusCode.Created, await group.Content.ReadAsStringAsync());
        if (devices is null) return;
        var provisioned = await Http.ProvisionAsync("/iot/devices", tenant, $$"""{"devices": {{devices}} }""");
        Assert.True(provisioned.StatusCode == HttpStatusCode.Created, await provisioned.Content.ReadAsStringAsync());
    }

    private Task<JsonObject> ClientAsync(string apikey, params (string Topic, string Payload)[] messages) => ClientAsync(apikey, 1, messages);

    /// <summary>One MQTT.js client logged in with the group's credentials publishes the messages in order, each waiting for its PUBACK (QoS 1).</summary>
    private async Task<JsonObject> ClientAsync(string apikey, int qos, params (string Topic, string Payload)[] messages)
    {
        var options = new { clientId = $"paths-{apikey}-{Guid.NewGuid():N}", username = apikey, password = GroupPassword };
        var steps = messages.Select(m => new { publish = m.Topic, payload = m.Payload, qos }).ToArray();
        return JsonNode.Parse(await MqttBrokerTests.RunNodeAsync("client.js", Url, JsonSerializer.Serialize(options), JsonSerializer.Serialize(steps)))!.AsObject();
    }

    private static void Acknowledged(JsonObject result)
    {
        Assert.True((bool)result["connected"]!, result.ToJsonString());
        foreach (var step in result["steps"]!.AsArray()) Assert.True((bool)step!["ok"]!, result.ToJsonString());
    }

    /// <summary>The entity once the measures landed: at once on the built-in broker (PUBACK after the commit), soon after on mosquitto.</summary>
    private async Task<JsonObject> LandedAsync(string tenant, string id, Func<JsonObject, bool> landed)
    {
        JsonObject? entity = null;
        if (AckMeansCommitted) entity = await Http.EntityAsync(tenant, id);
        else await Eventually.TrueAsync(async () => (entity = await Http.EntityAsync(tenant, id)) is not null && landed(entity));
        Assert.True(entity is not null && landed(entity), $"{id}: {entity?.ToJsonString() ?? "missing"}");
        return entity!;
    }
}

/// <summary>The paths on the broker built into cityos: devices log in with the group's password or their own.</summary>
public sealed class BuiltInBrokerPathsTests(CityOsTestHost host) : MqttPathsTests<CityOsTestHost>(host), IClassFixture<CityOsTestHost>
{
    protected override int MqttPort => Host.Services.GetRequiredService<DeviceMqttBroker>().Port ?? throw new InvalidOperationException("The MQTT broker does not listen.");

    protected override bool AckMeansCommitted => true;
}

/// <summary>The paths on a real mosquitto started for the test, which cityos's agent subscribes to (CityOS:Devices:ExternalMqtt:*).</summary>
public sealed class MosquittoPathsTests(ExternalBrokerHost host) : MqttPathsTests<ExternalBrokerHost>(host), IClassFixture<ExternalBrokerHost>
{
    protected override int MqttPort => Host.Mosquitto.Port;

    protected override bool AckMeansCommitted => false;
}
