using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CityOS.Testing;

/// <summary>One notification as the receiver got it.</summary>
public sealed record ReceivedNotification(string Path, IReadOnlyDictionary<string, string> Headers, JsonObject Body, DateTimeOffset At)
{
    public JsonArray Data => Body["data"]!.AsArray();
    public JsonObject Entity => Data.Single()!.AsObject();
}

/// <summary>
/// The tests' notification receiver: a small Kestrel app on 127.0.0.1:0 that records every POST by path, in arrival order.
/// A path can be told to fail a number of times first (HTTP 500) or to answer its next notification late.
/// </summary>
public sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ReceivedNotification>> _received = new();
    private readonly ConcurrentDictionary<string, int> _failures = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _delays = new();
    private readonly ConcurrentDictionary<string, int> _taken = new();
    private readonly ConcurrentDictionary<string, int> _requests = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A started receiver.</summary>
    public static async Task<NotificationReceiver> StartNewAsync()
    {
        var receiver = new NotificationReceiver();
        await receiver.StartAsync();
        return receiver;
    }

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    /// <summary>A fresh path on the receiver, so that each test reads only its own notifications.</summary>
    public string NewPath() => "/notify/" + Guid.NewGuid().ToString("N");

    /// <summary>The next <paramref name="times"/> notifications to the path are refused (HTTP 500, not recorded); 0 ends that.</summary>
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
            _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
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
        BaseAddress = InProcessHost.AddressOf(_app);
    }

    public IReadOnlyList<ReceivedNotification> Received(string path) =>
        _received.TryGetValue(path, out var queue) ? queue.ToArray() : [];

    /// <summary>The requests that reached the path so far, including those refused or still being answered.</summary>
    public int Requests(string path) => _requests.GetValueOrDefault(path);

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

    /// <summary>The path's next notification not yet taken by this method, in arrival order (waits for it).</summary>
    public async Task<ReceivedNotification> NextAsync(string path)
    {
        var index = _taken.AddOrUpdate(path, 1, (_, taken) => taken + 1) - 1;
        return (await WaitForAsync(path, index + 1))[index];
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
