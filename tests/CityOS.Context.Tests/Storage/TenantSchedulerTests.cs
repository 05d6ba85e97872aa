using System.Diagnostics;
using CityOS.Context.Storage;
using CityOS.Context.Storage.Sqlite;
using CityOS.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CityOS.Context.Tests.Storage;

/// <summary>The embedded engine's resources: tenant databases close when idle and open again on use; read pools are bounded.</summary>
public sealed class TenantSchedulerTests : IAsyncLifetime
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cityos-scheduler-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private SqliteEntityStore? _store;

    private SqliteEntityStore Open(params string[] consumers)
    {
        var feed = new ChangeFeedOptions();
        feed.Consumers.UnionWith(consumers);
        return _store = new SqliteEntityStore(Options.Create(new SqliteStoreOptions { DataDirectory = _directory, TenantIdleTimeout = Idle }),
            Options.Create(feed), _time, NullLogger<SqliteEntityStore>.Instance);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static string Id(int n) => $"urn:ngsi-ld:Sensor:{n}";

    [Fact]
    public async Task Thousands_of_tenants_used_once_keep_no_thread_each_and_close_when_idle_and_open_again_with_their_data()
    {
        const int tenants = 1000;
        var store = Open();
        var threadsBefore = Process.GetCurrentProcess().Threads.Count;
        await Parallel.ForEachAsync(Enumerable.Range(0, tenants), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (n, _) => await SqliteContractDirectory.CommitAsync(store, "t" + n, Id(n)));

        Assert.Equal(tenants + 1, store.OpenTenantCount);
        // A thread (or a timer thread) per open tenant would be a thousand more; the writers run on the thread pool.
        Assert.InRange(Process.GetCurrentProcess().Threads.Count, 1, threadsBefore + tenants / 4);

        _time.Advance(Idle);
        Assert.Equal(0, store.OpenTenantCount);

        Assert.Equal(Id(7), (await store.GetAsync("t7", Id(7), default))!.Id);
        Assert.Equal(1, store.OpenTenantCount);
        await SqliteContractDirectory.CommitAsync(store, "t8", Id(10_008));
        Assert.Equal(2, store.OpenTenantCount);
        Assert.Equal(Id(8), (await store.GetAsync("t8", Id(8), default))!.Id);
    }

    [Fact]
    public async Task A_tenant_closes_only_once_idle_and_every_consumer_has_acknowledged_its_changes()
    {
        var store = Open("notifier");
        await SqliteContractDirectory.CommitAsync(store, "busy", Id(1));
        await SqliteContractDirectory.CommitAsync(store, "done", Id(2));
        var lease = (await store.TryTakeLeaseAsync("done", "notifier", "test", TimeSpan.FromHours(1), default))!;
        await store.AcknowledgeAsync(lease, (await store.ReadChangesAsync(lease, 10, default))[^1].Sequence, default);

        _time.Advance(Idle / 2);
        Assert.Equal(3, store.OpenTenantCount);
        _time.Advance(Idle / 2);
        // The default tenant and "done" closed; "busy" still has a change for the notifier.
        Assert.Equal(1, store.OpenTenantCount);
        Assert.False(await store.HasPendingAsync("done", "notifier", default));
        Assert.True(await store.HasPendingAsync("busy", "notifier", default));
        Assert.Equal(1, store.OpenTenantCount);

        var busy = (await store.TryTakeLeaseAsync("busy", "notifier", "test", TimeSpan.FromHours(1), default))!;
        await store.AcknowledgeAsync(busy, (await store.ReadChangesAsync(busy, 10, default))[^1].Sequence, default);
        _time.Advance(Idle);
        Assert.Equal(0, store.OpenTenantCount);

        // Written again, a closed tenant opens, journals the change and signals it.
        var seen = store.Signal.Version;
        await SqliteContractDirectory.CommitAsync(store, "done", Id(3));
        Assert.NotEqual(seen, store.Signal.Version);
        Assert.True(await store.HasPendingAsync("done", "notifier", default));
        var again = (await store.TryTakeLeaseAsync("done", "notifier", "test", TimeSpan.FromHours(1), default))!;
        Assert.Equal(Id(3), Assert.Single(await store.ReadChangesAsync(again, 10, default)).EntityId);
    }

    [Fact]
    public void A_read_pool_never_holds_more_connections_than_its_bound_and_waiting_callers_get_one_when_released()
    {
        var created = 0;
        var inUse = 0;
        var mostInUse = 0;
        using var pool = new BoundedPool<MemoryStream>(2, () =>
        {
            Interlocked.Increment(ref created);
            return new MemoryStream();
        });
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            var item = pool.Take();
            var now = Interlocked.Increment(ref inUse);
            InterlockedMax(ref mostInUse, now);
            Thread.Sleep(10);
            Interlocked.Decrement(ref inUse);
            pool.Return(item);
        });

        Assert.InRange(mostInUse, 1, 2);
        Assert.InRange(created, 1, 2);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Fact]
    public void A_read_pool_bound_below_one_or_an_idle_time_that_is_not_positive_is_refused()
    {
        Assert.Contains("MaxReadConnections", new SqliteStoreOptions { MaxReadConnections = 0 }.Problem());
        Assert.Contains("TenantIdleTimeout", new SqliteStoreOptions { TenantIdleTimeout = TimeSpan.Zero }.Problem());
        Assert.Null(new SqliteStoreOptions().Problem());
        Assert.Throws<ArgumentException>(() => new SqliteEntityStore(Options.Create(new SqliteStoreOptions { DataDirectory = _directory, MaxReadConnections = 0 }),
            Options.Create(new ChangeFeedOptions()), _time, NullLogger<SqliteEntityStore>.Instance));
    }
}
