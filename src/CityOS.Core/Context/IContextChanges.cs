using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Core.Context;

/// <summary>
/// One committed change of an entity as a block following the broker's changes sees it: created (no
/// <see cref="Before"/>), changed, or deleted (no <see cref="After"/>). Entities are NGSI-LD normalized JSON, their names
/// compacted under the NGSI-LD core context only (as <see cref="IContextReader"/> gives them for a call without @context).
/// </summary>
public sealed record ContextChange(string? Tenant, long Sequence, string EntityId, DateTimeOffset At, JsonObject? Before, JsonObject? After);

/// <summary>
/// Lets a block follow every committed entity change of every tenant (made through NGSI-LD, NGSI-v2 or
/// <see cref="IContextWriter"/>), in commit order per tenant, from the broker's durable change journal: the block's
/// position is acknowledged after its handler returned, so a change is handed out at least once across restarts. A
/// consumer must be registered at start-up with <see cref="ContextChangesServiceCollectionExtensions.AddContextChangeConsumer"/>.
/// </summary>
public interface IContextChanges
{
    /// <summary>Hands every batch of changes of the registered <paramref name="consumer"/> to <paramref name="handle"/> until <paramref name="ct"/> is cancelled.</summary>
    Task FollowAsync(string consumer, Func<IReadOnlyList<ContextChange>, CancellationToken, Task> handle, CancellationToken ct);
}

/// <summary>The names of the consumers of <see cref="IContextChanges"/> (the broker journals changes for each of them).</summary>
public sealed class ContextChangeConsumers
{
    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
}

public static class ContextChangesServiceCollectionExtensions
{
    /// <summary>Registers a consumer of <see cref="IContextChanges"/>; the broker keeps each change until it acknowledged it.</summary>
    public static IServiceCollection AddContextChangeConsumer(this IServiceCollection services, string consumer) =>
        services.Configure<ContextChangeConsumers>(o => o.Names.Add(consumer));
}
