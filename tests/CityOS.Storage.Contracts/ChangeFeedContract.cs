using CityOS.Context.Storage;
using Microsoft.Extensions.Time.Testing;

namespace CityOS.Storage.Contracts;

/// <summary>
/// What every engine's change feed (<see cref="IChangeFeed"/>) must do: journal committed changes per tenant in commit order,
/// keep each consumer's acknowledged position durably, lease each (tenant, consumer) to one holder at a time until the lease
/// expires, and signal commits. An engine's test project derives a class that opens its store on one test's storage.
/// </summary>
public abstract class ChangeFeedContract : IAsyncLifetime
{
    protected const string Notifier = "notifier";
    protected const string History = "history";
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(1);

    /// <summary>The engine's clock: leases expire as it is advanced.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    private IChangeFeed? _feed;

    private IChangeFeed Feed => _feed!;

    /// <summary>Opens the engine on this test's storage (the same storage again after <see cref="CloseAsync"/>), with these consumers and clock.</summary>
    protected abstract ValueTask<IChangeFeed> OpenAsync(IReadOnlyCollection<string> consumers, TimeProvider time);

    /// <summary>Commits, through the engine's own entity writes, the creation (or with <paramref name="delete"/> the deletion) of an entity.</summary>
    protected abstract Task CommitAsync(IChangeFeed feed, string? tenant, string entityId, bool delete = false);

    protected abstract ValueTask CloseAsync(IChangeFeed feed);

    /// <summary>Removes this test's storage (after the last close).</summary>
    protected abstract ValueTask DeleteStorageAsync();

    public async Task InitializeAsync() => _feed = await OpenAsync([Notifier, History], Time);

    public async Task DisposeAsync()
    {
        if (_feed is not null) await CloseAsync(_feed);
        await DeleteStorageAsync();
    }

    private async Task ReopenAsync()
    {
        await CloseAsync(Feed);
        _feed = null;
        _feed = await OpenAsync([Notifier, History], Time);
    }

    private async Task<ChangeFeedLease> LeaseAsync(string? tenant, string consumer, string holder = "node-a") =>
        await Feed.TryTakeLeaseAsync(tenant, consumer, holder, LeaseDuration, default) ?? throw new InvalidOperationException($"{holder} got no lease");

    [Fact]
    public async Task Changes_are_journaled_per_tenant_in_commit_order()
    {
        await CommitAsync(Feed, "city-a", "urn:a:1");
        await CommitAsync(Feed, "city-b", "urn:b:1");
        await CommitAsync(Feed, "city-a", "urn:a:2");
        await CommitAsync(Feed, "city-a", "urn:a:1", delete: true);

        var a = await Feed.ReadChangesAsync(await LeaseAsync("city-a", Notifier), 10, default);
        Assert.Equal(["urn:a:1", "urn:a:2", "urn:a:1"], a.Select(c => c.EntityId));
        Assert.All(a, c => Assert.Equal("city-a", c.Tenant));
        Assert.True(a[0].Sequence < a[1].Sequence && a[1].Sequence < a[2].Sequence);
        Assert.Null(a[0].Before);
        Assert.Equal("urn:a:1", a[0].After!.Id);
        Assert.Equal("urn:a:1", a[2].Before!.Id);
        Assert.Null(a[2].After);

        var b = Assert.Single(await Feed.ReadChangesAsync(await LeaseAsync("city-b", Notifier), 10, default));
        Assert.Equal(("city-b", "urn:b:1"), (b.Tenant, b.EntityId));
        Assert.False(await Feed.HasPendingAsync(null, Notifier, default));
        Assert.False(await Feed.HasPendingAsync("city-none", Notifier, default));
    }

    [Fact]
    public async Task Each_consumer_reads_from_its_own_acknowledged_position()
    {
        for (var i = 1; i <= 3; i++) await CommitAsync(Feed, "city", $"urn:e:{i}");
        var notifier = await LeaseAsync("city", Notifier);
        var history = await LeaseAsync("city", History);

        var all = await Feed.ReadChangesAsync(notifier, 10, default);
        Assert.Equal(3, all.Count);
        Assert.Equal(2, (await Feed.ReadChangesAsync(notifier, 2, default)).Count);
        Assert.Equal(["urn:e:2", "urn:e:3"], (await Feed.ReadChangesAsync(notifier, 10, default, after: all[0].Sequence)).Select(c => c.EntityId));
        await Feed.AcknowledgeAsync(notifier, all[0].Sequence, default);

        Assert.Equal(["urn:e:2", "urn:e:3"], (await Feed.ReadChangesAsync(notifier, 10, default)).Select(c => c.EntityId));
        Assert.Equal(3, (await Feed.ReadChangesAsync(history, 10, default)).Count);

        await Feed.AcknowledgeAsync(notifier, all[^1].Sequence, default);
        Assert.False(await Feed.HasPendingAsync("city", Notifier, default));
        Assert.True(await Feed.HasPendingAsync("city", History, default));
    }

