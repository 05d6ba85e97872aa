using CityOS.Context.Model;

namespace CityOS.Context.Storage;

/// <summary>One committed change of an entity: created (no Before), changed, or deleted (no After).</summary>
public sealed record EntityChange(string? Tenant, long Sequence, string EntityId, DateTimeOffset At, Entity? Before, Entity? After)
{
    /// <summary>
    /// Why the stored change cannot be read (neither Before nor After is then set): the journal hands it out all the same,
    /// so that its consumers set it aside as a dead letter and move on instead of failing on it forever.
    /// </summary>
    public string? Unreadable { get; init; }
}

/// <summary>
/// The wake-up of journal consumers: tells them that a commit journaled changes. The embedded engine signals within the
/// process (<see cref="InProcessChangeSignal"/>); an engine shared by several nodes signals across them (PostgreSQL's
/// LISTEN/NOTIFY). A lost or spurious signal costs only latency: consumers also look on their own every few seconds.
/// </summary>
public interface IChangeSignal
{
    /// <summary>Grows with every commit that journaled a change; pass the value last seen to <see cref="WaitForChangesAsync"/>.</summary>
    long Version { get; }

    /// <summary>Completes when <see cref="Version"/> differs from <paramref name="seenVersion"/> (at once if it already does).</summary>
    Task WaitForChangesAsync(long seenVersion, CancellationToken ct);
}

/// <summary>The change signal of an engine whose commits all happen in this process.</summary>
public sealed class InProcessChangeSignal : IChangeSignal
{
    private long _version;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Version => Interlocked.Read(ref _version);

    /// <summary>Called by the engine after a commit that journaled a change: wakes every waiting consumer.</summary>
    public void Notify()
    {
        Interlocked.Increment(ref _version);
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public Task WaitForChangesAsync(long seenVersion, CancellationToken ct)
    {
        var changed = Volatile.Read(ref _changed);
        return Version != seenVersion ? Task.CompletedTask : changed.Task.WaitAsync(ct);
    }
}

/// <summary>
/// The right of one holder (a CityOS node) to read and acknowledge one consumer's changes of one tenant until
/// <see cref="ExpiresAt"/>; renewed by taking it again before then. While it is live no other holder may read or
/// acknowledge under it, so that several nodes share a feed with each tenant drained by one of them at a time.
/// </summary>
public sealed record ChangeFeedLease(string? Tenant, string Consumer, string Holder, DateTimeOffset ExpiresAt);

/// <summary>A read or acknowledgement under a lease that is no longer the holder's (expired, or taken by another holder).</summary>
public sealed class ChangeFeedLeaseLostException(ChangeFeedLease lease)
    : Exception($"The lease of '{lease.Holder}' on the '{lease.Consumer}' changes of tenant '{lease.Tenant}' is no longer held.")
{
    public ChangeFeedLease Lease { get; } = lease;
}

/// <summary>
/// The change journal: every committed entity change, written in the same transaction as the change
/// itself, so what reads it (the notifier, the history) never misses an acknowledged write, even across
/// a crash. Each consumer reads from its own acknowledged position, per tenant, under a lease (see
/// <see cref="ChangeFeedLease"/>); a change is kept until every registered consumer has acknowledged it.
/// Consumers register through <see cref="ChangeFeedOptions"/> at start-up; with none registered nothing is journaled.
/// </summary>
public interface IChangeFeed
{
    /// <summary>What wakes the consumers up after a commit.</summary>
    IChangeSignal Signal { get; }

    /// <summary>Whether the tenant has changes after the consumer's acknowledged position (false for a tenant that does not exist).</summary>
    ValueTask<bool> HasPendingAsync(string? tenant, string consumer, CancellationToken ct);

    /// <summary>
    /// Whether the consumer has yet to acknowledge a change of the tenant journaled up to <paramref name="sequence"/>
    /// (false for a tenant that does not exist): with <see cref="LastSequenceAsync"/>, what lets a reader wait for a consumer
    /// to catch up with the writes acknowledged before it asked, without waiting for the writes that came after.
    /// </summary>
    ValueTask<bool> HasPendingUpToAsync(string? tenant, string consumer, long sequence, CancellationToken ct);

    /// <summary>The sequence number of the tenant's last journaled change still held (0 when none).</summary>
    ValueTask<long> LastSequenceAsync(string? tenant, CancellationToken ct);

    /// <summary>
    /// Takes the lease on (<paramref name="tenant"/>, <paramref name="consumer"/>) for <paramref name="holder"/> until
    /// <paramref name="duration"/> from now, when it is free, expired or already the holder's (a renewal); null while
    /// another holder's lease is live.
    /// </summary>
    ValueTask<ChangeFeedLease?> TryTakeLeaseAsync(string? tenant, string consumer, string holder, TimeSpan duration, CancellationToken ct);

    /// <summary>
    /// The oldest changes of the lease's tenant after its consumer's acknowledged position (and after <paramref name="after"/>,
    /// for a consumer that reads on while its last acknowledgement is still being committed), in commit order.
    /// </summary>
    /// <exception cref="ChangeFeedLeaseLostException">The lease is no longer the holder's.</exception>
    ValueTask<IReadOnlyList<EntityChange>> ReadChangesAsync(ChangeFeedLease lease, int max, CancellationToken ct, long after = 0);

