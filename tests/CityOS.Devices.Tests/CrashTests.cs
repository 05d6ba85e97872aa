using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Tests;

/// <summary>Acknowledged means durable: cityos killed with SIGKILL under MQTT QoS 1 load keeps every measure it PUBACKed.</summary>
public sealed class CrashTests
{
    [Fact]
    public async Task After_a_SIGKILL_under_QoS_1_load_every_acknowledged_measure_is_in_the_broker_and_in_history()
    {
        var data = Path.Combine(Path.GetTempPath(), "cityos-crash-" + Guid.NewGuid().ToString("N"));
        var ackFile = Path.Combine(data + "-acks.txt");
        var mqttPort = CityOsProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        try
        {
            Dictionary<string, int> acked;
            await using (var cityos = await CityOsProcess.StartAsync(data, arguments: ["--CityOS:Mqtt:Broker:Port", mqttPort]))
            {
                using var http = new HttpClient { BaseAddress = cityos.BaseAddress };
                Assert.Equal(HttpStatusCode.Created, (await http.ProvisionAsync("/iot/services", "crash", """
                    {"services": [{"apikey": "crashkey", "entity_type": "Sensor", "resource": "/iot/d", "password": "crash-password",
                      "attributes": [{"object_id": "t", "name": "temperature", "type": "Integer"}]}]}
                    """)).StatusCode);
                File.WriteAllText(ackFile, "");
                var load = MqttBrokerTests.RunNodeAsync("load.js", $"mqtt://127.0.0.1:{mqttPort}", "crashkey", "crash-password", "8", ackFile);
                var enough = await Eventually.TrueAsync(() => File.ReadAllLines(ackFile).Length >= 200 || load.IsCompleted, 60_000);
                Assert.False(load.IsCompleted, "The load stopped before the crash:\n" + cityos.Output);
                Assert.True(enough, $"{File.ReadAllLines(ackFile).Length} measures acknowledged in 60 s:\n{cityos.Output}");
                cityos.Kill();
                await load.WaitAsync(TimeSpan.FromSeconds(30));
                acked = File.ReadAllLines(ackFile).Select(line => line.Split(' ')).GroupBy(p => p[0])
                    .ToDictionary(g => g.Key, g => g.Max(p => int.Parse(p[1], CultureInfo.InvariantCulture)));
            }
            Assert.True(acked.Count >= 2, "too few devices got acknowledgements");

            await using var restarted = await CityOsProcess.StartAsync(data, arguments: ["--CityOS:Mqtt:Broker:Port", "0"]);
            using var client = new HttpClient { BaseAddress = restarted.BaseAddress };
            foreach (var (device, last) in acked)
            {
                var entity = await client.EntityAsync("crash", $"urn:ngsi-ld:Sensor:{device}");
                Assert.True(entity is not null, $"{device} is missing");
                Assert.True((int)entity["temperature"]!["value"]! >= last, $"{device}: {entity["temperature"]} but {last} was acknowledged");

                var history = new HashSet<int>();
                Assert.True(await Eventually.TrueAsync(async () =>
                {
                    history = await HistoryAsync(client, $"urn:ngsi-ld:Sensor:{device}");
                    return Enumerable.Range(0, last + 1).All(history.Contains);
                }, 30_000), $"{device}: acknowledged 0..{last}, history lacks {string.Join(',', Enumerable.Range(0, last + 1).Where(v => !history.Contains(v)))}");
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
            File.Delete(ackFile);
        }
    }

    private static async Task<HashSet<int>> HistoryAsync(HttpClient client, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/temporal/entities/{Uri.EscapeDataString(id)}?attrs=temperature&lastN=1000");
        request.Headers.Add("NGSILD-Tenant", "crash");
        var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode) return [];
        var instances = (await response.JsonAsync())["temperature"];
        IEnumerable<JsonNode?> all = instances is JsonArray array ? array : [instances];
        return [.. all.Where(i => i?["value"] is not null).Select(i => (int)i!["value"]!)];
    }
}