    [Fact]
    public async Task Acknowledgements_and_unacknowledged_changes_survive_a_reopen()
    {
        await CommitAsync(Feed, "city", "urn:d:1");
        await CommitAsync(Feed, "city", "urn:d:2");
        var changes = await Feed.ReadChangesAsync(await LeaseAsync("city", Notifier), 10, default);
        await Feed.AcknowledgeAsync(await LeaseAsync("city", Notifier), changes[0].Sequence, default);

        await ReopenAsync();

        var left = Assert.Single(await Feed.ReadChangesAsync(await LeaseAsync("city", Notifier), 10, default));
        Assert.Equal((changes[1].Sequence, "urn:d:2"), (left.Sequence, left.EntityId));
        Assert.Equal(2, (await Feed.ReadChangesAsync(await LeaseAsync("city", History), 10, default)).Count);
    }

    [Fact]
    public async Task A_lease_is_the_holders_alone_until_it_expires()
    {
        await CommitAsync(Feed, "city", "urn:l:1");
        await CommitAsync(Feed, "city", "urn:l:2");
        var a = await LeaseAsync("city", Notifier, "node-a");
        var changes = await Feed.ReadChangesAsync(a, 10, default);

        Assert.Null(await Feed.TryTakeLeaseAsync("city", Notifier, "node-b", LeaseDuration, default));
        var b = new ChangeFeedLease("city", Notifier, "node-b", Time.GetUtcNow() + LeaseDuration);
        await Assert.ThrowsAsync<ChangeFeedLeaseLostException>(async () => await Feed.ReadChangesAsync(b, 10, default));
        await Assert.ThrowsAsync<ChangeFeedLeaseLostException>(async () => await Feed.AcknowledgeAsync(b, changes[^1].Sequence, default));
        // Another consumer's lease is another lease.
        Assert.NotNull(await Feed.TryTakeLeaseAsync("city", History, "node-b", LeaseDuration, default));

        // Renewed by its holder half-way, the lease lasts a whole duration from then.
        Time.Advance(LeaseDuration / 2);
        var renewed = await LeaseAsync("city", Notifier, "node-a");
        Assert.True(renewed.ExpiresAt > a.ExpiresAt);
        Time.Advance(LeaseDuration / 2 + TimeSpan.FromSeconds(1));
        Assert.Null(await Feed.TryTakeLeaseAsync("city", Notifier, "node-b", LeaseDuration, default));
        await Feed.AcknowledgeAsync(renewed, changes[0].Sequence, default);

        // Expired, it goes to the next holder, and its former holder can neither read nor acknowledge any more.
        Time.Advance(LeaseDuration);
        var taken = await LeaseAsync("city", Notifier, "node-b");
        await Assert.ThrowsAsync<ChangeFeedLeaseLostException>(async () => await Feed.ReadChangesAsync(renewed, 10, default));
        await Assert.ThrowsAsync<ChangeFeedLeaseLostException>(async () => await Feed.AcknowledgeAsync(renewed, changes[^1].Sequence, default));
        var left = Assert.Single(await Feed.ReadChangesAsync(taken, 10, default));
        Assert.Equal(changes[1].Sequence, left.Sequence);
    }

    [Fact]
    public async Task A_commit_signals_the_waiting_consumers()
    {
        var seen = Feed.Signal.Version;
        var waiting = Feed.Signal.WaitForChangesAsync(seen, default);
        Assert.False(waiting.IsCompleted);

        await CommitAsync(Feed, null, "urn:s:1");

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(seen, Feed.Signal.Version);
        Assert.True(Feed.Signal.WaitForChangesAsync(seen, default).IsCompleted);
        Assert.True(await Feed.HasPendingAsync(null, Notifier, default));
    }
}
