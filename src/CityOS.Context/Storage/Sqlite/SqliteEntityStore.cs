using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using CityOS.Context.Model;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>Settings of the embedded engine (configuration section "CityOS:Storage"; the data directory is CityOS:DataDirectory).</summary>
public sealed class SqliteStoreOptions
{
    public const string Section = "CityOS:Storage";

    /// <summary>Folder of the tenant databases: default.db for the default tenant, tenants/NAME.db for the others.</summary>
    public string DataDirectory { get; set; } = "cityos-data";

    /// <summary>Read connections one tenant database keeps at most; a read past them waits until another is done with one.</summary>
    public int MaxReadConnections { get; set; } = 64;

    /// <summary>How long a tenant database goes unused before it closes its writer and connections (it opens again on the next use).</summary>
    public TimeSpan TenantIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Why the settings cannot be used, or null.</summary>
    public string? Problem() =>
        MaxReadConnections < 1 ? "CityOS:Storage:MaxReadConnections must be at least 1."
        : TenantIdleTimeout <= TimeSpan.Zero ? "CityOS:Storage:TenantIdleTimeout must be positive."
        : null;
}

/// <summary>
/// The embedded engine: one SQLite file per tenant, so tenants never share a table. One scheduler round every half second
/// checkpoints the open files and closes those idle for <see cref="SqliteStoreOptions.TenantIdleTimeout"/>, so that a
/// tenant used once costs no connection, writer or timer of its own afterwards.
/// </summary>
public sealed class SqliteEntityStore : IEntityStore, IChangeFeed, IDeadLetterStore, IAsyncDisposable
{
    private static readonly TimeSpan SchedulerPeriod = TimeSpan.FromMilliseconds(500);

    private readonly IReadOnlyCollection<string> _consumers;
    private readonly TimeProvider _time;
    private readonly SqliteStoreOptions _options;
    private readonly InProcessChangeSignal _signal = new();
    private readonly ITimer _scheduler;
    private int _scheduling;

    private readonly ConcurrentDictionary<string, Lazy<SqliteTenantDatabase>> _databases = new(StringComparer.Ordinal);
    private readonly string _directory;
    private readonly string _tenantDirectory;
    private readonly ILogger<SqliteEntityStore> _logger;
    private const string DefaultTenantKey = "";

    public SqliteEntityStore(IOptions<SqliteStoreOptions> options, IOptions<ChangeFeedOptions> feed, TimeProvider time, ILogger<SqliteEntityStore> logger)
    {
        _logger = logger;
        _consumers = feed.Value.Consumers.ToArray();
        _time = time;
        _options = options.Value;
        if (_options.Problem() is { } problem) throw new ArgumentException(problem, nameof(options));
        _directory = Path.GetFullPath(_options.DataDirectory);
        _tenantDirectory = Path.Combine(_directory, "tenants");
        Directory.CreateDirectory(_tenantDirectory);
        Database(null, create: true);
        _scheduler = time.CreateTimer(_ => Schedule(), null, SchedulerPeriod, SchedulerPeriod);
    }

    /// <summary>The scheduler's round over every tenant database (skipped while the previous one still runs).</summary>
    private void Schedule()
    {
        if (Interlocked.Exchange(ref _scheduling, 1) == 1) return;
        try
        {
            foreach (var database in _databases.Values)
            {
                if (database.IsValueCreated) database.Value.Tick(_options.TenantIdleTimeout);
            }
        }
        catch (Exception exception) when (exception is SqliteException or InvalidOperationException)
        {
            _logger.LogWarning(exception, "A storage scheduler round failed; the next one retries");
        }
        finally
        {
            Volatile.Write(ref _scheduling, 0);
        }
    }

    /// <summary>Tenant databases open now (with their writer and connections); the others are closed until used again.</summary>
    internal int OpenTenantCount => _databases.Values.Count(d => d.IsValueCreated && d.Value.IsOpen);

    public string DataDirectory => _directory;

    private SqliteTenantDatabase? Database(string? tenant, bool create)
    {
        var key = tenant ?? DefaultTenantKey;
        if (_databases.TryGetValue(key, out var existing)) return existing.Value;
        var path = tenant is null ? Path.Combine(_directory, "default.db") : Path.Combine(_tenantDirectory, TenantNames.FileName(tenant));
        if (!create && !File.Exists(path)) return null;
        return _databases.GetOrAdd(key, _ => new Lazy<SqliteTenantDatabase>(() => new SqliteTenantDatabase(path, _options.MaxReadConnections, _consumers, _time, _signal.Notify, _logger))).Value;
    }

