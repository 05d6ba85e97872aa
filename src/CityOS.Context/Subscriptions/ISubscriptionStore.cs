namespace CityOS.Context.Subscriptions;

/// <summary>
/// Where subscriptions and the notification outbox live: the subscriptions of every tenant with their delivery counters,
/// the deliveries not yet taken by their receiver, and per tenant the journal position up to which deliveries are durably
/// queued. A write returning a task is durable once the task completes; the others are grouped into a later commit, and
/// one lost in a crash costs at most a repeated delivery or an older counter.
/// </summary>
public interface ISubscriptionStore
{
    /// <summary>The key under which a tenant's subscriptions and positions are filed ("" for the default tenant).</summary>
    static string KeyOf(string? tenant) => tenant ?? "";

    /// <summary>Delivery rows written to the outbox since start (a delivery its receiver took before the outbox write is not).</summary>
    long DeliveriesWritten { get; }

    /// <summary>Whether the store answers (the readiness probe).</summary>
    ValueTask<bool> PingAsync(CancellationToken ct);

    /// <summary>Every tenant's subscriptions, oldest first.</summary>
    ValueTask<IReadOnlyList<StoredSubscription>> LoadSubscriptionsAsync(CancellationToken ct);

    /// <summary>
    /// Creates the subscription with no deliveries counted, or replaces its document, @context and modification time. The
    /// counters of <paramref name="subscription"/> are not written: they change only through <see cref="SaveCounters"/>.
    /// </summary>
    Task SaveSubscriptionAsync(StoredSubscription subscription);

    Task DeleteSubscriptionAsync(string? tenant, string id);

    /// <summary>Every delivery of the outbox in queueing order, read as it is enumerated (the outbox can be larger than memory).</summary>
    IAsyncEnumerable<Delivery> LoadDeliveriesAsync(CancellationToken ct);

    /// <summary>Up to <paramref name="max"/> deliveries to one receiver from <paramref name="fromSeq"/> on, in queueing order.</summary>
    ValueTask<IReadOnlyList<Delivery>> LoadDeliveriesAsync(string receiver, long fromSeq, int max, CancellationToken ct);

    /// <summary>The highest <see cref="Delivery.Seq"/> in the outbox (0 when empty), so that new deliveries number on from it.</summary>
    ValueTask<long> MaxDeliverySeqAsync(CancellationToken ct);

    /// <summary>Per tenant key (<see cref="KeyOf"/>), the journal position up to which deliveries are durably queued.</summary>
    ValueTask<IReadOnlyDictionary<string, long>> LoadPositionsAsync(CancellationToken ct);

    /// <summary>
    /// Durably queues the deliveries not already done (<see cref="Delivery.ClaimForOutbox"/>: one that its receiver took before
    /// this commit is never written) and, in the same commit, the journal position of each tenant they were computed up to.
    /// </summary>
    Task EnqueueAsync(IReadOnlyList<Delivery> deliveries, IReadOnlyList<KeyValuePair<string?, long>> journalPositions);

    /// <summary>The receiver took the delivery (or it was given up): its row goes, if it was ever written (<see cref="Delivery.FinishAndNeedsDelete"/>).</summary>
    void Finished(Delivery delivery);

    /// <summary>Records how many attempts a queued delivery has had.</summary>
    void Attempted(long seq, int attempts);

    /// <summary>Records a subscription's delivery counters (timesSent, lastSuccess...).</summary>
    void SaveCounters(string? tenant, string id, SubscriptionState state);
}
