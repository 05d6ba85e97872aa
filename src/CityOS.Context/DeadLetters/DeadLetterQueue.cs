using System.Diagnostics.Metrics;
using CityOS.Context.Storage;
using CityOS.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CityOS.Context.DeadLetters;

/// <summary>
/// Where the consumers of the change journal (the notifier, the history recorder) put a change they cannot process, so that
/// one poison change never stops them: the change is persisted as a dead letter (<see cref="IDeadLetterStore"/>), logged and
/// counted (meter <see cref="MeterName"/>, counter <see cref="InstrumentName"/>), and the consumer moves on.
/// </summary>
public sealed partial class DeadLetterQueue
{
    public const string MeterName = "CityOS";
    public const string InstrumentName = "cityos.deadletters";
    private const int MaxErrorLength = 2000;

    private readonly IDeadLetterStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<DeadLetterQueue> _logger;
    private readonly Counter<long> _setAside;

    public DeadLetterQueue(IDeadLetterStore store, TimeProvider time, IMeterFactory meters, ILogger<DeadLetterQueue> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _setAside = meters.Create(MeterName).CreateCounter<long>(InstrumentName, "{change}", "Journal changes a consumer could not process and set aside as dead letters");
    }

    /// <summary>
    /// Whether an error comes from the change being processed (set it aside) rather than from the platform just now (a disk,
    /// a lock, a context server that is down, shutting down: retry the same change later).
    /// </summary>
    public static bool IsPoison(Exception error) => error switch
    {
        OperationCanceledException or ObjectDisposedException or IOException or UnauthorizedAccessException or OutOfMemoryException or HttpRequestException => false,
        NgsiLdException ngsi => ngsi.Type != NgsiLdErrorType.LdContextNotAvailable,
        // Too big, a constraint, a type mismatch, a parameter out of range: the data, not the disk.
        SqliteException sqlite => sqlite.SqliteErrorCode is 18 or 19 or 20 or 25,
        _ => true,
    };

    /// <summary>The error text a dead letter keeps.</summary>
    public static string Describe(Exception error)
    {
        var text = $"{error.GetType().Name}: {error.Message}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }

    public ValueTask SetAsideAsync(EntityChange change, string consumer, string? subscriptionId, Exception error, CancellationToken ct) =>
        SetAsideAsync(change, consumer, subscriptionId, Describe(error), ct);

    /// <summary>Sets the change aside for the consumer (and the subscription, for the notifier); the consumer then acknowledges it as handled.</summary>
    public async ValueTask SetAsideAsync(EntityChange change, string consumer, string? subscriptionId, string error, CancellationToken ct)
    {
        await _store.SetAsideAsync(change.Tenant, consumer, change.Sequence, subscriptionId, error, _time.GetUtcNow(), ct);
        _setAside.Add(1, new KeyValuePair<string, object?>("consumer", consumer), new KeyValuePair<string, object?>("tenant", Core.Security.SecurityTenants.Key(change.Tenant)));
        LogSetAside(_logger, consumer, change.Tenant ?? "", change.EntityId, change.Sequence, subscriptionId ?? "", error);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The {Consumer} set aside the change of {EntityId} at journal position {Position} of tenant '{Tenant}' (subscription '{SubscriptionId}') as a dead letter: {Error}")]
    private static partial void LogSetAside(ILogger logger, string consumer, string tenant, string entityId, long position, string subscriptionId, string error);
}

/// <summary>A consumer of the change journal that can process a dead-lettered change again.</summary>
public interface IChangeReprocessor
{
    /// <summary>The consumer's journal name (see <see cref="ChangeFeedOptions"/>).</summary>
    string Consumer { get; }

    /// <summary>Processes the change again, for one subscription when the letter names one; throws when it still fails.</summary>
    Task ReprocessAsync(EntityChange change, string? subscriptionId, CancellationToken ct);
}

/// <summary>What an operator does with dead letters: list them, process one again after a fix, or drop one.</summary>
public sealed class DeadLetterRetry(IDeadLetterStore store, IEnumerable<IChangeReprocessor> consumers, TimeProvider time)
{
    private readonly Dictionary<string, IChangeReprocessor> _consumers = consumers.ToDictionary(c => c.Consumer, StringComparer.Ordinal);

    public const int MaxListed = 1000;

    public ValueTask<IReadOnlyList<DeadLetter>> ListAsync(string? tenant, CancellationToken ct) => store.ListDeadLettersAsync(tenant, MaxListed, ct);

    public async Task<DeadLetter> GetAsync(string? tenant, long id, CancellationToken ct) =>
        (await store.GetDeadLetterAsync(tenant, id, ct))?.Letter ?? throw NotFound(id);

    /// <summary>
    /// Processes the dead letter's change again with its consumer; done, the letter is removed. Still failing, the letter
    /// stays with the new error and another attempt counted, and the caller gets a Conflict naming the error.
    /// </summary>
    public async Task RetryAsync(string? tenant, long id, CancellationToken ct)
    {
        var (letter, change) = await store.GetDeadLetterAsync(tenant, id, ct) ?? throw NotFound(id);
        if (!_consumers.TryGetValue(letter.Consumer, out var consumer))
        {
            throw new NgsiLdException(NgsiLdErrorType.Conflict, $"The consumer '{letter.Consumer}' of dead letter {id} does not run in this cityos.");
        }
        var error = change.Unreadable;
        if (error is null)
        {
            try
            {
                await consumer.ReprocessAsync(change, letter.SubscriptionId, ct);
            }
            catch (Exception failure) when (DeadLetterQueue.IsPoison(failure) && !ct.IsCancellationRequested)
            {
                error = DeadLetterQueue.Describe(failure);
            }
        }
        if (error is not null)
        {
            await store.RecordRetryFailureAsync(tenant, id, error, time.GetUtcNow(), ct);
            throw new NgsiLdException(NgsiLdErrorType.Conflict, $"Dead letter {id} still fails and is kept: {error}");
        }
        await store.DeleteDeadLetterAsync(tenant, id, ct);
    }

    public async Task DeleteAsync(string? tenant, long id, CancellationToken ct)
    {
        if (!await store.DeleteDeadLetterAsync(tenant, id, ct)) throw NotFound(id);
    }

    private static NgsiLdException NotFound(long id) => NgsiLdException.NotFound($"Dead letter {id} does not exist.");
}
