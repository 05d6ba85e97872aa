using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;
using CityOS.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>The real cityos host in-process with fast retries, and a real HTTP receiver recording every notification.</summary>
public class SubscriptionHost : CityOsTestHost
{
    public NotificationReceiver Receiver { get; } = new();

    protected override string[] Settings =>
    [
        "--Logging:LogLevel:CityOS.Context.Subscriptions", "Critical",
        "--CityOS:Subscriptions:InitialRetryDelay", "00:00:00.100",
        "--CityOS:Subscriptions:MaxRetryDelay", "00:00:00.400",
        "--CityOS:Subscriptions:DeliveryTimeout", "00:00:02",
        // The periodic tests use half a second; the hostile-input tests check that 0.001 s is still refused.
        "--CityOS:Subscriptions:MinTimeInterval", "00:00:00.500",
        .. MoreSettings,
    ];

    /// <summary>More command-line settings for the host.</summary>
    protected virtual IEnumerable<string> MoreSettings => [];

    public override async Task InitializeAsync()
    {
        await Receiver.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    /// <summary>Creates a subscription and returns its id; the endpoint is the receiver at a path of its own unless the body names one.</summary>
    public async Task<string> SubscribeAsync(string json, string? tenant = null, string? link = null, string mediaType = "application/json")
    {
        var response = await Client.SendAsync(Ngsi.Request(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", Ngsi.Json(json, mediaType), tenant, link));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
        var location = response.Headers.Location!.ToString();
        return Uri.UnescapeDataString(location[(location.LastIndexOf('/') + 1)..]);
    }

    public async Task<JsonObject> GetSubscriptionAsync(string id, string? tenant = null, string query = "")
    {
        var response = await Client.SendAsync(Ngsi.Request(HttpMethod.Get, $"/ngsi-ld/v1/subscriptions/{Uri.EscapeDataString(id)}{query}", tenant: tenant));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task SendAsync(HttpMethod method, string url, string? json = null, string? tenant = null)
    {
        var response = await Client.SendAsync(Ngsi.Request(method, url, json is null ? null : Ngsi.Json(json), tenant));
        Assert.True(response.IsSuccessStatusCode, $"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

public sealed record ReceivedNotification(string Path, IReadOnlyDictionary<string, string> Headers, JsonObject Body, DateTimeOffset At)
{
    public JsonArray Data => Body["data"]!.AsArray();
    public JsonObject Entity => Data.Single()!.AsObject();
}

/// <summary>A small Kestrel app on 127.0.0.1:0 that records every POST; a path can be told to fail a number of times first.</summary>
public sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ReceivedNotification>> _received = new();
    private readonly ConcurrentDictionary<string, int> _failures = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _delays = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    /// <summary>A fresh path on the receiver, so that each test reads only its own notifications.</summary>
    public string NewPath() => "/notify/" + Guid.NewGuid().ToString("N");

    public void FailNext(string path, int times) => _failures[path] = times;

    /// <summary>The next notification to the path is answered (and recorded) only after <paramref name="delay"/>.</summary>
    public void DelayNext(string path, TimeSpan delay) => _delays[path] = delay;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/{**path}", async (HttpContext context) =>
        {
            var path = context.Request.Path.Value!;
            var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
            if (_delays.TryRemove(path, out var delay)) await Task.Delay(delay);
            if (_failures.TryGetValue(path, out var left) && left > 0)
            {
                _failures[path] = left - 1;
                return Results.StatusCode(500);
            }
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            _received.GetOrAdd(path, _ => new()).Enqueue(new ReceivedNotification(path, headers, body, DateTimeOffset.UtcNow));
            _arrived.Release();
            return Results.NoContent();
        });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public IReadOnlyList<ReceivedNotification> Received(string path) =>
        _received.TryGetValue(path, out var queue) ? queue.ToArray() : [];

    /// <summary>Waits until the path has received at least <paramref name="count"/> notifications.</summary>
    public async Task<IReadOnlyList<ReceivedNotification>> WaitForAsync(string path, int count = 1, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (Received(path).Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) Assert.Fail($"{path} received {Received(path).Count} notifications, expected {count}");
            await _arrived.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(50, left.TotalMilliseconds)));
        }
        return Received(path);
    }

    /// <summary>Asserts that the path receives nothing (more than <paramref name="count"/>) within a short while.</summary>
    public async Task ExpectNoMoreAsync(string path, int count = 0, int waitMs = 700)
    {
        await Task.Delay(waitMs);
        Assert.Equal(count, Received(path).Count);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
