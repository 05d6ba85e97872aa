using CityOS.Context.JsonLd;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Core.Context;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Broker;

/// <summary>
/// <see cref="IContextChanges"/> on the change journal: each consumer drains its own position per tenant under this
/// node's lease (<see cref="ChangeFeedLoop"/>) and acknowledges a batch once its handler returned. A change that cannot
/// be read is skipped (the notifier and the history set such changes aside as dead letters).
/// </summary>
public sealed partial class ContextChanges(
    IChangeFeed feed,
    IEntityStore entities,
    ILdContextResolver resolver,
    IOptions<ChangeFeedOptions> options,
    TimeProvider time,
    ILogger<ContextChanges> logger) : IContextChanges
{
    private const int Batch = 200;

    public Task FollowAsync(string consumer, Func<IReadOnlyList<ContextChange>, CancellationToken, Task> handle, CancellationToken ct)
    {
        if (!options.Value.Consumers.Contains(consumer))
            throw new InvalidOperationException($"'{consumer}' is not a registered consumer of the context changes (AddContextChangeConsumer).");
        return ChangeFeedLoop.RunAsync(feed, entities, consumer, options.Value, async (lease, token) =>
        {
            var changes = await feed.ReadChangesAsync(lease, Batch, token);
            if (changes.Count == 0) return false;
            var terms = resolver.Core;
            var seen = changes
                .Where(c => c.Unreadable is null)
                .Select(c => new ContextChange(c.Tenant, c.Sequence, c.EntityId, c.At,
                    c.Before is { } before ? EntityRenderer.Render(before, RenderOptions.Default, terms) : null,
                    c.After is { } after ? EntityRenderer.Render(after, RenderOptions.Default, terms) : null))
                .ToList();
            if (seen.Count > 0) await handle(seen, token);
            await feed.AcknowledgeAsync(lease, changes[^1].Sequence, token);
            return changes.Count >= Batch;
        }, error => LogFailed(logger, consumer, error), time, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A consumer of the context changes ({Consumer}) failed; retried")]
    private static partial void LogFailed(ILogger logger, string consumer, Exception error);
}
