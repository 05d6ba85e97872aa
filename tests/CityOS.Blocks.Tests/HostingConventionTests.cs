using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOS.Blocks.Tests.SampleBlock;
using CityOS.Core.Context;
using CityOS.Server;
using CityOS.Testing;
using Microsoft.Extensions.Options;

namespace CityOS.Blocks.Tests;

/// <summary>What the block convention gives an operator: settings checked before the host starts, one data directory, and /ready.</summary>
public sealed class HostingConventionTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-blocks-" + Guid.NewGuid().ToString("N"));

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
    [InlineData("CityOS:Subscriptions:JournalBatch", "0", "CityOS:Subscriptions:JournalBatch is 0; it must be at least 1.")]
    [InlineData("CityOS:Subscriptions:MaxRetryDelay", "00:00:00.100", "CityOS:Subscriptions:MaxRetryDelay (00:00:00.1000000) must not be below CityOS:Subscriptions:InitialRetryDelay (00:00:01).")]
    [InlineData("CityOS:Temporal:PruneInterval", "00:00:00", "CityOS:Temporal:PruneInterval is 00:00:00; it must be a positive duration.")]
    [InlineData("CityOS:Temporal:Types:Vehicle:Retention", "-1.00:00:00", "CityOS:Temporal:Types:Vehicle:Retention is -1.00:00:00; it must be a positive duration.")]
    [InlineData("CityOS:MaxLimit", "0", "CityOS:MaxLimit is 0; it must be at least 1.")]
    [InlineData("CityOS:Limits:MaxJsonDepth", "2", "CityOS:Limits:MaxJsonDepth must be between 4 and 64.")]
    [InlineData("CityOS:JsonLd:FetchTimeout", "00:00:00", "CityOS:JsonLd:FetchTimeout is 00:00:00; it must be a positive duration.")]
    [InlineData("CityOS:Identity:LockoutThreshold", "0", "CityOS:Identity:LockoutThreshold is 0; it must be at least 1.")]
    [InlineData("CityOS:Identity:Issuer", "not-a-url", "CityOS:Identity:Issuer 'not-a-url' must be an absolute http(s) URL.")]
    [InlineData("CityOS:Counter:Attribute", "", "CityOS:Counter:Attribute must not be empty.")]
    public async Task The_host_refuses_to_start_with_a_setting_that_cannot_work_and_names_it(string setting, string value, string message)
    {
        await using var app = CityOsHost.Build(["--urls", "http://127.0.0.1:0", "--data", _data, "--Logging:LogLevel:Default", "None", $"--{setting}", value],
            extraBlocks: [new CounterBlock()]);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(message, refused.Failures);
    }

    [Fact]
    public void A_block_whose_services_need_a_block_switched_off_stops_the_host_and_says_what_is_missing()
    {
        var refused = Assert.Throws<AggregateException>(() => CityOsHost.Build(
            ["--urls", "http://127.0.0.1:0", "--data", _data, "--CityOS:Blocks:Context:Enabled", "false"], extraBlocks: [new CounterBlock()]));

        Assert.Contains(refused.InnerExceptions, e => e.Message.Contains(nameof(IContextReader)) && e.Message.Contains(nameof(Counter)));
    }

    [Fact]
    public async Task Every_block_keeps_its_files_in_the_one_data_directory()
    {
        var app = CityOsHost.Build(["--urls", "http://127.0.0.1:0", "--data", _data, "--Logging:LogLevel:Default", "Warning", "--CityOS:Mqtt:Broker:Port", "0"]);
        try
        {
            using var client = new HttpClient { BaseAddress = await InProcessHost.StartAsync(app) };
            var inlineContext = new StringContent("""{"@context": {"x": "https://example.org/x"}, "id": "urn:ngsi-ld:T:1", "type": "T"}""",
                System.Text.Encoding.UTF8, "application/ld+json");
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/ngsi-ld/v1/entities", inlineContext)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ready")).StatusCode);

            Assert.True(File.Exists(Path.Combine(_data, "default.db")));
            Assert.True(File.Exists(Path.Combine(_data, "subscriptions.db")));
            Assert.True(File.Exists(Path.Combine(_data, "identity.db")));
            Assert.True(File.Exists(Path.Combine(_data, "jsonld-contexts.db")));
            Assert.True(Directory.Exists(Path.Combine(_data, "temporal")));
        }
        finally
        {
            await InProcessHost.StopAsync(app, _data);
        }
    }
}

/// <summary>/ready when every block's checks pass.</summary>
public sealed class ReadyTests(CounterHost host) : IClassFixture<CounterHost>
{
    [Fact]
    public async Task Ready_answers_200_ready_when_every_store_answers()
    {
        var response = await host.Client.GetAsync("/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ready"}""", (await response.Content.ReadFromJsonAsync<JsonObject>())!.ToJsonString());
    }
}

/// <summary>/ready when one block's check fails.</summary>
public sealed class NotReadyTests(FailingBlockHost host) : IClassFixture<FailingBlockHost>
{
    [Fact]
    public async Task Ready_answers_503_and_names_the_failing_check()
    {
        var response = await host.Client.GetAsync("/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("unavailable", body["status"]!.GetValue<string>());
        Assert.Equal(["failing-store"], body["failing"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/health")).StatusCode);
    }
}

/// <summary>The one translation of context API errors to NGSI-LD's and back.</summary>
public sealed class ContextErrorsTests
{
    [Fact]
    public void Every_kind_survives_the_way_to_an_NGSI_LD_error_and_back()
    {
        foreach (var kind in Enum.GetValues<ContextErrorKind>())
        {
            var error = new ContextException(kind, "detail").ToNgsiLdException();

            Assert.Equal(kind, error.ToContextException().Kind);
            Assert.Equal("detail", error.Detail);
        }
    }
}
