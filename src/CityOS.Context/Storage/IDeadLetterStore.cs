namespace CityOS.Context.Storage;

/// <summary>
/// A journal change a consumer could not process, set aside so that the consumer moves on: which consumer (and, for the
/// notifier, which subscription, or none when the change failed before any), the change's tenant, entity and journal
/// position, the error, when it failed last and how many times.
/// </summary>
public sealed record DeadLetter(
    long Id, string? Tenant, string Consumer, string? SubscriptionId, string EntityId, long Position, DateTimeOffset ChangedAt,
    string Error, DateTimeOffset FailedAt, int Attempts);

/// <summary>
/// Where dead letters live: next to the journal of their tenant, each with a copy of the change it sets aside, so that it
/// outlives the journal row (pruned once every consumer has acknowledged it) and can be processed again after a fix.
/// </summary>
public interface IDeadLetterStore
{
    /// <summary>
    /// Sets aside the journal change at <paramref name="position"/> (not yet acknowledged by <paramref name="consumer"/>);
    /// the same change set aside again by the same consumer and subscription updates the existing letter.
    /// </summary>
    ValueTask SetAsideAsync(string? tenant, string consumer, long position, string? subscriptionId, string error, DateTimeOffset failedAt, CancellationToken ct);

    /// <summary>The tenant's dead letters, oldest first, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string? tenant, int max, CancellationToken ct);

    /// <summary>A dead letter and its change (<see cref="EntityChange.Unreadable"/> set when the copy still cannot be read); null when there is none.</summary>
    ValueTask<(DeadLetter Letter, EntityChange Change)?> GetDeadLetterAsync(string? tenant, long id, CancellationToken ct);

    /// <summary>Records another failed attempt of a dead letter.</summary>
    ValueTask RecordRetryFailureAsync(string? tenant, long id, string error, DateTimeOffset failedAt, CancellationToken ct);

    /// <summary>Removes a dead letter; false when there was none.</summary>
    ValueTask<bool> DeleteDeadLetterAsync(string? tenant, long id, CancellationToken ct);
}
