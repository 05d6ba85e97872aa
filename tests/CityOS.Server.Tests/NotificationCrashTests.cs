using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityOS.Server.Tests;

/// <summary>At-least-once notification across a crash: every acknowledged write that matched a subscription is notified, even after SIGKILL.</summary>
public sealed class NotificationCrashTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-notify-crash-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<string, int> _notified = new(StringComparer.Ordinal);
    private WebApplication _receiver = null!;
    private string _receiverUrl = "";

    /// <summary>While set, the receiver answers 503: notifications wait for retries, so the outbox holds them at the crash.</summary>
    private volatile bool _refusing;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _receiver = builder.Build();
        _receiver.MapPost("/notify", async (HttpContext context) =>
        {
            if (_refusing) return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            var body = await JsonNode.ParseAsync(context.Request.Body);
            foreach (var entity in body!["data"]!.AsArray()) _notified.AddOrUpdate(entity!["id"]!.GetValue<string>(), 1, (_, n) => n + 1);
            return Results.NoContent();
        });
        await _receiver.StartAsync();
        _receiverUrl = _receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/notify";
    }

    public async Task DisposeAsync()
    {
        await _receiver.StopAsync();
        await _receiver.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_acknowledged_matching_write_is_notified_after_kill_9_and_restart(bool receiverDownUntilRestart)
    {
        _refusing = receiverDownUntilRestart;
        var acknowledged = new ConcurrentBag<string>();
        await using (var server = await CityOsProcess.StartAsync(_data))
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            var subscription = await client.PostAsync("/ngsi-ld/v1/subscriptions", new StringContent($$$$"""
                {"type": "Subscription", "entities": [{"type": "Meter"}], "notification": {"format": "keyValues", "endpoint": {"uri": "{{{{_receiverUrl}}}}"}}}
                """, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, subscription.StatusCode);

            await server.WriteUntilKilledAsync(16, async (writes, writer, i) =>
            {
                var entityId = $"urn:ngsi-ld:Meter:{writer}-{i}";
                var response = await writes.PostAsync("/ngsi-ld/v1/entities", new StringContent(
                    $$$"""{"id": "{{{entityId}}}", "type": "Meter", "reading": {"type": "Property", "value": {{{i}}}}}""", Encoding.UTF8, "application/json"));
                if (response.StatusCode == HttpStatusCode.Created) acknowledged.Add(entityId);
            }, () => acknowledged.Count >= 1500);
        }

        var notifiedBeforeRestart = _notified.Count;
        if (receiverDownUntilRestart)
        {
            Assert.Equal(0, notifiedBeforeRestart);
            _refusing = false;
        }
        await using var restarted = await CityOsProcess.StartAsync(_data);
        var expected = acknowledged.ToHashSet();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !expected.All(_notified.ContainsKey)) await Task.Delay(100);
        var missing = expected.Where(id => !_notified.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0,
            $"{missing.Count} of {expected.Count} acknowledged writes were never notified (notified before the restart: {notifiedBeforeRestart}), e.g. {string.Join(", ", missing.Take(5))}");
    }
}
