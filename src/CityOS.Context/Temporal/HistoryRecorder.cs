using System.Text.Json.Nodes;
using CityOS.Context.DeadLetters;
using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Context.Temporal.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Temporal;

/// <summary>Which attribute instances a committed change adds to the history.</summary>
public static class HistoryDiff
{
    /// <summary>
    /// The instances of <see cref="EntityChange.After"/> that are new or changed (another modifiedAt, observedAt or
    /// value than before), each as a new instance created when it was written, and a deletion marker (value NGSI-LD Null,
    /// deletedAt) for every instance the change removed; when the entity was deleted, a marker for each of its attributes.
    /// </summary>
    public static TemporalWrite? FromChange(EntityChange change)
    {
        if (change.After is not { } after)
        {
            var before = change.Before!;
            return new TemporalWrite(before.Id, before.Types, before.Scopes, change.At, Deleted(before, null, change.At), change.At);
        }
        var instances = new List<(string, StoredInstance)>();
        foreach (var (name, current) in after.Attributes)
        {
            List<NgsiAttribute>? previous = null;
            change.Before?.Attributes.TryGetValue(name, out previous);
            foreach (var instance in current)
            {
                var before = previous?.Find(p => p.DatasetId == instance.DatasetId);
                if (before is not null && Same(before, instance)) continue;
                var data = instance.Clone();
                data.CreatedAt = instance.ModifiedAt;
                instances.Add((name, new StoredInstance(StoredInstance.NewId(), data)));
            }
        }
        if (change.Before is { } old) instances.AddRange(Deleted(old, after, change.At));
        if (instances.Count == 0 && change.Before is not null && change.Before.Types.SequenceEqual(after.Types)) return null;
        return new TemporalWrite(after.Id, after.Types, after.Scopes, change.At, instances);
    }

    /// <summary>Deletion markers for the instances of <paramref name="before"/> that <paramref name="after"/> no longer has (all when null).</summary>
    private static List<(string, StoredInstance)> Deleted(Entity before, Entity? after, DateTimeOffset at)
    {
        var markers = new List<(string, StoredInstance)>();
        foreach (var (name, instances) in before.Attributes)
        {
            List<NgsiAttribute>? remaining = null;
            after?.Attributes.TryGetValue(name, out remaining);
            foreach (var instance in instances)
            {
                if (remaining is not null && remaining.Exists(r => r.DatasetId == instance.DatasetId)) continue;
                var marker = new NgsiAttribute
                {
                    Kind = instance.Kind,
                    Value = NgsiLdSyntax.NgsiNull,
                    DatasetId = instance.DatasetId,
                    CreatedAt = at,
                    ModifiedAt = at,
                };
                markers.Add((name, new StoredInstance(StoredInstance.NewId(), marker, at)));
            }
        }
        return markers;
    }

    private static bool Same(NgsiAttribute before, NgsiAttribute after) =>
        before.ModifiedAt == after.ModifiedAt && before.ObservedAt == after.ObservedAt && JsonNode.DeepEquals(before.Value, after.Value);
}

