using System.Text;
using System.Text.Json.Nodes;

namespace CityOS.Server.Tests;

/// <summary>After a burst of writes, an idle cityos gives back the memory its garbage collector kept (issue 11, resident memory).</summary>
public sealed class IdleMemoryTrimTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-trim-" + Guid.NewGuid().ToString("N"));

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

    [Theory]
    [InlineData(100, 30_000, 200, 40, true)] // idle (0.3 % of a core), 160 MB beyond the heap
    [InlineData(5_000, 30_000, 200, 40, false)] // busy: 17 % of a core
    [InlineData(100, 30_000, 80, 40, false)] // only 40 MB beyond the heap
    public void Trims_only_an_idle_process_that_holds_much_more_than_its_heap(int cpuMs, int intervalMs, long committedMb, long heapMb, bool trims)
    {
        var options = new MemoryTrimOptions();
        Assert.Equal(trims, MemoryTrimPolicy.ShouldTrim(TimeSpan.FromMilliseconds(cpuMs), TimeSpan.FromMilliseconds(intervalMs),
            committedMb << 20, heapMb << 20, options));
    }

    [Fact]
    public async Task After_a_burst_of_writes_the_idle_process_gives_memory_back()
    {
        await using var server = await CityOsProcess.StartAsync(_data, arguments: ["--CityOS:Memory:IdleTrimInterval", "00:00:02", "--CityOS:Memory:MinSlackMegabytes", "8"]);
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        for (var batch = 0; batch < 100; batch++)
        {
            var entities = new JsonArray();
            for (var i = 0; i < 100; i++)
            {
                entities.Add(new JsonObject
                {
                    ["id"] = $"urn:ngsi-ld:Sensor:{batch:D3}-{i:D3}",
                    ["type"] = "Sensor",
                    ["reading"] = new JsonObject { ["type"] = "Property", ["value"] = batch * 100 + i },
                    ["description"] = new JsonObject { ["type"] = "Property", ["value"] = new string('x', 2_000) },
                });
            }
            var response = await client.PostAsync("/ngsi-ld/v1/entityOperations/upsert", new StringContent(entities.ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        Assert.True(await Eventually.TrueAsync(() => server.Output.Contains("Idle: gave back memory", StringComparison.Ordinal), 60_000),
            $"no trim was logged:\n{server.Output}");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Sensor:042-042")).StatusCode);
    }

    [Fact]
    public async Task A_setting_that_cannot_work_stops_it_and_is_named()
    {
        var (exitCode, output, error) = await CityOsProcess.RunCommandForResultAsync("--data", _data, "--CityOS:Memory:IdleTrimInterval", "00:00:00");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("CityOS:Memory:IdleTrimInterval", output + error);
    }
}
