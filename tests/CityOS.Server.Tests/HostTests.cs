using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace CityOS.Server.Tests;

/// <summary>The `cityos` command as an operator meets it: defaults, configuration, probes, shutdown.</summary>
public sealed class HostTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-host-" + Guid.NewGuid().ToString("N"));

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
    public async Task It_prints_where_it_listens_and_keeps_data_and_answers_the_probes()
    {
        await using var server = await CityOsProcess.StartAsync(_data);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        Assert.Contains($"listening on http://127.0.0.1:{server.Port}", server.Output);
        Assert.Contains($"Data directory: {_data}", server.Output);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        var ready = await client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var version = JsonNode.Parse(await client.GetStringAsync("/version"))!;
        Assert.Equal("CityOS", version["name"]!.GetValue<string>());
        Assert.Matches(@"^\d+\.\d+\.\d+", version["version"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(_data, "default.db")));
    }

    [Fact]
    public async Task Environment_variables_configure_it()
    {
        await using var server = await CityOsProcess.StartAsync(_data, environment: new Dictionary<string, string> { ["CITYOS__MAXENTITYBYTES"] = "200" });
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        var response = await client.PostAsync("/ngsi-ld/v1/entities", new StringContent(
            """{"id": "urn:ngsi-ld:T:1", "type": "T", "description": {"type": "Property", "value": "a text that makes this payload longer than two hundred bytes, which the configured limit refuses with 413 and the NGSI-LD problem details"}}""",
            Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task LogFormat_json_writes_one_structured_line_per_request()
    {
        await using var server = await CityOsProcess.StartAsync(_data, arguments: ["--CityOS:LogFormat", "json", "--Logging:LogLevel:CityOS.Requests", "Information"]);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        await client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:T:missing");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonNode? line = null;
        while (line is null && DateTime.UtcNow < deadline)
        {
            line = server.Output.Split('\n')
                .Where(l => l.TrimStart().StartsWith('{'))
                .Select(l => JsonNode.Parse(l))
                .FirstOrDefault(l => l!["Category"]?.GetValue<string>() == "CityOS.Requests"
                    && l["State"]?["Path"]?.GetValue<string>() == "/ngsi-ld/v1/entities/urn:ngsi-ld:T:missing");
            if (line is null) await Task.Delay(100);
        }

        Assert.NotNull(line);
        Assert.Equal("GET", line["State"]!["Method"]!.GetValue<string>());
        Assert.Equal(404, line["State"]!["Status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Sigterm_stops_it_cleanly_and_the_data_stays()
    {
        var server = await CityOsProcess.StartAsync(_data);
        using (var client = new HttpClient { BaseAddress = server.BaseAddress })
        {
            var created = await client.PostAsync("/ngsi-ld/v1/entities", new StringContent("""{"id": "urn:ngsi-ld:T:2", "type": "T"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.Equal(0, await server.TerminateAsync());
        await server.DisposeAsync();

        await using var again = await CityOsProcess.StartAsync(_data);
        using var reader = new HttpClient { BaseAddress = again.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:T:2")).StatusCode);
    }

    [Fact]
    public async Task A_setting_that_cannot_work_stops_it_before_it_listens_and_names_the_setting()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "cityos.dll"), "--port", "0", "--data", _data, "--CityOS:Subscriptions:JournalBatch", "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(1, process.ExitCode);
        Assert.Contains("CityOS:Subscriptions:JournalBatch is 0; it must be at least 1.", error);
        Assert.DoesNotContain("listening on", await output);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_options()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "cityos.dll"), "--help"])
        {
            RedirectStandardOutput = true,
        })!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("--port", text);
        Assert.Contains("--data", text);
        Assert.Contains("CITYOS__", text);
        Assert.Contains("account, client", text);
        Assert.Contains("import", text);
    }

    [Theory]
    [InlineData("backupp", "'backupp' is not a cityos command.")]
    [InlineData("--prot", "unknown option '--prot'.")]
    [InlineData("stray", "'stray' is not a cityos command.")]
    [InlineData("run --port", "--port needs a value.")]
    [InlineData("run extra", "unexpected argument 'extra'.")]
    public async Task An_unknown_command_or_option_is_a_usage_error_and_starts_no_server(string arguments, string problem)
    {
        var port = CityOsProcess.FreePort();
        var (exitCode, output, error) = await CityOsProcess.RunCommandForResultAsync([.. arguments.Split(' '), "--data", _data, "--CityOS:Port", port.ToString()]);

        Assert.Equal(2, exitCode);
        Assert.Contains($"cityos: {problem}", error);
        Assert.Contains("--port N", error);
        Assert.DoesNotContain("listening on", output);
        Assert.False(Directory.Exists(_data));
    }

    [Fact]
    public async Task An_unknown_option_of_account_is_a_usage_error_and_creates_nothing()
    {
        var (exitCode, _, error) = await CityOsProcess.RunCommandForResultAsync("account", "create", "--usernme", "admin", "--password", "change-me-now!", "--data", _data);

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown option --usernme", error);
        Assert.DoesNotContain("admin", (await CityOsProcess.RunCommandForResultAsync("account", "list", "--data", _data)).Output);
    }

    [Theory]
    [InlineData("account", "cityos account create --username NAME")]
    [InlineData("import", "cityos import FILE --type T")]
    [InlineData("run", "runs the City OS in the foreground")]
    public async Task Each_command_has_its_help(string command, string expected)
    {
        var (exitCode, output, _) = await CityOsProcess.RunCommandForResultAsync(command, "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains(expected, output);
    }
}
