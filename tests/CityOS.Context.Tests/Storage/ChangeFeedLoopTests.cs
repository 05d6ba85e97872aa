using System.Collections.Concurrent;
using CityOS.Context.Model;
using CityOS.Context.Storage;
using CityOS.Context.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CityOS.Context.Tests.Storage;

/// <summary>The journal consumers' loop, on the test's clock: gathering and retry delays pass only when a test advances it.</summary>
public sealed class ChangeFeedLoopTests : IAsyncLifetime
{
    private const string Consumer = "test";
    private readonly FakeTimeProvider _clock = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cityos-feedloop-" + Guid.NewGuid().ToString("N"));
    private SqliteEntityStore _store = null!;
    private readonly ChangeFeedOptions _feed = new() { Consumers = { Consumer } };

    public Task InitializeAsync()
    {
        _store = new SqliteEntityStore(Options.Create(new SqliteStoreOptions { DataDirectory = _directory }), Options.Create(_feed), TimeProvider.System,
            NullLogger<SqliteEntityStore>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private Task WriteAsync(int n, string? tenant = null) => _store.MutateAsync(tenant, [new EntityMutation($"urn:ngsi-ld:Sensor:{n}", _ => new MutationOutcome.Save(new Entity
    {
        Id = $"urn:ngsi-ld:Sensor:{n}",
        Types = ["https://example.org/Sensor"],
        CreatedAt = DateTimeOffset.UnixEpoch,
        ModifiedAt = DateTimeOffset.UnixEpoch,
    }))], default).AsTask();

    /// <summary>
    /// Runs the loop; each drain reads what is waiting, records how many it got and acknowledges them. Idle completes once the
    /// loop waits for the change signal with nothing pending: from then on it wakes up for the next write.
    /// </summary>
    private (Task Loop, ConcurrentQueue<int> Batches, Task Idle, CancellationTokenSource Stop) Run(TimeSpan gather)
    {
        var batches = new ConcurrentQueue<int>();
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stop = new CancellationTokenSource();
        var loop = ChangeFeedLoop.RunAsync(new WatchedFeed(_store, idle), _store, Consumer, _feed, async (lease, ct) =>
        {
            var changes = await _store.ReadChangesAsync(lease, 1000, ct);
            if (changes.Count == 0) return false;
            batches.Enqueue(changes.Count);
            await _store.AcknowledgeAsync(lease, changes[^1].Sequence, ct);
            return false;
        }, error => throw error, _clock, stop.Token, gather);
        return (loop, batches, idle.Task, stop);
    }

    private static async Task<int> WaitForTotalAsync(ConcurrentQueue<int> batches, int total)
    {
        for (var i = 0; i < 500 && batches.Sum() < total; i++) await Task.Delay(20);
        return batches.Sum();
    }

    [Fact]
    public async Task With_a_gathering_delay_changes_arriving_within_it_are_handled_together()
    {
        var (loop, batches, idle, stop) = Run(TimeSpan.FromSeconds(2));
        await idle.WaitAsync(TimeSpan.FromSeconds(10));
        for (var n = 0; n < 5; n++) await WriteAsync(n);
        // The gathering delay passes on the test's clock only, after all five writes.
        Assert.True(await Eventually.TrueAsync(() => batches.Sum() >= 5, between: () => _clock.Advance(TimeSpan.FromSeconds(2))));
        Assert.Equal([5], batches.ToArray());
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task Without_a_gathering_delay_each_change_is_handled_as_it_comes()
    {
        var (loop, batches, idle, stop) = Run(TimeSpan.Zero);
        await idle.WaitAsync(TimeSpan.FromSeconds(10));
        for (var n = 0; n < 5; n++)
        {
            await WriteAsync(n);
            await WaitForTotalAsync(batches, n + 1);
        }
        Assert.Equal(5, batches.Sum());
        Assert.Equal(5, batches.Count);
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task A_tenant_whose_drain_keeps_failing_is_retried_while_the_other_tenants_go_on()
    {
        await WriteAsync(0, "a-broken");
        var drained = new ConcurrentQueue<int>();
        var failures = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var loop = ChangeFeedLoop.RunAsync(_store, _store, Consumer, _feed, async (lease, ct) =>
        {
            if (lease.Tenant == "a-broken") throw new IOException("the disk of a-broken is gone");
            var changes = await _store.ReadChangesAsync(lease, 1000, ct);
            if (changes.Count == 0) return false;
            drained.Enqueue(changes.Count);
            await _store.AcknowledgeAsync(lease, changes[^1].Sequence, ct);
            return false;
        }, failures.Enqueue, _clock, stop.Token);

        for (var n = 0; n < 3; n++)
        {
            await WriteAsync(n, "z-fine");
            Assert.Equal(n + 1, await WaitForTotalAsync(drained, n + 1));
        }
        // Tried again once the retry delay has passed on the test's clock.
        await Eventually.TrueAsync(() => failures.Count >= 2, between: () => _clock.Advance(TimeSpan.FromSeconds(1)));
        Assert.True(failures.Count >= 2, $"the broken tenant was tried {failures.Count} times");
        Assert.All(failures, f => Assert.Contains("a-broken", f.Message));
        await stop.CancelAsync();
        await loop;
    }

    /// <summary>The store's feed, telling the test when the loop goes to sleep on the change signal with nothing new since its round.</summary>
    private sealed class WatchedFeed(IChangeFeed inner, TaskCompletionSource idle) : IChangeFeed, IChangeSignal
    {
        public IChangeSignal Signal => this;

        public long Version => inner.Signal.Version;

        public Task WaitForChangesAsync(long seenVersion, CancellationToken ct)
        {
            if (seenVersion == inner.Signal.Version) idle.TrySetResult();
            return inner.Signal.WaitForChangesAsync(seenVersion, ct);
        }

        public ValueTask<bool> HasPendingAsync(string? tenant, string consumer, CancellationToken ct) => inner.HasPendingAsync(tenant, consumer, ct);

        public ValueTask<bool> HasPendingUpToAsync(string? tenant, string consumer, long sequence, CancellationToken ct) =>
            inner.HasPendingUpToAsync(tenant, consumer, sequence, ct);

        public ValueTask<long> LastSequenceAsync(string? tenant, CancellationToken ct) => inner.LastSequenceAsync(tenant, ct);

        public ValueTask<ChangeFeedLease?> TryTakeLeaseAsync(string? tenant, string consumer, string holder, TimeSpan duration, CancellationToken ct) =>
            inner.TryTakeLeaseAsync(tenant, consumer, holder, duration, ct);

        public ValueTask<IReadOnlyList<EntityChange>> ReadChangesAsync(ChangeFeedLease lease, int max, CancellationToken ct, long after = 0) =>
            inner.ReadChangesAsync(lease, max, ct, after);

        public ValueTask AcknowledgeAsync(ChangeFeedLease lease, long sequence, CancellationToken ct) => inner.AcknowledgeAsync(lease, sequence, ct);
    }
}