    /// <summary>Durably records that the lease's consumer has handled every change of its tenant up to <paramref name="sequence"/>.</summary>
    /// <exception cref="ChangeFeedLeaseLostException">The lease is no longer the holder's (nothing is recorded).</exception>
    ValueTask AcknowledgeAsync(ChangeFeedLease lease, long sequence, CancellationToken ct);
}

/// <summary>The journal's consumers and how this node leases their changes (configuration section "CityOS:ChangeFeed").</summary>
public sealed class ChangeFeedOptions
{
    public const string Section = "CityOS:ChangeFeed";

    /// <summary>Names of the consumers that read the journal (e.g. "notifier", "history").</summary>
    public HashSet<string> Consumers { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// This node's name as a lease holder; the same after a restart, so that a node restarted after a crash takes its
    /// leases back at once instead of waiting for them to expire.
    /// </summary>
    public string Node { get; set; } = Environment.MachineName;

    /// <summary>How long a lease lasts; a consumer renews it once half of it has passed, and another node takes it over after it expired.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Why the settings cannot be used, or null.</summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(Node) ? "CityOS:ChangeFeed:Node must not be empty."
        : LeaseDuration <= TimeSpan.Zero ? "CityOS:ChangeFeed:LeaseDuration must be positive."
        : null;
}

/// <summary>
/// The loop every journal consumer runs: drain the default tenant and every other tenant that has changes waiting for
/// the consumer, each under this node's lease (a tenant whose lease another node holds is left to that node), and when
/// none had more waiting, sleep until the next commit (or a few seconds, as a safety net). A tenant whose drain fails (a
/// store that cannot be read or written just now; changes that cannot be processed are the consumer's to set aside) is
/// retried after a second, while the other tenants go on as usual.
/// </summary>
public static class ChangeFeedLoop
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <param name="consumer">The consumer's name, as registered in <see cref="ChangeFeedOptions.Consumers"/>.</param>
    /// <param name="options">This node's name and the lease duration.</param>
    /// <param name="drain">Handles one batch of the changes of the lease's tenant; true when more may be waiting.</param>
    /// <param name="failed">Told of a failed drain of a tenant (or a failed round), which is retried after a second.</param>
    /// <param name="gather">
    /// After waking up for new changes, how long to let more arrive before draining, so that a consumer that keeps up
    /// handles them in fewer, larger commits (none while a backlog is drained).
    /// </param>
    public static async Task RunAsync(IChangeFeed feed, IEntityStore entities, string consumer, ChangeFeedOptions options,
        Func<ChangeFeedLease, CancellationToken, Task<bool>> drain, Action<Exception> failed, TimeProvider time, CancellationToken ct, TimeSpan gather = default)
    {
        // Tenant ("" for the default one) → when its failed drain is tried again; → this node's lease on it.
        var retryAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var leases = new Dictionary<string, ChangeFeedLease>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            var version = feed.Signal.Version;
            try
            {
                var more = false;
                foreach (var tenant in await entities.TenantsWithDefaultAsync(ct))
                {
                    var key = tenant ?? "";
                    if (retryAt.TryGetValue(key, out var due) && time.GetUtcNow() < due) continue;
                    try
                    {
                        if (await feed.HasPendingAsync(tenant, consumer, ct) && await LeaseAsync(feed, leases, key, tenant, consumer, options, time, ct) is { } lease)
                        {
                            more |= await drain(lease, ct);
                        }
                        retryAt.Remove(key);
                    }
                    catch (ChangeFeedLeaseLostException)
                    {
                        // Another node took the tenant over (or the lease ran out during the drain): it reads on from the last acknowledgement.
                        leases.Remove(key);
                    }
                    catch (Exception error) when (!ct.IsCancellationRequested)
                    {
                        retryAt[key] = time.GetUtcNow() + RetryDelay;
                        failed(error);
                    }
                }
                if (!more)
                {
                    var wake = retryAt.Count > 0 ? RetryDelay : TimeSpan.FromSeconds(5);
                    await feed.Signal.WaitForChangesAsync(version, ct).WaitAsync(wake, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (gather > TimeSpan.Zero && feed.Signal.Version != version) await Task.Delay(gather, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                failed(error);
                await Task.Delay(RetryDelay, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>This node's lease on the tenant, renewed once half of it has passed; null while another node holds it.</summary>
    private static async Task<ChangeFeedLease?> LeaseAsync(IChangeFeed feed, Dictionary<string, ChangeFeedLease> leases, string key, string? tenant,
        string consumer, ChangeFeedOptions options, TimeProvider time, CancellationToken ct)
    {
        if (leases.TryGetValue(key, out var held) && held.ExpiresAt - time.GetUtcNow() > options.LeaseDuration / 2) return held;
        var lease = await feed.TryTakeLeaseAsync(tenant, consumer, options.Node, options.LeaseDuration, ct);
        if (lease is null) leases.Remove(key);
        else leases[key] = lease;
        return lease;
    }

    /// <summary>The default tenant (null) followed by every named tenant.</summary>
    public static async Task<IReadOnlyList<string?>> TenantsWithDefaultAsync(this IEntityStore entities, CancellationToken ct) =>
        [null, .. await entities.ListTenantsAsync(ct)];
}