    private SqliteTenantDatabase ExistingDatabase(string? tenant) =>
        Database(tenant, create: false) ?? throw new TenantNotFoundException(tenant!);

    /// <summary>A read of an existing tenant's entities, with SQLite's and the document codec's errors as the store contract's.</summary>
    private ValueTask<T> ReadEntities<T>(string? tenant, Func<ReadSession, T> read)
    {
        var database = ExistingDatabase(tenant);
        try
        {
            return ValueTask.FromResult(database.Read(read));
        }
        catch (SqliteException error)
        {
            throw Translate(error);
        }
        catch (Exception error) when (error is JsonException or FormatException or OverflowException)
        {
            throw new UnreadableDocumentException($"A stored entity of {database.Path} cannot be read: {error.Message}", error);
        }
    }

    private static StorageException Translate(SqliteException error) => error.SqliteErrorCode is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED
        ? new StorageBusyException($"The database is busy: {error.Message}", error)
        : new StorageUnavailableException($"The database failed: {error.Message}", error);

    public ValueTask<bool> TenantExistsAsync(string? tenant, CancellationToken ct) =>
        ValueTask.FromResult(Database(tenant, create: false) is not null);

    public ValueTask<IReadOnlyList<string>> ListTenantsAsync(CancellationToken ct)
    {
        IReadOnlyList<string> names = Directory.EnumerateFiles(_tenantDirectory, "*.db")
            .Select(path => TenantNames.FromFileName(Path.GetFileName(path)))
            .Order(StringComparer.Ordinal)
            .ToList();
        return ValueTask.FromResult(names);
    }

    public ValueTask<Entity?> GetAsync(string? tenant, string id, CancellationToken ct) =>
        ReadEntities(tenant, session => session.GetById(id));

    public async ValueTask<IReadOnlyList<MutationResult>> MutateAsync(string? tenant, IReadOnlyList<EntityMutation> mutations, CancellationToken ct)
    {
        var database = Database(tenant, create: false);
        if (database is null)
        {
            // Create the tenant only for a write that will change something, so a failed write leaves no empty tenant behind.
            var probe = mutations.Select(m => m.Decide(null)).ToList();
            if (!probe.Any(outcome => outcome is MutationOutcome.Save))
            {
                return mutations.Select((m, i) => new MutationResult(m.EntityId, null, null,
                    (probe[i] as MutationOutcome.Fail)?.Error)).ToList();
            }
            database = Database(tenant, create: true)!;
        }
        try
        {
            return await database.MutateAsync(mutations, ct).ConfigureAwait(false);
        }
        catch (SqliteException error)
        {
            throw Translate(error);
        }
    }

    public QueryParts Applies(EntityQuery query) => SqliteQuery.Applies(query);

    public ValueTask<QueryPage> QueryAsync(string? tenant, EntityQuery query, IResidualFilter? residual, CancellationToken ct) =>
        ReadEntities(tenant, session => SqliteQuery.Run(session, query, residual, ct));

    public ValueTask<IReadOnlyList<TypeSummary>> ListTypesAsync(string? tenant, CancellationToken ct) =>
        ReadEntities(tenant, session => SqliteQuery.Types(session.Connection));

    public ValueTask<IReadOnlyList<AttributeSummary>> ListAttributesAsync(string? tenant, CancellationToken ct) =>
        ReadEntities(tenant, session => SqliteQuery.Attributes(session.Connection));

    public ValueTask<IReadOnlyList<CityOS.Core.Context.ContextTypeCount>> CountTypesAsync(string? tenant, string? type, int countUpTo, CancellationToken ct) =>
        ReadEntities(tenant, session => SqliteTypeCounts.Count(session, type, countUpTo));

