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
/// The change journal: every committed entity change, written in the same transaction as the change
/// itself, so what reads it (the notifier, the history) never misses an acknowledged write, even across
/// a crash. Each consumer reads from its own acknowledged position, per tenant; a change is kept until
/// every registered consumer has acknowledged it. Consumers register through
/// <see cref="ChangeFeedOptions"/> at start-up; with none registered nothing is journaled.
/// </summary>
public interface IChangeFeed
{
    /// <summary>Grows with every commit that journaled a change; pass the value last seen to <see cref="WaitForChangesAsync"/>.</summary>
    long Version { get; }

    /// <summary>Completes when <see cref="Version"/> differs from <paramref name="seenVersion"/> (at once if it already does).</summary>
    Task WaitForChangesAsync(long seenVersion, CancellationToken ct);

    /// <summary>
    /// The oldest changes of a tenant after the consumer's acknowledged position (and after <paramref name="after"/>, for a
    /// consumer that reads on while its last acknowledgement is still being committed), in commit order.
    /// </summary>
    ValueTask<IReadOnlyList<EntityChange>> ReadChangesAsync(string? tenant, string consumer, int max, CancellationToken ct, long after = 0);

    /// <summary>Durably records that the consumer has handled every change up to <paramref name="sequence"/>.</summary>
    ValueTask AcknowledgeAsync(string? tenant, string consumer, long sequence, CancellationToken ct);
}

public sealed class ChangeFeedOptions
{
    /// <summary>Names of the consumers that read the journal (e.g. "notifier", "history").</summary>
    public HashSet<string> Consumers { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The loop every journal consumer runs: drain the default tenant and every other tenant, and when
/// none had more waiting, sleep until the next commit (or a few seconds, as a safety net). A tenant whose
/// drain fails (a store that cannot be read or written just now; changes that cannot be processed are the
/// consumer's to set aside) is retried after a second, while the other tenants go on as usual.
/// </summary>
public static class ChangeFeedLoop
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <param name="drain">Handles one batch of a tenant's changes; true when more may be waiting.</param>
    /// <param name="failed">Told of a failed drain of a tenant (or a failed round), which is retried after a second.</param>
    /// <param name="gather">
    /// After waking up for new changes, how long to let more arrive before draining, so that a consumer that keeps up
    /// handles them in fewer, larger commits (none while a backlog is drained).
    /// </param>
    public static async Task RunAsync(IChangeFeed feed, IEntityStore entities, Func<string?, CancellationToken, Task<bool>> drain,
        Action<Exception> failed, TimeProvider time, CancellationToken ct, TimeSpan gather = default)
    {
        // Tenant ("" for the default one) → when its failed drain is tried again.
        var retryAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            var version = feed.Version;
            try
            {
                var more = false;
                foreach (var tenant in await entities.TenantsWithDefaultAsync(ct))
                {
                    var key = tenant ?? "";
                    if (retryAt.TryGetValue(key, out var due) && time.GetUtcNow() < due) continue;
                    try
                    {
                        more |= await drain(tenant, ct);
                        retryAt.Remove(key);
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
                    await feed.WaitForChangesAsync(version, ct).WaitAsync(wake, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (gather > TimeSpan.Zero && feed.Version != version) await Task.Delay(gather, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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

    /// <summary>The default tenant (null) followed by every named tenant.</summary>
    public static async Task<IReadOnlyList<string?>> TenantsWithDefaultAsync(this IEntityStore entities, CancellationToken ct) =>
        [null, .. await entities.ListTenantsAsync(ct)];
}
