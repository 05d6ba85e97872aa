using System.Text.Json.Nodes;
using CityOS.Context.Access;
using CityOS.Context.Model;
using CityOS.Core.Security;
using CityOS.Context.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Subscriptions;

/// <summary>
/// Turns committed changes into notifications. The change journal is the outbox: the notifier reads each tenant's
/// changes, matches them against the cached subscriptions, queues the resulting deliveries durably in
/// subscriptions.db (with the journal position, so a change is never queued twice), hands them to the dispatcher,
/// and only then acknowledges the journal. A write never waits for any of this.
/// </summary>
public sealed partial class Notifier(
    IChangeFeed feed,
    IEntityStore entities,
    SubscriptionRegistry registry,
    SubscriptionStore store,
    DeliveryDispatcher dispatcher,
    AccessControl access,
    TimeProvider time,
    IOptions<SubscriptionOptions> options,
    ILogger<Notifier> logger) : BackgroundService
{
    public const string ConsumerName = "notifier";

    private readonly SubscriptionOptions _options = options.Value;
    private Dictionary<string, long> _positions = [];

    /// <summary>Per tenant, the batches whose outbox commit and journal acknowledgement are still running (at most <see cref="MaxCommitsInFlight"/>).</summary>
    private readonly Dictionary<string, Queue<Task>> _committing = new(StringComparer.Ordinal);
    private const int MaxCommitsInFlight = 4;
    private long _nextSeq;
    private readonly Dictionary<(string Tenant, string Id), DateTimeOffset> _periodicDue = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await registry.EnsureLoadedAsync(stoppingToken);
        _positions = store.LoadPositions();
        _nextSeq = store.MaxDeliverySeq();
        foreach (var delivery in store.LoadDeliveries()) dispatcher.Post(delivery, Task.CompletedTask);
        var periodic = Task.Run(() => PeriodicLoopAsync(stoppingToken), stoppingToken);
        var counters = Task.Run(() => CountersLoopAsync(stoppingToken), stoppingToken);
        try
        {
            await JournalLoopAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(periodic.ContinueWith(_ => { }, TaskScheduler.Default), counters.ContinueWith(_ => { }, TaskScheduler.Default));
        await Task.WhenAll(_committing.Values.SelectMany(q => q)).ContinueWith(_ => { }, TaskScheduler.Default);
        FlushCounters();
    }

    private Task JournalLoopAsync(CancellationToken ct) =>
        ChangeFeedLoop.RunAsync(feed, entities, ProcessTenantAsync, error => LogJournalError(logger, error), time, ct);

    /// <summary>Handles one batch of a tenant's changes; true when the batch was full (more may be waiting).</summary>
    private async Task<bool> ProcessTenantAsync(string? tenant, CancellationToken ct)
    {
        var key = SubscriptionStore.KeyOf(tenant);
        if (!_committing.TryGetValue(key, out var committing)) _committing[key] = committing = new Queue<Task>();
        while (committing.Count > 0 && (committing.Peek().IsCompleted || committing.Count >= MaxCommitsInFlight))
        {
            var earlier = committing.Dequeue();
            try
            {
                await earlier;
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Back to what the outbox durably holds; the loop logs the error and reads again.
                committing.Clear();
                _positions = store.LoadPositions();
                throw;
            }
        }
        // Reads on from what this notifier has queued, while the commit of the previous batches may still be running.
        var position = _positions.GetValueOrDefault(key);
        var changes = await feed.ReadChangesAsync(tenant, ConsumerName, _options.JournalBatch, ct, after: position);
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
                ChangeSummary? full = null;
                foreach (var subscription in subscriptions.Candidates(change.Before, change.After))
                {
                    if (!subscription.IsLive(now)) continue;
                    full ??= ChangeSummary.Of(change);
                    var summary = full;
                    if (access.Enabled)
                    {
                        // The owner's read grants as of now: the change as the owner may see it, or nothing.
                        if (!readers.TryGetValue(subscription.Id, out var reader))
                        {
                            readers[subscription.Id] = reader = await access.ForCallerAsync(subscription.Owner ?? CallerIdentity.Anonymous, tenant, [AccessAction.Read], ct);
                        }
                        if (!reader.IsUnrestricted(AccessAction.Read))
                        {
                            var before = change.Before is null ? null : reader.Visible(change.Before);
                            var after = change.After is null ? null : reader.Visible(change.After);
                            if (before is null && after is null) continue;
                            summary = ChangeSummary.Of(change with { Before = before, After = after });
                        }
                    }
                    var fired = SubscriptionMatcher.Match(subscription, summary);
                    if (fired == NotificationTriggers.None) continue;
                    if (!registry.State(tenant, subscription.Id).TryTrigger(subscription.Throttling, now)) continue;
                    var entity = NotificationBuilder.RenderEntity(subscription, summary, fired, now);
                    deliveries.Add(NotificationBuilder.Build(subscription, [entity], now, Interlocked.Increment(ref _nextSeq), change.At,
                        NotificationBuilder.EntityOrderKey(tenant, change.EntityId)));
                }
            }
        }
        if (last > position)
        {
            // Queued before sending, so that the delete of a fast delivery comes after its insert in the same writer.
            var queued = store.EnqueueAsync(deliveries, tenant, last);
            foreach (var delivery in deliveries) dispatcher.Post(delivery, queued);
            _positions[key] = last;
            // The journal is acknowledged only once the deliveries are durably in the outbox.
            committing.Enqueue(AcknowledgeWhenQueuedAsync(queued, tenant, last, ct));
        }
        else
        {
            committing.Enqueue(feed.AcknowledgeAsync(tenant, ConsumerName, last, ct).AsTask());
        }
        return changes.Count >= _options.JournalBatch;
    }

    private async Task AcknowledgeWhenQueuedAsync(Task queued, string? tenant, long last, CancellationToken ct)
    {
        await queued;
        await feed.AcknowledgeAsync(tenant, ConsumerName, last, ct);
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
                    var key = (SubscriptionStore.KeyOf(subscription.Tenant), subscription.Id);
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
        var page = await entities.QueryAsync(subscription.Tenant, new EntityQuery
        {
            TypeAnyOf = subscription.IndexTypes,
            Predicate = entity => SubscriptionMatcher.SelectsEntity(subscription, entity),
            Limit = _options.MaxEntitiesPerPeriodicNotification,
        }, ct);
        var reader = await access.ForCallerAsync(subscription.Owner ?? CallerIdentity.Anonymous, subscription.Tenant, [AccessAction.Read], ct);
        var visible = page.Entities.Select(reader.Visible).OfType<Entity>().Where(e => SubscriptionMatcher.SelectsEntity(subscription, e)).ToList();
        if (visible.Count == 0) return;
        var data = visible.Select(e => NotificationBuilder.RenderCurrent(subscription, e)).ToList();
        var delivery = NotificationBuilder.Build(subscription, data, now, Interlocked.Increment(ref _nextSeq), now, NotificationBuilder.PeriodicOrderKey(subscription));
        registry.State(subscription.Tenant, subscription.Id).TryTrigger(null, now);
        var queued = store.EnqueueAsync([delivery], subscription.Tenant, null);
        dispatcher.Post(delivery, queued);
        await queued;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Periodic notification of subscription {SubscriptionId} failed")]
    private static partial void LogPeriodicError(ILogger logger, string subscriptionId, Exception error);
}
