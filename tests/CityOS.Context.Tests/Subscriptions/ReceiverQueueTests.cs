using System.Net;
using CityOS.Context.Subscriptions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>The dispatcher keeps a receiver's queue only while it has something to do: an idle, empty queue goes, and comes back on demand.</summary>
public sealed class ReceiverQueueTests : IAsyncLifetime
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(5);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cityos-queues-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private ServiceProvider _services = null!;
    private DeliveryDispatcher _dispatcher = null!;
    private long _seq;

    /// <summary>Answers 200, or 500 to paths under /down.</summary>
    private sealed class Receivers : HttpMessageHandler, IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(this, disposeHandler: false);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            Task.FromResult(new HttpResponseMessage(request.RequestUri!.AbsolutePath.StartsWith("/down") ? HttpStatusCode.InternalServerError : HttpStatusCode.OK));
    }

    public Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CityOS:DataDirectory"] = _directory,
            ["CityOS:Subscriptions:IdleReceiverTimeout"] = Idle.ToString(),
        }).Build();
        _services = new ServiceCollection().AddLogging().AddCityOsContext(configuration)
            .AddSingleton<TimeProvider>(_time)
            .AddSingleton<IHttpClientFactory>(new Receivers())
            .BuildServiceProvider();
        _dispatcher = _services.GetRequiredService<DeliveryDispatcher>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<bool> DeliverAsync(string receiver)
    {
        var attempted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var seq = Interlocked.Increment(ref _seq);
        _dispatcher.Attempted += (delivery, success) =>
        {
            if (delivery.Seq == seq) attempted.TrySetResult(success);
        };
        _dispatcher.Post(new Delivery
        {
            Seq = seq,
            Tenant = null,
            SubscriptionId = "urn:ngsi-ld:Subscription:q",
            Receiver = receiver,
            Payload = "{}"u8.ToArray(),
            Headers = [new("Content-Type", "application/json")],
            OrderKey = "k" + seq,
        }, Task.CompletedTask);
        return await attempted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Waits until the dispatcher holds <paramref name="count"/> deliveries (the others are finished).</summary>
    private async Task WaitUntilHeldAsync(int count)
    {
        for (var i = 0; i < 1000 && _dispatcher.Pending != count; i++) await Task.Delay(10);
        Assert.Equal(count, _dispatcher.Pending);
    }

    [Fact]
    public async Task An_empty_queue_idle_for_the_timeout_is_removed_and_made_again_for_the_next_notification()
    {
        Assert.True(await DeliverAsync("http://receiver.test/a"));
        Assert.False(await DeliverAsync("http://receiver.test/down"));
        await WaitUntilHeldAsync(1);
        Assert.Equal(2, _dispatcher.ReceiverCount);

        // The queue of the receiver that answered is empty and goes; the one still retrying its delivery stays.
        _time.Advance(Idle);
        Assert.Equal(1, _dispatcher.ReceiverCount);
        Assert.Equal(1, _dispatcher.Pending);

        Assert.True(await DeliverAsync("http://receiver.test/a"));
        Assert.Equal(2, _dispatcher.ReceiverCount);
    }
}
