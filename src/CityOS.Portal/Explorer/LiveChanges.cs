using System.Threading.Channels;
using CityOS.Core.Context;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityOS.Portal.Explorer;

/// <summary>
/// Follows the broker's committed changes (<see cref="IContextChanges"/>) and tells the entity pages open at that moment
/// which entity changed; each page then reads the entity again as its own user (so it sees only what the user may read).
/// </summary>
public sealed partial class LiveChanges(IContextChanges changes, ILogger<LiveChanges> logger) : BackgroundService
{
    public const string Consumer = "portal-live";

    private readonly Lock _gate = new();
    private readonly List<Watcher> _watchers = [];

    /// <summary>A watch of one entity until disposed: its reader yields a signal for each committed change of the entity.</summary>
    public Watcher Watch(string? tenant, string entityId)
    {
        var watcher = new Watcher(this, Tenancy(tenant), entityId);
        lock (_gate) _watchers.Add(watcher);
        return watcher;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await changes.FollowAsync(Consumer, Hand, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogStopped(logger, e);
        }
    }

    private Task Hand(IReadOnlyList<ContextChange> batch, CancellationToken ct)
    {
        Watcher[] watchers;
        lock (_gate) watchers = [.. _watchers];
        foreach (var change in batch)
        {
            var tenant = Tenancy(change.Tenant);
            foreach (var watcher in watchers.Where(w => w.Tenant == tenant && w.EntityId == change.EntityId)) watcher.Signal();
        }
        return Task.CompletedTask;
    }

    private void Remove(Watcher watcher)
    {
        lock (_gate) _watchers.Remove(watcher);
    }

    private static string Tenancy(string? tenant) => tenant is null or "" or CityOS.Core.Security.SecurityTenants.Default ? "" : tenant;

    [LoggerMessage(Level = LogLevel.Error, Message = "The portal's live updates stopped following the context changes")]
    private static partial void LogStopped(ILogger logger, Exception error);

    public sealed class Watcher(LiveChanges owner, string tenant, string entityId) : IDisposable
    {
        private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

        internal string Tenant => tenant;
        internal string EntityId => entityId;
        public ChannelReader<bool> Changes => _signals.Reader;

        internal void Signal() => _signals.Writer.TryWrite(true);

        public void Dispose() => owner.Remove(this);
    }
}
