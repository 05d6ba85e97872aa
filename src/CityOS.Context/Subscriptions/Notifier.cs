using System.Text.Json.Nodes;
using CityOS.Context.Access;
using CityOS.Context.Broker;
using CityOS.Context.DeadLetters;
using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Core.Security;
using CityOS.Context.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Subscriptions;

/// <summary>
/// Turns committed changes into notifications. The change journal is the outbox of the writes: the notifier reads each
/// tenant's changes, matches them against the cached subscriptions and hands the resulting deliveries to the dispatcher at
/// once. Every <see cref="SubscriptionOptions.OutboxDelay"/> the deliveries computed longer ago than that are written to the
/// durable outbox in subscriptions.db — those not yet taken by their receiver; a delivery done by then is never written —
/// together with the journal position of each tenant they were computed up to, and only then is the journal acknowledged.
/// A crash before that commit reads the journal again from the last written position (at-least-once). A write never waits
/// for any of this.
/// </summary>
public sealed partial class Notifier(
    IChangeFeed feed,
    IEntityStore entities,
    SubscriptionRegistry registry,
    ISubscriptionStore store,
    DeliveryDispatcher dispatcher,
    AccessControl access,
    TimeProvider time,
    IOptions<SubscriptionOptions> options,
    DeadLetterQueue deadLetters,
    IOptions<ChangeFeedOptions> feedOptions,
    ILogger<Notifier> logger) : BackgroundService, IChangeReprocessor
{
    public const string ConsumerName = "notifier";

    private readonly SubscriptionOptions _options = options.Value;
    private Dictionary<string, long> _positions = [];
    private long _nextSeq;
    private readonly Dictionary<(string Tenant, string Id), DateTimeOffset> _periodicDue = [];

    /// <summary>A tenant's deliveries of one journal batch, in memory until written to the outbox.</summary>
    private sealed record Unwritten(ChangeFeedLease Lease, IReadOnlyList<Delivery> Deliveries, long Last, long ComputedAt, TaskCompletionSource Written);

    private readonly Lock _unwrittenGate = new();
    private readonly List<Unwritten> _unwritten = [];
    private int _unwrittenDeliveries;
    private readonly SemaphoreSlim _writing = new(1, 1);

    /// <summary>Set when an outbox write failed: the notifier goes back to the positions the outbox durably holds.</summary>
    private int _reload;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await registry.EnsureLoadedAsync(stoppingToken);
        _positions = new(await store.LoadPositionsAsync(stoppingToken), StringComparer.Ordinal);
        _nextSeq = await store.MaxDeliverySeqAsync(stoppingToken);
        await foreach (var delivery in store.LoadDeliveriesAsync(stoppingToken)) dispatcher.Post(delivery, Task.CompletedTask);
        var periodic = Task.Run(() => PeriodicLoopAsync(stoppingToken), stoppingToken);
        var counters = Task.Run(() => CountersLoopAsync(stoppingToken), stoppingToken);
        var outbox = Task.Run(() => OutboxLoopAsync(stoppingToken), stoppingToken);
        try
        {
            await JournalLoopAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(new[] { periodic, counters, outbox }.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        // Stopping: what was computed is written now, so that the next start does not notify it again.
        await WriteOutboxAsync(all: true, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        FlushCounters();
    }

    private Task JournalLoopAsync(CancellationToken ct) =>
        ChangeFeedLoop.RunAsync(feed, entities, ConsumerName, feedOptions.Value, ProcessTenantAsync, error => LogJournalError(logger, error), time, ct);

    /// <summary>Handles one batch of the changes of the lease's tenant; true when the batch was full (more may be waiting).</summary>
    private async Task<bool> ProcessTenantAsync(ChangeFeedLease lease, CancellationToken ct)
    {
        var tenant = lease.Tenant;
        if (Interlocked.Exchange(ref _reload, 0) == 1) _positions = new(await store.LoadPositionsAsync(ct), StringComparer.Ordinal);
        if (Volatile.Read(ref _unwrittenDeliveries) > _options.MaxUnwrittenDeliveries) await WriteOutboxAsync(all: true, ct);
        var key = ISubscriptionStore.KeyOf(tenant);
        // Reads on from what this notifier has computed, while the outbox writes of earlier batches wait or run.
        var position = _positions.GetValueOrDefault(key);
        var changes = await feed.ReadChangesAsync(lease, _options.JournalBatch, ct, after: position);
        if (changes.Count == 0) return false;
        var last = changes[^1].Sequence;
        var subscriptions = registry.For(tenant);
        var deliveries = new List<Delivery>();
        if (!subscriptions.IsEmpty)
        {
            var now = time.GetUtcNow();
            var readers = new Dictionary<string, EntityAccess>(StringComparer.Ordinal);
            foreach (var change in changes)
            {
                if (change.Sequence <= position) continue;
                if (change.Unreadable is { } unreadable)
                {
                    await deadLetters.SetAsideAsync(change, ConsumerName, null, unreadable, ct);
                    continue;
                }
                var summary = new ChangeSummaries(change);
                foreach (var subscription in subscriptions.Candidates(change.Before, change.After))
                {
                    try
                    {
                        if (await DeliveryForAsync(change, summary, subscription, readers, now, ct) is { } delivery) deliveries.Add(delivery);
                    }
                    catch (Exception error) when (DeadLetterQueue.IsPoison(error) && !ct.IsCancellationRequested)
                    {
                        // Only this subscription misses the change; the others, and the changes after it, go on.
                        await deadLetters.SetAsideAsync(change, ConsumerName, subscription.Id, error, ct);
                    }
                }
            }
        }
        if (last > position)
        {
            var batch = new Unwritten(lease, deliveries, last, time.GetTimestamp(), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            lock (_unwrittenGate)
            {
                _unwritten.Add(batch);
                _unwrittenDeliveries += deliveries.Count;
            }
            // Sent at once; written to the outbox only if still unsent after OutboxDelay (a delivery in the dispatcher's
            // overflow waits for that write before it is read back from the outbox).
            foreach (var delivery in deliveries) dispatcher.Post(delivery, batch.Written.Task);
            _positions[key] = last;
        }
        return changes.Count >= _options.JournalBatch;
    }

    /// <summary>The change as a whole, summarised once for all the subscriptions it concerns, and only when one is live.</summary>
    private sealed class ChangeSummaries(EntityChange change)
    {
        private ChangeSummary? _full;

        public ChangeSummary Full => _full ??= ChangeSummary.Of(change);
    }

    /// <summary>The notification of one change to one subscription, or null when it does not fire (not live, no match, throttled, not visible to its owner).</summary>
    private async ValueTask<Delivery?> DeliveryForAsync(EntityChange change, ChangeSummaries summaries, Subscription subscription,
        Dictionary<string, EntityAccess> readers, DateTimeOffset now, CancellationToken ct)
    {
        if (!subscription.IsLive(now)) return null;
        var tenant = change.Tenant;
        var summary = summaries.Full;
        if (access.Enabled)
        {
            // The live owner's read grants as of now: the change as the owner may see it, or nothing (owner removed or disabled).
            if (!readers.TryGetValue(subscription.Id, out var reader))
            {
                readers[subscription.Id] = reader = await access.ForOwnerAsync(subscription.Owner, tenant, [AccessAction.Read], ct);
            }
            if (!reader.IsUnrestricted(AccessAction.Read))
            {
                var before = change.Before is null ? null : reader.Visible(change.Before);
                var after = change.After is null ? null : reader.Visible(change.After);
                if (before is null && after is null) return null;
                summary = ChangeSummary.Of(change with { Before = before, After = after });
            }
        }
        var fired = SubscriptionMatcher.Match(subscription, summary);
        if (fired == NotificationTriggers.None) return null;
        if (!registry.State(tenant, subscription.Id).TryTrigger(subscription.Throttling, now)) return null;
        IReadOnlyDictionary<string, Entity>? linked = null;
        if (subscription.Render.Join != JoinMode.None && (summary.Change.After ?? summary.Change.Before) is { } source)
        {
            var reader = access.Enabled ? readers[subscription.Id] : null;
            linked = await EntityBroker.LinkedAsync([source], subscription.Render, async id =>
                await entities.GetAsync(tenant, id, ct) is { } found ? reader is null ? found : reader.Visible(found) : null);
        }
        var data = NotificationBuilder.RenderEntities(subscription, summary, fired, now, linked);
        return NotificationBuilder.Build(subscription, data, now, Interlocked.Increment(ref _nextSeq), change.At,
            NotificationBuilder.EntityOrderKey(tenant, change.EntityId));
    }

    string IChangeReprocessor.Consumer => ConsumerName;

    /// <summary>
    /// A dead letter processed again: the change matched against the subscription it failed for (or all, when it failed
    /// before any), and what fires is queued in the outbox and sent as any notification.
    /// </summary>
    public async Task ReprocessAsync(EntityChange change, string? subscriptionId, CancellationToken ct)
    {
        await registry.EnsureLoadedAsync(ct);
        var subscriptions = registry.For(change.Tenant);
        IEnumerable<Subscription> candidates = subscriptionId is null
            ? subscriptions.Candidates(change.Before, change.After)
            : subscriptions.ById.TryGetValue(subscriptionId, out var only) ? [only] : [];
        var now = time.GetUtcNow();
        var summary = new ChangeSummaries(change);
        var readers = new Dictionary<string, EntityAccess>(StringComparer.Ordinal);
        var deliveries = new List<Delivery>();
        foreach (var subscription in candidates)
        {
            if (await DeliveryForAsync(change, summary, subscription, readers, now, ct) is { } delivery) deliveries.Add(delivery);
        }
        if (deliveries.Count > 0) await QueueDurablyAsync(deliveries);
    }

    /// <summary>Deliveries computed outside the journal batches: written to the outbox at once, and sent.</summary>
    private Task QueueDurablyAsync(IReadOnlyList<Delivery> deliveries)
    {
        var queued = store.EnqueueAsync(deliveries, []);
        foreach (var delivery in deliveries) dispatcher.Post(delivery, queued);
        return queued;
    }

    private async Task OutboxLoopAsync(CancellationToken ct)
    {
        var tick = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, _options.OutboxDelay.Ticks / 4));
        using var timer = new PeriodicTimer(tick, time);
        while (await timer.WaitForNextTickAsync(ct))
        {
            try
            {
                await WriteOutboxAsync(all: false, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogOutboxError(logger, e);
            }
        }
    }

    /// <summary>
    /// Writes the batches computed at least OutboxDelay ago (all of them when asked) in one outbox commit — their unsent
    /// deliveries and each tenant's journal position — then acknowledges the journal up to those positions.
    /// </summary>
    private async Task WriteOutboxAsync(bool all, CancellationToken ct)
    {
        await _writing.WaitAsync(ct);
        List<Unwritten> taken;
        try
        {
            lock (_unwrittenGate)
            {
                var count = 0;
                while (count < _unwritten.Count && (all || time.GetElapsedTime(_unwritten[count].ComputedAt) >= _options.OutboxDelay)) count++;
                taken = _unwritten.GetRange(0, count);
                _unwritten.RemoveRange(0, count);
                _unwrittenDeliveries -= taken.Sum(b => b.Deliveries.Count);
            }
            if (taken.Count == 0) return;
            var byTenant = taken.GroupBy(b => ISubscriptionStore.KeyOf(b.Lease.Tenant)).Select(g => (g.Last().Lease, Last: g.Max(b => b.Last))).ToList();
            var positions = byTenant.ConvertAll(t => new KeyValuePair<string?, long>(t.Lease.Tenant, t.Last));
            try
            {
                await store.EnqueueAsync(taken.SelectMany(b => b.Deliveries).ToList(), positions);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Nothing of this was written: drop what is still unwritten too and read the journal again from what the outbox holds.
                lock (_unwrittenGate)
                {
                    taken.AddRange(_unwritten);
                    _unwritten.Clear();
                    _unwrittenDeliveries = 0;
                }
                Volatile.Write(ref _reload, 1);
                throw;
            }
            finally
            {
                foreach (var batch in taken) batch.Written.TrySetResult();
            }
            // The journal is acknowledged only once the deliveries (and the position) are durably in the outbox.
            foreach (var (lease, position) in byTenant)
            {
                try
                {
                    await feed.AcknowledgeAsync(lease, position, ct);
                }
                catch (ChangeFeedLeaseLostException)
                {
                    // Another node drains the tenant now and reads on from the last acknowledgement (at-least-once).
                }
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task PeriodicLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100), time);
        while (await timer.WaitForNextTickAsync(ct))
        {
            var now = time.GetUtcNow();
            foreach (var tenant in registry.All)
            {
                foreach (var subscription in tenant.Periodic)
                {
                    var key = (ISubscriptionStore.KeyOf(subscription.Tenant), subscription.Id);
                    if (!subscription.IsLive(now))
                    {
                        _periodicDue.Remove(key);
                        continue;
                    }
                    if (!_periodicDue.TryGetValue(key, out var due)) due = now;
                    if (due > now) continue;
                    _periodicDue[key] = now + subscription.TimeInterval!.Value;
                    try
                    {
                        await NotifyCurrentAsync(subscription, now, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogPeriodicError(logger, subscription.Id, e);
                    }
                }
            }
        }
    }

    /// <summary>A periodic notification: every entity the subscription currently selects, in one notification.</summary>
    private async Task NotifyCurrentAsync(Subscription subscription, DateTimeOffset now, CancellationToken ct)
    {
        if (!await entities.TenantExistsAsync(subscription.Tenant, ct)) return;
        var page = await EntityMatcher.QueryAsync(entities, subscription.Tenant, new EntityQuery
        {
            Entities = subscription.Entities.Select(s => new EntitySelection(s.Id is null ? null : [s.Id], s.IdPattern, s.Type)).ToList(),
            Q = subscription.Q,
            Scope = subscription.ScopeQ,
            Geo = subscription.GeoQ is { } geo ? new GeoFilter(geo, subscription.GeoPropertyIri!) : null,
            Limit = _options.MaxEntitiesPerPeriodicNotification,
        }, ct);
        var reader = await access.ForOwnerAsync(subscription.Owner, subscription.Tenant, [AccessAction.Read], ct);
        var visible = page.Entities.Select(reader.Visible).OfType<Entity>().Where(e => SubscriptionMatcher.SelectsEntity(subscription, e)).ToList();
        if (visible.Count == 0) return;
        var data = visible.Select(e => NotificationBuilder.RenderCurrent(subscription, e)).ToList();
        var delivery = NotificationBuilder.Build(subscription, data, now, Interlocked.Increment(ref _nextSeq), now, NotificationBuilder.PeriodicOrderKey(subscription));
        registry.State(subscription.Tenant, subscription.Id).TryTrigger(null, now);
        await QueueDurablyAsync([delivery]);
    }

    private async Task CountersLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.CountersFlushInterval, time);
        while (await timer.WaitForNextTickAsync(ct)) FlushCounters();
    }

    private void FlushCounters()
    {
        foreach (var (tenant, id, state) in registry.States)
        {
            if (state.TakeDirty()) store.SaveCounters(tenant, id, state);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the change journal for notifications failed; retrying")]
    private static partial void LogJournalError(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing notifications to the outbox failed; the journal is read again from the last written position")]
    private static partial void LogOutboxError(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Periodic notification of subscription {SubscriptionId} failed")]
    private static partial void LogPeriodicError(ILogger logger, string subscriptionId, Exception error);
}
