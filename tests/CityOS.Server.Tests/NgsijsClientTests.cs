using System.Diagnostics;
using System.Text.Json.Nodes;

namespace CityOS.Server.Tests;

/// <summary>FIWARE's own NGSI-LD client library (ngsijs, npm) works against cityos unchanged.</summary>
public sealed class NgsijsClientTests : IDisposable
{
    private static readonly string Scripts = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../js"));
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-ngsijs-" + Guid.NewGuid().ToString("N"));

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
    [InlineData(null)]
    [InlineData("osaka")]
    public async Task Ngsijs_creates_reads_queries_updates_and_deletes(string? tenant)
    {
        if (!Directory.Exists(Path.Combine(Scripts, "node_modules", "ngsijs")))
        {
            throw new InvalidOperationException($"ngsijs is not installed: run `npm ci` in {Scripts} (needs Node.js and npm).");
        }
        await using var server = await CityOsProcess.StartAsync(_data);

        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Scripts };
        start.ArgumentList.Add("ngsijs-crud.js");
        start.ArgumentList.Add(server.BaseAddress.ToString());
        if (tenant is not null) start.ArgumentList.Add(tenant);
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(node.ExitCode == 0, $"ngsijs failed: {await errors}\n{server.Output}");

        var seen = JsonNode.Parse(await output)!;
        var id = seen["id"]!.GetValue<string>();
        Assert.Equal("/ngsi-ld/v1/entities/" + id, seen["location"]!.GetValue<string>());
        Assert.Equal(18.5, seen["readTemperature"]!.GetValue<double>());
        Assert.Equal("WeatherObserved", seen["readType"]!.GetValue<string>());
        Assert.Equal(18.5, seen["keyValuesTemperature"]!.GetValue<double>());
        Assert.Equal([id], seen["queryIds"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(1, seen["queryCount"]!.GetValue<int>());
        Assert.Equal(["temperature"], seen["updated"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(21, seen["afterAppend"]!["temperature"]!.GetValue<double>());
        Assert.Equal(60, seen["afterAppend"]!["humidity"]!.GetValue<double>());
        Assert.DoesNotContain("humidity", seen["afterAttributeDelete"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("NotFound", seen["afterDelete"]!.GetValue<string>());
        Assert.StartsWith("BadRequest", seen["invalid"]!.GetValue<string>());
    }
}