/// <summary>
/// The "history" consumer of the change journal: turns every committed change into attribute instances
/// in the temporal store, per tenant. The journal position is recorded in the same commit as the
/// instances, so a crash between that commit and the acknowledgement never records a change twice.
/// A change that cannot be recorded is set aside as a dead letter and the recorder goes on with the next.
/// </summary>
public sealed class HistoryRecorder(IChangeFeed feed, IEntityStore entities, ITemporalStore store, DeadLetterQueue deadLetters, IOptions<TemporalOptions> options,
    IOptions<ChangeFeedOptions> feedOptions, ILogger<HistoryRecorder> logger) : BackgroundService, IChangeReprocessor
{
    public const string Consumer = "history";
    // Changes are read (and their documents parsed) a chunk at a time, but recorded up to CommitBatch per commit: a commit
    // dirties about one index page per series and index whatever it holds, so a backlog is written in fewer pages, while
    // memory holds only the instances to record, not the parsed entities of the whole batch.
    private const int ReadChunk = 1000;
    private const int CommitBatch = 5000;

    string IChangeReprocessor.Consumer => Consumer;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ChangeFeedLoop.RunAsync(feed, entities, Consumer, feedOptions.Value, DrainAsync, error => logger.LogError(error, "Recording history failed; retrying"), TimeProvider.System, stoppingToken,
            gather: options.Value.HistoryCommitDelay);

    private async Task<bool> DrainAsync(ChangeFeedLease lease, CancellationToken ct)
    {
        var tenant = lease.Tenant;
        var recorded = -1L;
        var writes = new List<(EntityChange Change, TemporalWrite Write)>();
        var read = 0;
        var last = 0L;
        while (read < CommitBatch)
        {
            var changes = await feed.ReadChangesAsync(lease, ReadChunk, ct, after: last);
            if (changes.Count == 0) break;
            if (recorded < 0) recorded = await store.RecordedPositionAsync(tenant, ct);
            foreach (var change in changes)
            {
                if (change.Sequence <= recorded) continue;
                if (change.Unreadable is { } unreadable)
                {
                    await deadLetters.SetAsideAsync(change, Consumer, null, unreadable, ct);
                    continue;
                }
                try
                {
                    if (WriteOf(change) is { } write) writes.Add((change, write));
                }
                catch (Exception error) when (DeadLetterQueue.IsPoison(error))
                {
                    await deadLetters.SetAsideAsync(change, Consumer, null, error, ct);
                }
            }
            last = changes[^1].Sequence;
            read += changes.Count;
            if (changes.Count < ReadChunk) break;
        }
        if (read == 0) return false;
        await RecordAsync(tenant, writes, last, ct);
        await feed.AcknowledgeAsync(lease, last, ct);
        // A full batch means a backlog: go on at once; otherwise let the next changes gather (see HistoryCommitDelay).
        return read >= CommitBatch;
    }

    /// <summary>
    /// Records the batch in one commit; when the store refuses it for what one of the changes holds, records them one by one
    /// and sets aside each change the store refuses.
    /// </summary>
    private async Task RecordAsync(string? tenant, List<(EntityChange Change, TemporalWrite Write)> writes, long last, CancellationToken ct)
    {
        if (writes.Count == 0) return;
        try
        {
            await store.RecordAsync(tenant, writes.ConvertAll(w => w.Write), last, ct);
            return;
        }
        catch (Exception error) when (DeadLetterQueue.IsPoison(error) && !ct.IsCancellationRequested)
        {
            logger.LogWarning(error, "Recording a batch of history failed; recording its changes one by one");
        }
        foreach (var (change, write) in writes)
        {
            try
            {
                await store.RecordAsync(tenant, [write], change.Sequence, ct);
            }
            catch (Exception error) when (DeadLetterQueue.IsPoison(error) && !ct.IsCancellationRequested)
            {
                await deadLetters.SetAsideAsync(change, Consumer, null, error, ct);
            }
        }
        await store.RecordAsync(tenant, [], last, ct);
    }

    /// <summary>What the change adds to the history, null when nothing (or when history is off for the tenant or the entity's types).</summary>
    private TemporalWrite? WriteOf(EntityChange change) =>
        options.Value.PolicyFor(change.Tenant, (change.After ?? change.Before)!.Types).Enabled == false ? null : HistoryDiff.FromChange(change);

    public async Task ReprocessAsync(EntityChange change, string? subscriptionId, CancellationToken ct)
    {
        if (WriteOf(change) is { } write) await store.RecordAsync(change.Tenant, [write], change.Sequence, ct);
    }
}

/// <summary>Deletes instances older than their retention (tenant or type policy), every <see cref="TemporalOptions.PruneInterval"/>.</summary>
public sealed class HistoryPruner(ITemporalStore store, IOptions<TemporalOptions> options, TimeProvider time, ILogger<HistoryPruner> logger) : BackgroundService
{
    public async Task<int> PruneAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var pruned = 0;
        foreach (var tenant in new string?[] { null }.Concat(await store.ListTenantsAsync(ct)))
        {
            pruned += await store.PruneAsync(tenant, head => settings.PolicyFor(tenant, head.Types).Retention, now, ct);
        }
        return pruned;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PruneInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var pruned = await PruneAsync(stoppingToken);
                    if (pruned > 0) logger.LogInformation("Pruned {Count} attribute instances past their retention", pruned);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    logger.LogError(error, "Pruning history failed");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
