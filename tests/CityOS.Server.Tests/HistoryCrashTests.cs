using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace CityOS.Server.Tests;

/// <summary>Every acknowledged change reaches the history, even when cityos is killed with SIGKILL under write load.</summary>
public sealed class HistoryCrashTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-history-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task History_eventually_holds_every_acknowledged_change_after_kill_9_and_restart()
    {
        const int Writers = 16;
        var acknowledged = new ConcurrentDictionary<string, ConcurrentBag<int>>();
        await using (var server = await CityOsProcess.StartAsync(_data))
        {
            await server.WriteUntilKilledAsync(Writers, async (client, writer, i) =>
            {
                var id = $"urn:ngsi-ld:Meter:{writer}";
                var values = acknowledged.GetOrAdd(id, _ => []);
                if (i == 0)
                {
                    var created = await client.PostAsync("/ngsi-ld/v1/entities", Json($$$"""{"id": "{{{id}}}", "type": "Meter", "reading": {"type": "Property", "value": 0}}"""));
                    if (created.StatusCode == HttpStatusCode.Created) values.Add(0);
                    return;
                }
                var response = await client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs", Json("{\"reading\": {\"type\": \"Property\", \"value\": " + i + "}}"));
                if (response.StatusCode == HttpStatusCode.NoContent) values.Add(i);
            }, () => acknowledged.Values.Sum(v => v.Count) >= 1500);
        }

        await using var restarted = await CityOsProcess.StartAsync(_data);
        using var reader = new HttpClient { BaseAddress = restarted.BaseAddress };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var missing = new List<string>();
        do
        {
            missing.Clear();
            foreach (var (id, values) in acknowledged)
            {
                var response = await reader.GetAsync($"/ngsi-ld/v1/temporal/entities/{id}?attrs=reading");
                var recorded = response.IsSuccessStatusCode
                    ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["reading"]?.AsArray().Select(i => i!["value"]!.GetValue<int>()).ToHashSet() ?? []
                    : [];
                missing.AddRange(values.Where(v => !recorded.Contains(v)).Select(v => $"{id}={v}"));
            }
            if (missing.Count == 0) break;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        var total = acknowledged.Values.Sum(v => v.Count);
        Assert.True(total >= 1500, $"only {total} changes were acknowledged");
        Assert.True(missing.Count == 0, $"{missing.Count} of {total} acknowledged changes are missing from the history, e.g. {string.Join(", ", missing.Take(5))}");
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
