using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace CityOS.Server.Tests;

/// <summary>`cityos import FILE ...` against a running cityos: the rows become entities, bad rows are listed by line.</summary>
public sealed class ImportCommandTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-import-" + Guid.NewGuid().ToString("N"));
    private CityOsProcess _server = null!;

    public async Task InitializeAsync() => _server = await CityOsProcess.StartAsync(_data);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Url => _server.BaseAddress.ToString().TrimEnd('/');

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_data, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    private async Task<JsonObject?> EntityAsync(string tenant, string id)
    {
        using var http = new HttpClient { BaseAddress = _server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}");
        request.Headers.Add("NGSILD-Tenant", tenant);
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject() : null;
    }

    [Fact]
    public async Task A_CSV_file_is_imported_into_the_tenant_with_progress_and_a_report_naming_the_bad_lines()
    {
        var csv = new StringBuilder("code,name,temp,lat,lon\n");
        for (var i = 1; i <= 3000; i++)
            csv.Append(CultureInfo.InvariantCulture, $"G{i},Gauge {i},{20 + i % 10}.5,35.{i:0000},139.7\n");
        csv.Append("G3001,Broken,warm,35.1,139.7\n");
        var file = WriteFile("gauges.csv", csv.ToString());

        var (exitCode, output, error) = await CityOsProcess.RunCommandForResultAsync("import", file, "--type", "RiverGauge", "--tenant", "cli1",
            "--id", "code", "--attr", "name", "--attr", "temp:temperature:Number:CEL", "--lat", "lat", "--lon", "lon", "--url", Url);

        Assert.True(exitCode == 2, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains("3001 rows read, 3000 created, 0 updated, 1 rejected", output);
        Assert.Contains("line 3002: ", output);
        Assert.Contains("'warm' is not a number", output);
        var gauge = await EntityAsync("cli1", "urn:ngsi-ld:RiverGauge:G17");
        Assert.NotNull(gauge);
        Assert.Equal(27.5, (double)gauge["temperature"]!["value"]!);
        Assert.Equal("CEL", (string)gauge["temperature"]!["unitCode"]!);
        Assert.Equal("Point", (string)gauge["location"]!["value"]!["type"]!);
        Assert.Null(await EntityAsync("cli1", "urn:ngsi-ld:RiverGauge:G3001"));
        Assert.Null(await EntityAsync("cli2", "urn:ngsi-ld:RiverGauge:G17"));
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_and_shows_a_sample_and_a_clean_file_exits_zero()
    {
        var file = WriteFile("stops.ndjson", """
            {"stopId":"S1","name":"駅前","lat":35.5,"lon":139.6}
            {"stopId":"S2","name":"市役所","lat":35.51,"lon":139.61}

            """);

        var dry = await CityOsProcess.RunCommandForResultAsync("import", file, "--type", "BusStop", "--tenant", "cli3", "--id", "stopId",
            "--attr", "name", "--lat", "lat", "--lon", "lon", "--dry-run", "--url", Url);
        Assert.True(dry.ExitCode == 0, dry.Error);
        Assert.Contains("Dry run of BusStop: 2 rows read, 2 would be created", dry.Output);
        Assert.Contains("駅前", dry.Output);
        Assert.Null(await EntityAsync("cli3", "urn:ngsi-ld:BusStop:S1"));

        var real = await CityOsProcess.RunCommandForResultAsync("import", file, "--type", "BusStop", "--tenant", "cli3", "--id", "stopId",
            "--attr", "name", "--lat", "lat", "--lon", "lon", "--url", Url);
        Assert.True(real.ExitCode == 0, real.Error);
        Assert.Contains("Imported BusStop: 2 rows read, 2 created", real.Output);
        Assert.Equal("市役所", (string)(await EntityAsync("cli3", "urn:ngsi-ld:BusStop:S2"))!["name"]!["value"]!);
    }

    [Fact]
    public async Task Bad_usage_and_a_refused_mapping_exit_one_with_the_reason_and_write_nothing()
    {
        var file = WriteFile("x.csv", "code,value\nA,1\n");

        var noType = await CityOsProcess.RunCommandForResultAsync("import", file, "--url", Url);
        Assert.Equal(1, noType.ExitCode);
        Assert.Contains("--type names the entity type", noType.Error);

        var missing = await CityOsProcess.RunCommandForResultAsync("import", Path.Combine(_data, "nothing.csv"), "--type", "T", "--url", Url);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("there is no file", missing.Error);

        var refused = await CityOsProcess.RunCommandForResultAsync("import", file, "--type", "T", "--attr", "code:a:b:c:d", "--url", Url);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("refused (400)", refused.Error);
        Assert.Contains("column[:name[:Type[:unit]]]", refused.Error);

        var unreachable = await CityOsProcess.RunCommandForResultAsync("import", file, "--type", "T", "--url", $"http://127.0.0.1:{CityOsProcess.FreePort()}");
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("cannot reach", unreachable.Error);
    }
}