    public ValueTask<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            return ValueTask.FromResult(Database(null, create: true)!.Read(session =>
            {
                using var command = session.Connection.CreateCommand();
                command.CommandText = "SELECT 1";
                return Convert.ToInt32(command.ExecuteScalar()) == 1;
            }));
        }
        catch (SqliteException)
        {
            return ValueTask.FromResult(false);
        }
    }

    public IChangeSignal Signal => _signal;

    public ValueTask<bool> HasPendingAsync(string? tenant, string consumer, CancellationToken ct) =>
        ValueTask.FromResult(Database(tenant, create: false)?.HasPending(consumer) ?? false);

    public ValueTask<bool> HasPendingUpToAsync(string? tenant, string consumer, long sequence, CancellationToken ct) =>
        ValueTask.FromResult(Database(tenant, create: false)?.HasPending(consumer, sequence) ?? false);

    public ValueTask<long> LastSequenceAsync(string? tenant, CancellationToken ct) =>
        ValueTask.FromResult(Database(tenant, create: false)?.LastSequence() ?? 0);

    public async ValueTask<ChangeFeedLease?> TryTakeLeaseAsync(string? tenant, string consumer, string holder, TimeSpan duration, CancellationToken ct)
    {
        RequireConsumer(consumer);
        return await ExistingDatabase(tenant).TryTakeLeaseAsync(consumer, holder, duration).ConfigureAwait(false) is { } expires
            ? new ChangeFeedLease(tenant, consumer, holder, expires)
            : null;
    }

    public ValueTask<IReadOnlyList<EntityChange>> ReadChangesAsync(ChangeFeedLease lease, int max, CancellationToken ct, long after = 0)
    {
        var database = ExistingDatabase(lease.Tenant);
        return ValueTask.FromResult(database.Read(session => session.HoldsLease(lease.Consumer, lease.Holder, _time.GetUtcNow())
            ? session.ReadChanges(lease.Tenant, lease.Consumer, max, after, database.JournalCache)
            : throw new ChangeFeedLeaseLostException(lease)));
    }

    public async ValueTask AcknowledgeAsync(ChangeFeedLease lease, long sequence, CancellationToken ct)
    {
        RequireConsumer(lease.Consumer);
        if (!await ExistingDatabase(lease.Tenant).AcknowledgeAsync(lease.Consumer, lease.Holder, sequence).ConfigureAwait(false)) throw new ChangeFeedLeaseLostException(lease);
    }

    private void RequireConsumer(string consumer)
    {
        if (!_consumers.Contains(consumer)) throw new InvalidOperationException($"'{consumer}' is not a registered change consumer.");
    }

    public async ValueTask SetAsideAsync(string? tenant, string consumer, long position, string? subscriptionId, string error, DateTimeOffset failedAt, CancellationToken ct) =>
        await ExistingDatabase(tenant).SetAsideAsync(consumer, position, subscriptionId, error, failedAt).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string? tenant, int max, CancellationToken ct)
    {
        var database = Database(tenant, create: false);
        return ValueTask.FromResult(database is null ? [] : database.Read(session => session.ListDeadLetters(tenant, max)));
    }

    public ValueTask<(DeadLetter Letter, EntityChange Change)?> GetDeadLetterAsync(string? tenant, long id, CancellationToken ct) =>
        ValueTask.FromResult(Database(tenant, create: false)?.Read(session => session.GetDeadLetter(tenant, id)));

    public async ValueTask RecordRetryFailureAsync(string? tenant, long id, string error, DateTimeOffset failedAt, CancellationToken ct) =>
        await ExistingDatabase(tenant).RecordRetryFailureAsync(id, error, failedAt).ConfigureAwait(false);

    public async ValueTask<bool> DeleteDeadLetterAsync(string? tenant, long id, CancellationToken ct) =>
        Database(tenant, create: false) is { } database && await database.DeleteDeadLetterAsync(id).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await _scheduler.DisposeAsync().ConfigureAwait(false);
        while (Volatile.Read(ref _scheduling) == 1) await Task.Delay(10).ConfigureAwait(false);
        foreach (var database in _databases.Values)
        {
            if (database.IsValueCreated) await database.Value.DisposeAsync().ConfigureAwait(false);
        }
        _databases.Clear();
    }
}

/// <summary>Tenant names as NGSILD-Tenant carries them, and their safe file names.</summary>
public static class TenantNames
{
    // Tenant names are case-sensitive; encode upper case so case-insensitive file systems keep them apart.
    public static string FileName(string tenant)
    {
        var builder = new StringBuilder(tenant.Length + 8);
        foreach (var c in tenant)
        {
            if (char.IsAsciiLetterUpper(c)) builder.Append('^').Append(char.ToLowerInvariant(c));
            else builder.Append(c);
        }
        return builder.Append(".db").ToString();
    }

    public static string FromFileName(string fileName)
    {
        var name = fileName[..^3];
        var builder = new StringBuilder(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] == '^' && i + 1 < name.Length) builder.Append(char.ToUpperInvariant(name[++i]));
            else builder.Append(name[i]);
        }
        return builder.ToString();
    }
}
