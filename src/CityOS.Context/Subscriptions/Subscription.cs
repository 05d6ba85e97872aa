using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityOS.Context.Geo;
using CityOS.Context.JsonLd;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Context.Representation;
using CityOS.Core.Security;
using CityOS.Mqtt;

namespace CityOS.Context.Subscriptions;

/// <summary>What changed in an entity, as the notificationTrigger values of 5.2.12 name it.</summary>
[Flags]
public enum NotificationTriggers
{
    None = 0,
    EntityCreated = 1,
    EntityUpdated = 2,
    EntityDeleted = 4,
    AttributeCreated = 8,
    AttributeUpdated = 16,
    AttributeDeleted = 32,
}

/// <summary>One element of "entities" (EntitySelector, 5.2.33): type is mandatory, id and idPattern narrow it.</summary>
public sealed record SubscriptionEntitySelector(string? Id, Regex? IdPattern, TypeSelector Type)
{
    public bool Matches(Entity entity) =>
        (Id is null || Id == entity.Id)
        && (IdPattern is null || IdPattern.IsMatch(entity.Id))
        && Type.Matches(entity.Types);
}

/// <summary>The media types a notification can be sent as (endpoint.accept, 5.2.15).</summary>
public enum NotificationMediaType
{
    Json,
    JsonLd,
    GeoJson,
}

/// <summary>Where and how notifications go (Endpoint, 5.2.15).</summary>
public sealed record NotificationEndpoint(
    Uri Uri,
    NotificationMediaType Accept,
    IReadOnlyList<KeyValuePair<string, string>> ReceiverInfo,
    IReadOnlyList<KeyValuePair<string, string>> NotifierInfo,
    MqttEndpoint? Mqtt,
    MqttQualityOfService MqttQos)
{
    /// <summary>The key of the receiver's own delivery queue: the endpoint URI (MQTT endpoints of one broker still share its connection).</summary>
    public string ReceiverKey => Uri.OriginalString;

    /// <summary>The @context goes in the body; otherwise it goes in a Link header.</summary>
    public bool JsonLd => Accept == NotificationMediaType.JsonLd;

    /// <summary>data is a GeoJSON FeatureCollection (5.3.1).</summary>
    public bool GeoJson => Accept == NotificationMediaType.GeoJson;

    public string MediaType => Accept switch
    {
        NotificationMediaType.JsonLd => "application/ld+json",
        NotificationMediaType.GeoJson => "application/geo+json",
        _ => "application/json",
    };
}

/// <summary>
/// A subscription (5.2.12) parsed and expanded for matching: the document the client gave (compacted, without
/// @context) stays as it was written for retrieval, the rest is what matching and rendering need.
/// Immutable: an update replaces the whole object; the delivery counters live in <see cref="SubscriptionState"/>.
/// </summary>
public sealed class Subscription
{
    public required string Id { get; init; }
    public required string? Tenant { get; init; }

    /// <summary>The subscription as the client wrote it (validated, without @context and without system members).</summary>
    public required JsonObject Document { get; init; }

    /// <summary>The @context the subscription was created with (null: the core context); stored and used for every notification.</summary>
    public required JsonNode? Context { get; init; }

    /// <summary>
    /// Who created the subscription (null when security was off): only it and the tenant's administrators see
    /// and change it, and its notifications carry only what the owner may read.
    /// </summary>
    public CallerIdentity? Owner { get; init; }

    public required LdContext Terms { get; init; }

    /// <summary>The @context named by the subscription's jsonldContext member (5.2.12), resolved; null when it has none.</summary>
    public LdContext? JsonldTerms { get; init; }

    /// <summary>The @context notifications are compacted with and carry: jsonldContext's, else the one the subscription was created with.</summary>
    public LdContext NotificationTerms => JsonldTerms ?? Terms;
    public required IReadOnlyList<SubscriptionEntitySelector> Entities { get; init; }
    public IReadOnlySet<string>? WatchedAttributes { get; init; }
    public NotificationTriggers Triggers { get; init; }
    public QExpression? Q { get; init; }
    public GeoQuery? GeoQ { get; init; }
    public string? GeoPropertyIri { get; init; }
    public ScopeQuery? ScopeQ { get; init; }
    public TimeSpan? TimeInterval { get; init; }
    public TimeSpan? Throttling { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public bool IsActive { get; init; } = true;
    public required RenderOptions Render { get; init; }
    public bool ShowChanges { get; init; }
    public required NotificationEndpoint Endpoint { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ModifiedAt { get; init; }

    /// <summary>Expanded types when every entity selector is a plain OR of names (the index key); null when some selector needs a full check.</summary>
    public IReadOnlyList<string>? IndexTypes { get; init; }

    public string Status(DateTimeOffset now) =>
        ExpiresAt is { } expires && expires <= now ? "expired" : IsActive ? "active" : "paused";

    public bool IsLive(DateTimeOffset now) => IsActive && (ExpiresAt is not { } expires || expires > now);
}

/// <summary>
/// What happened to a subscription's notifications: the counters and timestamps of NotificationParams (5.2.14),
/// kept in memory (read by retrieval, updated by delivery without locks on the hot path) and flushed to storage.
/// </summary>
public sealed class SubscriptionState
{
    private readonly Lock _gate = new();
    private long _timesSent;
    private long _timesFailed;
    private DateTimeOffset? _lastNotification;
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastFailure;
    private DateTimeOffset? _lastTriggered;
    private bool _dirty;

    public SubscriptionState()
    {
    }

    public SubscriptionState(long timesSent, long timesFailed, DateTimeOffset? lastNotification, DateTimeOffset? lastSuccess, DateTimeOffset? lastFailure)
    {
        _timesSent = timesSent;
        _timesFailed = timesFailed;
        _lastNotification = lastNotification;
        _lastSuccess = lastSuccess;
        _lastFailure = lastFailure;
        _lastTriggered = lastNotification;
    }

    public (long TimesSent, long TimesFailed, DateTimeOffset? LastNotification, DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure) Snapshot()
    {
        lock (_gate) return (_timesSent, _timesFailed, _lastNotification, _lastSuccess, _lastFailure);
    }

    /// <summary>Throttling: whether a notification may be produced at <paramref name="now"/>, and if so records it as the last one.</summary>
    public bool TryTrigger(TimeSpan? throttling, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (throttling is { } period && _lastTriggered is { } last && now - last < period) return false;
            _lastTriggered = now;
            return true;
        }
    }

    public void Sent(bool success, DateTimeOffset at)
    {
        lock (_gate)
        {
            _timesSent++;
            _lastNotification = at;
            if (success)
            {
                _lastSuccess = at;
            }
            else
            {
                _timesFailed++;
                _lastFailure = at;
            }
            _dirty = true;
        }
    }

    /// <summary>Takes the dirty mark: true when the counters changed since the last call.</summary>
    public bool TakeDirty()
    {
        lock (_gate)
        {
            var dirty = _dirty;
            _dirty = false;
            return dirty;
        }
    }
}
