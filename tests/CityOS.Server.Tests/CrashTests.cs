using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace CityOS.Server.Tests;

/// <summary>Every acknowledged write survives a crash: a real cityos killed with SIGKILL under write load.</summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-crash-" + Guid.NewGuid().ToString("N"));

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
    public async Task Every_acknowledged_entity_is_there_after_kill_9_and_restart()
    {
        var acknowledged = new ConcurrentBag<string>();
        var acknowledgedBatches = new ConcurrentBag<string[]>();
        await using (var server = await CityOsProcess.StartAsync(_data))
        {
            await server.WriteUntilKilledAsync(24, async (client, writer, i) =>
            {
                if (i % 5 == 4)
                {
                    var ids = Enumerable.Range(0, 10).Select(k => $"urn:ngsi-ld:Meter:{writer}-{i}-{k}").ToArray();
                    var body = "[" + string.Join(",", ids.Select(id => $$$"""{"id": "{{{id}}}", "type": "Meter", "reading": {"type": "Property", "value": {{{i}}}}}""")) + "]";
                    var batch = await client.PostAsync("/ngsi-ld/v1/entityOperations/upsert", new StringContent(body, Encoding.UTF8, "application/json"));
                    if (batch.StatusCode == HttpStatusCode.Created) acknowledgedBatches.Add(ids);
                    return;
                }
                var entityId = $"urn:ngsi-ld:Meter:{writer}-{i}";
                var response = await client.PostAsync("/ngsi-ld/v1/entities", new StringContent(
                    $$$"""{"id": "{{{entityId}}}", "type": "Meter", "reading": {"type": "Property", "value": {{{i}}}}}""", Encoding.UTF8, "application/json"));
                if (response.StatusCode == HttpStatusCode.Created) acknowledged.Add(entityId);
            }, () => acknowledged.Count >= 2000);
        }

        await using var restarted = await CityOsProcess.StartAsync(_data);
        using var reader = new HttpClient { BaseAddress = restarted.BaseAddress };
        var expected = acknowledged.Concat(acknowledgedBatches.SelectMany(b => b)).ToList();
        var missing = new List<string>();
        foreach (var chunk in expected.Chunk(100))
        {
            var response = await reader.GetAsync("/ngsi-ld/v1/entities?limit=1000&id=" + string.Join(",", chunk));
            var found = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray()
                .Select(e => e!["id"]!.GetValue<string>()).ToHashSet();
            missing.AddRange(chunk.Where(id => !found.Contains(id)));
        }
        Assert.True(expected.Count >= 2000, $"only {expected.Count} writes were acknowledged");
        Assert.True(missing.Count == 0, $"{missing.Count} of {expected.Count} acknowledged entities were lost, e.g. {string.Join(", ", missing.Take(5))}");
    }
}
