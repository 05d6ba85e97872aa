using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityOS.Context.Broker;

/// <summary>
/// Deletes what transient entities and attributes (4.22) leave behind once they expire: every write of an entity that has an
/// expiresAt puts it in the schedule at its next expiry, and once a second the due entities are reaped (an expired entity is
/// deleted, an expired attribute instance removed) through the broker, so notifications and the temporal evolution see
/// the deletion as any other. Deletion lags expiresAt by up to a second; reads never show an expired member meanwhile
/// (<see cref="Transience.Live"/>). The schedule is in memory: after a restart an expired entity stays hidden and is reaped
/// on its next write.
/// </summary>
public sealed class TransientReaper(EntityBroker broker, TimeProvider time, ILogger<TransientReaper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var (tenant, id) in broker.Expiries.Due(time.GetUtcNow()))
            {
                try
                {
                    await broker.ReapAsync(tenant, id, stoppingToken);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    logger.LogWarning(error, "Reaping the expired parts of entity {EntityId} failed; it is tried again on its next write.", id);
                }
            }
        }
    }
}

/// <summary>When each entity with an expiresAt next expires, by tenant and id; thread-safe.</summary>
public sealed class ExpirySchedule
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<(string? Tenant, string Id), DateTimeOffset> _queue = new();

    public void Add(string? tenant, string id, DateTimeOffset at)
    {
        lock (_gate) _queue.Enqueue((tenant, id), at);
    }

    /// <summary>The entities due at <paramref name="now"/>, each once, taken out of the schedule.</summary>
    public IReadOnlyList<(string? Tenant, string Id)> Due(DateTimeOffset now)
    {
        var due = new HashSet<(string?, string)>();
        lock (_gate)
        {
            while (_queue.TryPeek(out var next, out var at) && at <= now)
            {
                _queue.Dequeue();
                due.Add(next);
            }
        }
        return [.. due];
    }
}
