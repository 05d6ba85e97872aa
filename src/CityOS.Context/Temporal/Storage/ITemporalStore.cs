using CityOS.Context.Model;

namespace CityOS.Context.Temporal.Storage;

/// <summary>A value of an attribute at a time, as aggregations read it.</summary>
public readonly record struct TimedValue(DateTimeOffset Time, string? DatasetId, AttributeKind Kind, double? Number, string? Value);

/// <summary>The sums of one datasetId over one fixed-length period (numbered from 0), from which every aggregation method follows.</summary>
public readonly record struct PeriodSums(string? DatasetId, AttributeKind Kind, long Period, long Count, long Distinct, long NumberCount,
    double Sum, double SumOfSquares, double? Min, double? Max, DateTimeOffset Last);

/// <summary>
/// Where attribute instances live, per tenant. The temporal rules (what timerel means, how instances
/// are rendered and aggregated) stay outside: a store selects by entity, attribute and time, in time order.
/// </summary>
public interface ITemporalStore
{
    /// <summary>Whether the store answers (the readiness probe).</summary>
    ValueTask<bool> PingAsync(CancellationToken ct);

    /// <summary>Adds instances (temporal API); true when the entity was new to the temporal store.</summary>
    ValueTask<bool> AppendAsync(string? tenant, TemporalWrite write, CancellationToken ct);

    /// <summary>Records history read from the change journal, together with the journal position reached, in one durable commit.</summary>
    ValueTask RecordAsync(string? tenant, IReadOnlyList<TemporalWrite> writes, long journalPosition, CancellationToken ct);

    /// <summary>The journal position whose changes are all recorded (0 when none).</summary>
    ValueTask<long> RecordedPositionAsync(string? tenant, CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="read"/> so that all the reads it makes of the tenant's store see one committed state: a response
    /// built from several reads never shows part of a write (an entity's deletedAt without its deletion markers, say).
    /// </summary>
    Task<T> InSnapshotAsync<T>(string? tenant, Func<Task<T>> read);

    ValueTask<TemporalEntityHead?> GetEntityAsync(string? tenant, string id, CancellationToken ct);

    /// <summary>Entities, ordered by id, with at least one instance that matches the attributes (any when null) and the time filter.</summary>
    ValueTask<IReadOnlyList<TemporalEntityHead>> FindEntitiesAsync(string? tenant, IReadOnlyList<string>? ids, IReadOnlyList<string>? attributes, TimeFilter filter, CancellationToken ct);

    /// <summary>The attributes of an entity that have instances.</summary>
    ValueTask<IReadOnlyList<string>> AttributesAsync(string? tenant, string id, CancellationToken ct);

    /// <summary>Up to <paramref name="limit"/> instances in time order (newest first when asked), and whether more matched.</summary>
    ValueTask<InstanceSlice> ReadInstancesAsync(string? tenant, string id, string attribute, TimeFilter filter, int limit, bool newestFirst, CancellationToken ct);

    /// <summary>Every matching value in time order, for aggregation (deletion markers are no values).</summary>
    ValueTask<IReadOnlyList<TimedValue>> ReadValuesAsync(string? tenant, string id, string attribute, TimeFilter filter, CancellationToken ct);

    /// <summary>The earliest matching time of a value of an attribute, null when nothing matches.</summary>
    ValueTask<DateTimeOffset?> FirstTimeAsync(string? tenant, string id, string attribute, TimeFilter filter, CancellationToken ct);

    /// <summary>
    /// Sums per datasetId and per non-empty period of <paramref name="period"/> counted from <paramref name="start"/>;
    /// distinct values are counted only when asked, since that costs a sort.
    /// </summary>
    ValueTask<IReadOnlyList<PeriodSums>> SumPeriodsAsync(string? tenant, string id, string attribute, TimeFilter filter, DateTimeOffset start, TimeSpan period, bool countDistinct, CancellationToken ct);

    /// <summary>
    /// Deletes an entity's whole history (temporal API); history of changes made up to <paramref name="at"/> that
    /// <see cref="RecordAsync"/> receives later (the journal is read asynchronously) is not recorded for it.
    /// </summary>
    ValueTask<bool> DeleteEntityAsync(string? tenant, string id, DateTimeOffset at, CancellationToken ct);

    /// <summary>Deletes the instances of an attribute: of the default instance, of one datasetId, or all; returns how many.</summary>
    ValueTask<int> DeleteAttributeAsync(string? tenant, string id, string attribute, string? datasetId, bool deleteAll, CancellationToken ct);

    ValueTask<bool> DeleteInstanceAsync(string? tenant, string id, string attribute, string instanceId, CancellationToken ct);

    /// <summary>Replaces an instance's content, keeping its instanceId and createdAt.</summary>
    ValueTask<bool> ReplaceInstanceAsync(string? tenant, string id, string attribute, string instanceId, NgsiAttribute replacement, CancellationToken ct);

    /// <summary>Tenants with a temporal store (the default tenant is not listed).</summary>
    ValueTask<IReadOnlyList<string>> ListTenantsAsync(CancellationToken ct);

    /// <summary>Deletes instances older than each entity's retention (null keeps them); returns how many.</summary>
    ValueTask<int> PruneAsync(string? tenant, Func<TemporalEntityHead, TimeSpan?> retention, DateTimeOffset now, CancellationToken ct);
}
