using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CityOS.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CityOS.Robustness.Tests;

/// <summary>
/// The test's own HTTP servers on loopback, in three roles: notification receiver (the shared
/// <see cref="NotificationReceiver"/>, a path per channel), @context server (/contexts/{name}, counting fetches;
/// /contexts/answers-400 and /contexts/not-json fail on purpose), and the HTTP proxy that cityos is started with, so that a
/// request it makes to any address but loopback ends here (recorded, answered 502) instead of leaving the machine.
/// </summary>
public sealed class LoopbackPeer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly NotificationReceiver _receiver;
    private readonly ConcurrentDictionary<string, int> _contextFetches = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _proxied = new();

    private LoopbackPeer(WebApplication app, Uri baseAddress, NotificationReceiver receiver)
    {
        _app = app;
        BaseAddress = baseAddress;
        _receiver = receiver;
    }

    public Uri BaseAddress { get; }

    /// <summary>Absolute URLs that cityos asked this proxy for: outbound requests to addresses other than loopback.</summary>
    public IReadOnlyCollection<string> ProxiedRequests => _proxied.ToArray();

    /// <summary>The environment that routes every outbound HTTP request of cityos, except to loopback, to this peer.</summary>
    public IDictionary<string, string> ProxyEnvironment
    {
        get
        {
            var proxy = BaseAddress.ToString().TrimEnd('/');
            return new Dictionary<string, string>
            {
                ["HTTP_PROXY"] = proxy, ["http_proxy"] = proxy, ["HTTPS_PROXY"] = proxy, ["https_proxy"] = proxy,
                ["ALL_PROXY"] = proxy, ["all_proxy"] = proxy,
                ["NO_PROXY"] = "127.0.0.1,localhost,::1", ["no_proxy"] = "127.0.0.1,localhost,::1",
            };
        }
    }

    public static async Task<LoopbackPeer> StartAsync()
    {
        var port = CityOsProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var peer = new LoopbackPeer(app, new Uri($"http://127.0.0.1:{port}/"), await NotificationReceiver.StartNewAsync());
        app.Use(async (context, next) =>
        {
            if (context.Request.Host.Port == port && context.Request.Host.Host == "127.0.0.1")
            {
                await next(context);
                return;
            }
            peer._proxied.Enqueue($"{context.Request.Method} {context.Request.Scheme}://{context.Request.Host}{context.Request.Path}");
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
        });
        app.MapGet("/contexts/answers-400", () => Results.BadRequest());
        app.MapGet("/contexts/not-json", () => Results.Text("<html>not a context</html>", "text/html"));
        app.MapGet("/contexts/{name}", (string name) =>
        {
            peer._contextFetches.AddOrUpdate(name, 1, (_, n) => n + 1);
            return Results.Text($$$$"""{"@context": {"{{{{name}}}}Term": "https://example.org/robustness/{{{{name}}}}"}}""", "application/ld+json");
        });
        await app.StartAsync();
        return peer;
    }

    public Uri Notify(string channel) => new(_receiver.Url(ChannelPath(channel)));

    public Uri Context(string name) => new(BaseAddress, $"contexts/{name}");

    public IReadOnlyList<JsonNode> Notifications(string channel) => [.. _receiver.Received(ChannelPath(channel)).Select(n => n.Body)];

    private static string ChannelPath(string channel) => $"/notify/{channel}";

    /// <summary>How many times cityos fetched the contexts whose names start with <paramref name="prefix"/>.</summary>
    public int ContextFetches(string prefix) => _contextFetches.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(f => f.Value);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _receiver.DisposeAsync();
    }
}
