using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Devices.Mqtt;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Devices.Tests;

/// <summary>Who may connect to the built-in broker and what they may publish and subscribe to, tried with MQTT.js and mosquitto_pub.</summary>
public sealed class MqttAccessTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    private readonly HttpClient _http = host.Client;

    private string Url => $"mqtt://127.0.0.1:{Port}";

    private int Port => host.Services.GetRequiredService<DeviceMqttBroker>().Port ?? throw new InvalidOperationException("The MQTT broker does not listen.");

    [Fact]
    public async Task Anonymous_clients_and_wrong_passwords_are_refused_at_connect()
    {
        await ProvisionAsync("acl-connect", "connkey", "group-password-1", devices: """[{"device_id": "c1", "password": "device-password-1"}]""");

        var anonymous = await ClientAsync(new { clientId = "anon" }, []);
        Assert.False((bool)anonymous["connected"]!);
        Assert.Equal(5, (int)anonymous["code"]!); // MQTT 3.1.1: not authorized

        foreach (var (user, password) in new[] { ("connkey", "wrong-password"), ("connkey/c1", "group-password-1"), ("connkey/c2", "device-password-1"), ("nokey", "group-password-1") })
        {
            var refused = await ClientAsync(new { clientId = "bad-" + user.Replace('/', '-'), username = user, password }, []);
            Assert.False((bool)refused["connected"]!, $"{user} got in with {password}");
            Assert.Equal(4, (int)refused["code"]!); // MQTT 3.1.1: bad user name or password
        }
        var v5 = await ClientAsync(new { clientId = "bad-v5", username = "connkey", password = "wrong-password", protocolVersion = 5 }, []);
        Assert.Equal(134, (int)v5["code"]!);

        Assert.True((bool)(await ClientAsync(new { clientId = "good-group", username = "connkey", password = "group-password-1" }, []))["connected"]!);
        Assert.True((bool)(await ClientAsync(new { clientId = "good-device", username = "connkey/c1", password = "device-password-1" }, []))["connected"]!);
    }

    [Fact]
    public async Task A_device_publishes_to_its_own_topics_only_and_subscribes_to_its_own_command_topic_only()
    {
        await ProvisionAsync("acl-topics", "topickey", "group-password-2", devices: """
            [{"device_id": "own", "password": "device-password-2"}, {"device_id": "other", "password": "device-password-3"}]
            """);

        var result = await ClientAsync(new { clientId = "own", username = "topickey/own", password = "device-password-2", protocolVersion = 5 },
        [
            new { publish = "/topickey/own/attrs", payload = "t|21" },
            new { publish = "/topickey/other/attrs", payload = "t|99" },
            new { publish = "/json/topickey/other/attrs/t", payload = "98" },
            new { publish = "/topickey/own/cmd", payload = "own@ring|x" },
            new { subscribe = "/topickey/own/cmd" },
            new { subscribe = "/topickey/other/cmd" },
            new { subscribe = "/topickey/+/cmd" },
            new { subscribe = "#" },
        ]);
        var steps = Steps(result);
        Assert.True(steps[0].Ok, steps[0].Error);
        Assert.All(steps[1..4], NotAuthorized);
        Assert.True(steps[4].Ok, steps[4].Error);
        Assert.All(steps[5..], NotAuthorized);

        Assert.Equal(21, (double)(await _http.EntityAsync("acl-topics", "urn:ngsi-ld:Thing:own"))!["temperature"]!["value"]!);
        Assert.Null((await _http.EntityAsync("acl-topics", "urn:ngsi-ld:Thing:other"))?["temperature"]);

        // The group's credentials cover every device of the group.
        var group = Steps(await ClientAsync(new { clientId = "group", username = "topickey", password = "group-password-2", protocolVersion = 5 },
            [new { publish = "/topickey/other/attrs", payload = "t|22" }, new { subscribe = "/topickey/+/cmd" }]));
        Assert.All(group, s => Assert.True(s.Ok, s.Error));
        Assert.Equal(22, (double)(await _http.EntityAsync("acl-topics", "urn:ngsi-ld:Thing:other"))!["temperature"]!["value"]!);
    }

    [Fact]
    public async Task A_service_group_of_one_tenant_cannot_reach_the_devices_of_another()
    {
        await ProvisionAsync("acl-city-a", "key-a", "password-of-a", devices: """[{"device_id": "gauge"}]""");
        await ProvisionAsync("acl-city-b", "key-b", "password-of-b", devices: """[{"device_id": "gauge"}]""");

        var steps = Steps(await ClientAsync(new { clientId = "tenant-a", username = "key-a", password = "password-of-a", protocolVersion = 5 },
        [
            new { publish = "/key-b/gauge/attrs", payload = "t|66" },
            new { publish = "/key-a/gauge/attrs", payload = "t|11" },
        ]));
        NotAuthorized(steps[0]);
        Assert.True(steps[1].Ok, steps[1].Error);
        var refused = await ClientAsync(new { clientId = "tenant-a-as-b", username = "key-b", password = "password-of-a" }, []);
        Assert.False((bool)refused["connected"]!);

        Assert.Equal(11, (double)(await _http.EntityAsync("acl-city-a", "urn:ngsi-ld:Thing:gauge"))!["temperature"]!["value"]!);
        Assert.Null((await _http.EntityAsync("acl-city-b", "urn:ngsi-ld:Thing:gauge"))?["temperature"]);
    }

    [Fact]
    public async Task A_client_without_a_client_id_gets_one_from_the_broker()
    {
        await ProvisionAsync("acl-noid", "noidkey", "group-password-4", devices: """[{"device_id": "m1"}, {"device_id": "m2"}]""");

        // MQTT 3.1.1 (MQTT.js with an empty id) and MQTT 5 (mosquitto_pub without -i sends none).
        var v311 = Steps(await ClientAsync(new { clientId = "", username = "noidkey", password = "group-password-4", protocolVersion = 4 },
            [new { publish = "/noidkey/m1/attrs", payload = "t|5" }]));
        Assert.True(v311[0].Ok, v311[0].Error);
        Assert.Equal(5, (double)(await _http.EntityAsync("acl-noid", "urn:ngsi-ld:Thing:m1"))!["temperature"]!["value"]!);

        var (exit, output) = await RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-V", "mqttv5", "-q", "1", "-u", "noidkey", "-P", "group-password-4", "-t", "/noidkey/m2/attrs", "-m", "t|6");
        Assert.True(exit == 0, output);
        Assert.Equal(6, (double)(await _http.EntityAsync("acl-noid", "urn:ngsi-ld:Thing:m2"))!["temperature"]!["value"]!);
    }

    private async Task ProvisionAsync(string tenant, string apikey, string password, string devices)
    {
        var group = await _http.ProvisionAsync("/iot/services", tenant, $$"""
            {"services": [{"apikey": "{{apikey}}", "entity_type": "Thing", "resource": "/iot/d", "password": "{{password}}",
              "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"}]}]}
            """);
        Assert.Equal(HttpStatusCode.Created, group.StatusCode);
        var provisioned = await _http.ProvisionAsync("/iot/devices", tenant, $$"""{"devices": {{devices}} }""");
        Assert.True(provisioned.StatusCode == HttpStatusCode.Created, await provisioned.Content.ReadAsStringAsync());
    }

    private async Task<JsonObject> ClientAsync(object options, object[] steps) =>
        JsonNode.Parse(await MqttBrokerTests.RunNodeAsync("client.js", Url, JsonSerializer.Serialize(options), JsonSerializer.Serialize(steps)))!.AsObject();

    /// <summary>MQTT 5 reason code 0x87 in the PUBACK or SUBACK.</summary>
    private static void NotAuthorized((bool Ok, int? Code, string? Error) step)
    {
        Assert.False(step.Ok);
        // MQTT.js gives a PUBACK's reason code as the error's code, a SUBACK's only in its message.
        Assert.True(step.Code == 135 || step.Error == "Subscribe error: Not authorized", $"{step.Code} {step.Error}");
    }

    private static (bool Ok, int? Code, string? Error)[] Steps(JsonObject result)
    {
        Assert.True((bool)result["connected"]!, result.ToJsonString());
        return [.. result["steps"]!.AsArray().Select(s => ((bool)s!["ok"]!, (int?)s["code"], (string?)s["error"]))];
    }

    internal static async Task<(int Exit, string Output)> RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await output + await error);
    }
}
