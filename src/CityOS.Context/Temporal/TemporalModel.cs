using CityOS.Context.Model;

namespace CityOS.Context.Temporal;

/// <summary>The temporal property a temporal query filters and orders on (timeproperty, 4.11).</summary>
public enum TimeProperty
{
    ObservedAt,
    CreatedAt,
    ModifiedAt,

    /// <summary>When an instance was deleted: only the deletion markers (value NGSI-LD Null, deletedAt) have one.</summary>
    DeletedAt,
}

/// <summary>timerel of the NGSI-LD temporal query language (4.11).</summary>
public enum TimeRelation
{
    Before,
    After,
    Between,
}

/// <summary>
/// Which instances a temporal query selects (4.11): before is an exclusive bound (t &lt; timeAt), after an inclusive one
/// (t ≥ timeAt), between is timeAt ≤ t &lt; endTimeAt.
/// </summary>
public sealed record TimeFilter(TimeProperty Property, TimeRelation? Relation = null, DateTimeOffset? At = null, DateTimeOffset? EndAt = null)
{
    /// <summary>The datasetId parameter (4.5.5): only instances with one of these datasetIds, "@none" naming the default instance; null selects all.</summary>
    public IReadOnlyList<string>? DatasetIds { get; init; }

    public static readonly TimeFilter All = new(TimeProperty.ObservedAt);

    public bool Contains(DateTimeOffset t) => Relation switch
    {
        TimeRelation.Before => t < At,
        TimeRelation.After => t >= At,
        TimeRelation.Between => t >= At && t < EndAt,
        _ => true,
    };
}

/// <summary>
/// One stored instance of an attribute: its instanceId and the attribute as it was (with datasetId, observedAt, createdAt,
/// modifiedAt); with <paramref name="DeletedAt"/> it marks the deletion of the attribute, its value the NGSI-LD Null.
/// </summary>
public sealed record StoredInstance(string InstanceId, NgsiAttribute Data, DateTimeOffset? DeletedAt = null)
{
    public const string IdPrefix = "urn:ngsi-ld:attribute:instance:";

    /// <summary>A version 7 UUID: time-ordered, so the instanceId index grows at its end.</summary>
    public static string NewId() => IdPrefix + Guid.CreateVersion7().ToString("D");

    /// <summary>The instance's time for a timeproperty: observedAt falls back to createdAt when the instance has none.</summary>
    public DateTimeOffset TimeOf(TimeProperty property) => property == TimeProperty.DeletedAt ? DeletedAt ?? Data.ModifiedAt : TimeOf(Data, property);

    public static DateTimeOffset TimeOf(NgsiAttribute data, TimeProperty property) => property switch
    {
        TimeProperty.CreatedAt => data.CreatedAt,
        TimeProperty.ModifiedAt or TimeProperty.DeletedAt => data.ModifiedAt,
        _ => data.ObservedAt ?? data.CreatedAt,
    };
}

/// <summary>A temporal entity as stored: id, latest types and scopes, when it was first and last written, and when it was deleted (if it is).</summary>
public sealed record TemporalEntityHead(string Id, IReadOnlyList<string> Types, IReadOnlyList<string>? Scopes, DateTimeOffset CreatedAt, DateTimeOffset ModifiedAt,
    DateTimeOffset? DeletedAt = null);

/// <summary>New instances of one entity, with the entity's current types (and scopes) to record; <paramref name="DeletedAt"/> when the write deleted the entity.</summary>
public sealed record TemporalWrite(string EntityId, IReadOnlyList<string> Types, IReadOnlyList<string>? Scopes, DateTimeOffset At,
    IReadOnlyList<(string Attribute, StoredInstance Instance)> Instances, DateTimeOffset? DeletedAt = null);

/// <summary>Up to the requested number of instances of one attribute, and whether more matched.</summary>
public sealed record InstanceSlice(string Attribute, IReadOnlyList<StoredInstance> Instances, bool Truncated);
