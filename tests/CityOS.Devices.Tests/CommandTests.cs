using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Devices.Mqtt;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Devices.Tests;

/// <summary>
/// Commands (AM-3) written through NGSI-LD reach devices over MQTT (an MQTT.js device), HTTP (a device endpoint) or polling
/// (UltraLight over HTTP), and their progress shows on the entity as the IoT Agents show it: cmd_status and cmd_info.
/// </summary>
public sealed class CommandTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    private readonly HttpClient _http = host.Client;

    [Theory]
    [InlineData("PDI-IoTA-UltraLight", "ul", "bell-ul@ring|loud", "rang loudly")]
    [InlineData("JSON", "json", """{"ring":"loud"}""", "rang loudly")]
    public async Task An_MQTT_device_receives_a_command_written_through_NGSI_LD_and_its_answer_comes_back(string protocol, string format, string expected, string result)
    {
        var device = "bell-" + format;
        await ProvisionAsync("cmd-mqtt-" + format, "cmdkey-" + format, $$"""
            [{"device_id": "{{device}}", "protocol": "{{protocol}}", "transport": "MQTT", "password": "bell-password",
              "commands": [{"name": "ring", "type": "command"}]}]
            """);
        var entityId = $"urn:ngsi-ld:Bell:{device}";
        var entity = await _http.EntityAsync("cmd-mqtt-" + format, entityId);
        Assert.Equal("", (string)entity!["ring"]!["value"]!);

        var output = JsonNode.Parse(await MqttBrokerTests.RunNodeAsync("command-device.js", MqttUrl, host.BaseAddress.ToString().TrimEnd('/'),
            "cmd-mqtt-" + format, "cmdkey-" + format, device, "bell-password", entityId, "ring", "\"loud\"", result, format,
            _http.DefaultRequestHeaders.Authorization?.ToString() ?? ""))!;
        Assert.Equal($"/cmdkey-{format}/{device}/cmd", (string)output["topic"]!);
        Assert.Equal(expected, (string)output["received"]!);
        Assert.Equal("DELIVERED", (string)output["statusBeforeAnswer"]!);

        Assert.True(await Eventually.TrueAsync(async () => (await StatusAsync("cmd-mqtt-" + format, entityId)).Status == "OK"));
        Assert.Equal(result, (await StatusAsync("cmd-mqtt-" + format, entityId)).Info);
    }

    [Fact]
    public async Task A_polling_device_fetches_its_command_in_the_answer_to_its_next_measure()
    {
        await ProvisionAsync("cmd-poll", "pollkey", """
            [{"device_id": "valve1", "protocol": "PDI-IoTA-UltraLight", "transport": "HTTP", "commands": [{"name": "open"}]}]
            """);
        const string entityId = "urn:ngsi-ld:Bell:valve1";
        await PatchAsync("cmd-poll", entityId, """{"open": {"type": "Property", "value": "50"}}""");
        Assert.True(await Eventually.TrueAsync(async () => (await StatusAsync("cmd-poll", entityId)).Status == "PENDING"));

        var measure = await _http.MeasureAsync("/iot/d?k=pollkey&i=valve1", "t|3");
        Assert.Equal(HttpStatusCode.OK, measure.StatusCode);
        Assert.Equal("valve1@open|50", await measure.Content.ReadAsStringAsync());
        Assert.Equal("DELIVERED", (await StatusAsync("cmd-poll", entityId)).Status);
        Assert.Equal("", await (await _http.MeasureAsync("/iot/d?k=pollkey&i=valve1", "t|4")).Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, (await _http.MeasureAsync("/iot/d?k=pollkey&i=valve1", "valve1@open|opened to 50")).StatusCode);
        Assert.Equal(("OK", "opened to 50"), await StatusAsync("cmd-poll", entityId));
        var again = await _http.MeasureAsync("/iot/d?k=pollkey&i=valve1", "valve1@open|twice");
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    [Fact]
    public async Task A_device_with_an_endpoint_gets_its_command_posted_and_its_answer_is_the_result_or_the_error()
    {
        using var endpoint = new HttpListener();
        var port = CityOsProcess.FreePort();
        endpoint.Prefixes.Add($"http://127.0.0.1:{port}/");
        endpoint.Start();
        var closedPort = CityOsProcess.FreePort();
        await ProvisionAsync("cmd-push", "pushkey", $$"""
            [{"device_id": "lamp1", "protocol": "PDI-IoTA-UltraLight", "transport": "HTTP", "endpoint": "http://127.0.0.1:{{port}}/lamp",
              "commands": [{"name": "dim"}]},
             {"device_id": "lamp2", "protocol": "PDI-IoTA-UltraLight", "transport": "HTTP", "endpoint": "http://127.0.0.1:{{closedPort}}/lamp",
              "commands": [{"name": "dim"}]}]
            """);
        var served = Task.Run(async () =>
        {
            var context = await endpoint.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var answer = Encoding.UTF8.GetBytes(body == "lamp1@dim|30" ? "lamp1@dim|dimmed to 30" : "unexpected " + body);
            context.Response.StatusCode = body == "lamp1@dim|30" ? 200 : 400;
            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
            return body;
        });

        await PatchAsync("cmd-push", "urn:ngsi-ld:Bell:lamp1", """{"dim": {"type": "Property", "value": "30"}}""");
        Assert.Equal("lamp1@dim|30", await served.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(await Eventually.TrueAsync(async () => (await StatusAsync("cmd-push", "urn:ngsi-ld:Bell:lamp1")).Status == "OK"));
        Assert.Equal("dimmed to 30", (await StatusAsync("cmd-push", "urn:ngsi-ld:Bell:lamp1")).Info);

        await PatchAsync("cmd-push", "urn:ngsi-ld:Bell:lamp2", """{"dim": {"type": "Property", "value": "30"}}""");
        Assert.True(await Eventually.TrueAsync(async () => (await StatusAsync("cmd-push", "urn:ngsi-ld:Bell:lamp2")).Status == "ERROR", 20_000));
        Assert.StartsWith("The device could not be reached", (await StatusAsync("cmd-push", "urn:ngsi-ld:Bell:lamp2")).Info);
    }

    private string MqttUrl => $"mqtt://127.0.0.1:{host.Services.GetRequiredService<DeviceMqttBroker>().Port}";

    private async Task ProvisionAsync(string tenant, string apikey, string devices)
    {
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync("/iot/services", tenant, $$"""
            {"services": [{"apikey": "{{apikey}}", "entity_type": "Bell", "resource": "/iot/d",
              "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"}]}]}
            """)).StatusCode);
        var provisioned = await _http.ProvisionAsync("/iot/devices", tenant, $$"""{"devices": {{devices}} }""");
        Assert.True(provisioned.StatusCode == HttpStatusCode.Created, await provisioned.Content.ReadAsStringAsync());
    }

    internal static async Task PatchAsync(HttpClient http, string tenant, string entityId, string attributes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(entityId)}/attrs")
        {
            Content = new StringContent(attributes, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("NGSILD-Tenant", tenant);
        var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
    }

    private Task PatchAsync(string tenant, string entityId, string attributes) => PatchAsync(_http, tenant, entityId, attributes);

    private Task<(string? Status, string? Info)> StatusAsync(string tenant, string entityId) => StatusAsync(_http, tenant, entityId,
        entityId.Contains("valve") ? "open" : entityId.Contains("lamp") ? "dim" : "ring");

    internal static async Task<(string? Status, string? Info)> StatusAsync(HttpClient http, string tenant, string entityId, string command)
    {
        var entity = await http.EntityAsync(tenant, entityId);
        return ((string?)entity?[command + "_status"]?["value"], (string?)entity?[command + "_info"]?["value"]);
    }
}

/// <summary>A host whose commands expire after one second.</summary>
public sealed class ShortCommandExpiryHost : CityOsTestHost
{
    protected override string[] Settings => ["--CityOS:Devices:CommandExpirySeconds", "1"];
}

public sealed class CommandExpiryTests(ShortCommandExpiryHost host) : IClassFixture<ShortCommandExpiryHost>
{
    [Fact]
    public async Task A_command_nobody_answers_expires()
    {
        var http = host.Client;
        Assert.Equal(HttpStatusCode.Created, (await http.ProvisionAsync("/iot/services", "cmd-expiry", """
            {"services": [{"apikey": "expirykey", "entity_type": "Bell", "resource": "/iot/d"}]}
            """)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.ProvisionAsync("/iot/devices", "cmd-expiry", """
            {"devices": [{"device_id": "mute1", "transport": "MQTT", "commands": [{"name": "ring"}]}]}
            """)).StatusCode);

        await CommandTests.PatchAsync(http, "cmd-expiry", "urn:ngsi-ld:Bell:mute1", """{"ring": {"type": "Property", "value": "now"}}""");
        Assert.True(await Eventually.TrueAsync(async () => (await CommandTests.StatusAsync(http, "cmd-expiry", "urn:ngsi-ld:Bell:mute1", "ring")).Status == "EXPIRED"));
        Assert.Equal("The device did not answer within 1 s.", (await CommandTests.StatusAsync(http, "cmd-expiry", "urn:ngsi-ld:Bell:mute1", "ring")).Info);
    }
}
