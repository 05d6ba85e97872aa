using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using CityOS.Context.Model;
using CityOS.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>
/// One tenant's SQLite file. Writes go through a single writer that groups whatever requests are
/// waiting into one transaction (group commit: one fsync for many acknowledged writes); reads use
/// a pool of connections with prepared statements, concurrent with the writer thanks to WAL.
/// </summary>
internal sealed partial class SqliteTenantDatabase : IAsyncDisposable
{
    private const int MaxMutationsPerCommit = 2000;

    private readonly string _connectionString;
    private readonly ILogger _logger;
    private readonly Channel<WriteRequest> _writes = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentBag<ReadSession> _readers = new();
    private readonly SqliteConnection _writeConnection;

    /// <summary>The writer's own statements (journal acknowledgements and pruning); used only inside the writer loop.</summary>
    private readonly global::CityOS.Storage.Sqlite.SqliteStatementCache _writerStatements;
    private readonly Task _writerLoop;
    private readonly SqliteConnection _checkpointConnection;
    private readonly ITimer _checkpointTimer;
    private int _checkpointing;
    private int _journalAcknowledged;

    private readonly IReadOnlyCollection<string> _consumers;
    private readonly TimeProvider _time;
    private readonly Action _committed;

    public SqliteTenantDatabase(string path, IReadOnlyCollection<string> consumers, TimeProvider time, Action committed, ILogger logger)
    {
        Path = path;
        _logger = logger;
        _consumers = consumers;
        _time = time;
        _committed = committed;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        _writeConnection = Open(WriterCacheKib);
        try
        {
            // The writer never checkpoints: a timer does it on its own connection, so commits do not stall behind it.
            Execute(_writeConnection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0;");
            SqliteSchema.Migrate(_writeConnection);
        }
        catch
        {
            _writeConnection.Dispose();
            throw;
        }
        _writerStatements = new global::CityOS.Storage.Sqlite.SqliteStatementCache(_writeConnection);
        _checkpointConnection = Open();
        _writerLoop = Task.Factory.StartNew(WriterLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        _checkpointTimer = time.CreateTimer(_ =>
        {
            PruneJournal();
            Checkpoint("PASSIVE");
        }, null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
    }

    private void Checkpoint(string mode)
    {
        if (Interlocked.Exchange(ref _checkpointing, 1) == 1) return;
        try
        {
            Execute(_checkpointConnection, $"PRAGMA wal_checkpoint({mode})");
        }
        catch (SqliteException exception)
        {
            LogCheckpointFailed(_logger, exception, Path);
        }
        finally
        {
            Volatile.Write(ref _checkpointing, 0);
        }
    }

    public string Path { get; }

    // The writer keeps a large page cache; read connections (one per concurrent request) keep a small one
    // each and share the operating system's file cache, so memory does not grow with concurrency.
    private const int WriterCacheKib = 16_000;
    private const int ReaderCacheKib = 2_000;

    private SqliteConnection Open(int cacheKib = ReaderCacheKib)
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, $"PRAGMA busy_timeout=10000; PRAGMA cache_size=-{cacheKib};");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public Task<IReadOnlyList<MutationResult>> MutateAsync(IReadOnlyList<EntityMutation> mutations, CancellationToken ct)
    {
        var request = new WriteRequest(mutations);
        if (!_writes.Writer.TryWrite(request)) throw new InvalidOperationException("The store is shutting down.");
        // The write is not cancelled once queued: it may already be committed, and the caller must not guess.
        return request.Completion.Task;
    }

    /// <summary>Records a journal consumer's position; <see cref="PruneJournal"/> later drops what every consumer has handled.</summary>
    public Task AcknowledgeAsync(string consumer, long sequence) => WriteAsync(transaction =>
    {
        var command = _writerStatements.Get("""
            INSERT INTO change_consumers(name, acknowledged) VALUES($name, $seq)
                ON CONFLICT(name) DO UPDATE SET acknowledged = max(acknowledged, excluded.acknowledged);
            """, transaction);
        command.Parameters.AddWithValue("$name", consumer);
        command.Parameters.AddWithValue("$seq", sequence);
        command.ExecuteNonQuery();
        Interlocked.Exchange(ref _journalAcknowledged, 1);
    });

    /// <summary>Copies a journal change, not yet acknowledged by the consumer, into dead_letters (or records one more failure of it).</summary>
    public Task SetAsideAsync(string consumer, long position, string? subscriptionId, string error, DateTimeOffset failedAt) => WriteAsync(transaction =>
    {
        var command = _writerStatements.Get("""
            INSERT INTO dead_letters(consumer, subscription_id, seq, entity_id, at, before, after, error, failed_at, attempts)
                SELECT $consumer, $subscription, seq, entity_id, at, before, after, $error, $failed, 1 FROM changes WHERE seq = $seq
                ON CONFLICT(consumer, seq, subscription_id) DO UPDATE SET error = excluded.error, failed_at = excluded.failed_at, attempts = attempts + 1;
            """, transaction);
        command.Parameters.AddWithValue("$consumer", consumer);
        command.Parameters.AddWithValue("$subscription", subscriptionId ?? "");
        command.Parameters.AddWithValue("$seq", position);
        command.Parameters.AddWithValue("$error", error);
        command.Parameters.AddWithValue("$failed", failedAt.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    });

    public Task RecordRetryFailureAsync(long id, string error, DateTimeOffset failedAt) => WriteAsync(transaction =>
    {
        var command = _writerStatements.Get("UPDATE dead_letters SET error = $error, failed_at = $failed, attempts = attempts + 1 WHERE id = $id", transaction);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$error", error);
        command.Parameters.AddWithValue("$failed", failedAt.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    });

    public async Task<bool> DeleteDeadLetterAsync(long id)
    {
        var deleted = false;
        await WriteAsync(transaction =>
        {
            var command = _writerStatements.Get("DELETE FROM dead_letters WHERE id = $id", transaction);
            command.Parameters.AddWithValue("$id", id);
            deleted = command.ExecuteNonQuery() > 0;
        });
        return deleted;
    }

    /// <summary>Runs an operation of its own in the writer's next commit.</summary>
    private Task WriteAsync(Action<SqliteTransaction> apply)
    {
        var request = new WriteRequest([], apply);
        if (!_writes.Writer.TryWrite(request)) throw new InvalidOperationException("The store is shutting down.");
        return request.Completion.Task;
    }

    /// <summary>
    /// Drops journal rows every registered consumer has acknowledged. Runs on the checkpoint timer
    /// rather than with each acknowledgement, so consumers keeping up under load cost one small update each.
    /// </summary>
    private void PruneJournal()
    {
        if (_consumers.Count == 0 || Interlocked.Exchange(ref _journalAcknowledged, 0) == 0) return;
        _writes.Writer.TryWrite(new WriteRequest([], transaction =>
        {
            var names = string.Join(",", _consumers.Select((_, i) => "$c" + i));
            var command = _writerStatements.Get($"""
                DELETE FROM changes WHERE seq <= (
                    SELECT CASE WHEN count(*) = {_consumers.Count} THEN min(acknowledged) ELSE 0 END
                    FROM change_consumers WHERE name IN ({names}))
                """, transaction);
            var index = 0;
            foreach (var name in _consumers) command.Parameters.AddWithValue("$c" + index++, name);
            command.ExecuteNonQuery();
        }));
    }

    private sealed class WriteRequest(IReadOnlyList<EntityMutation> mutations, Action<SqliteTransaction>? custom = null)
    {
        public IReadOnlyList<EntityMutation> Mutations { get; } = mutations;
        public Action<SqliteTransaction>? Custom { get; } = custom;
        public TaskCompletionSource<IReadOnlyList<MutationResult>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public MutationResult[] Results { get; } = new MutationResult[mutations.Count];
    }

    private async Task WriterLoopAsync()
    {
        using var writer = new SqliteEntityWriter(_writeConnection, journal: _consumers.Count > 0, _time);
        var batch = new List<WriteRequest>();
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var count = 0;
            while (count < MaxMutationsPerCommit && _writes.Reader.TryRead(out var request))
            {
                batch.Add(request);
                count += request.Mutations.Count;
            }
            try
            {
                using (var transaction = _writeConnection.BeginTransaction(deferred: false))
                {
                    foreach (var request in batch)
                    {
                        request.Custom?.Invoke(transaction);
                        for (var i = 0; i < request.Mutations.Count; i++) request.Results[i] = writer.Apply(request.Mutations[i]);
                    }
                    transaction.Commit();
                }
                if (_consumers.Count > 0 && batch.Any(r => r.Results.Any(result => result.Succeeded && !ReferenceEquals(result.Before, result.After)))) _committed();
                foreach (var request in batch) request.Completion.TrySetResult(request.Results);
            }
            catch (Exception exception)
            {
                LogCommitFailed(_logger, exception, Path);
                foreach (var request in batch) request.Completion.TrySetException(exception);
            }
        }
    }

    public T Read<T>(Func<ReadSession, T> read)
    {
        if (!_readers.TryTake(out var session)) session = new ReadSession(Open());
        try
        {
            return read(session);
        }
        finally
        {
            _readers.Add(session);
        }
    }

    public async ValueTask DisposeAsync()
    {
        PruneJournal();
        _writes.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        await _checkpointTimer.DisposeAsync().ConfigureAwait(false);
        while (Volatile.Read(ref _checkpointing) == 1) await Task.Delay(10).ConfigureAwait(false);
        Checkpoint("TRUNCATE");
        _checkpointConnection.Dispose();
        _writerStatements.Dispose();
        _writeConnection.Dispose();
        while (_readers.TryTake(out var session)) session.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoint of {Path} failed; the next one retries")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Commit to {Path} failed; the batch's writes are reported as failed")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, string path);
}

/// <summary>A pooled read connection with its prepared lookup statement.</summary>
/// <remarks>
/// The lookup by id is the broker's hottest read, so it talks to SQLite through the raw SQLitePCL
/// statement API: Microsoft.Data.Sqlite's reader machinery doubled its cost, and the document is
/// decoded straight from SQLite's buffer without a copy. Also reads the change journal, which lives
/// in the same file as the entities it records.
/// </remarks>
internal sealed class ReadSession : IDisposable
{
    private readonly RawStatement _getById;
    private readonly RawStatement _getByRowId;

    private readonly global::CityOS.Storage.Sqlite.SqliteStatementCache _statements;

    public ReadSession(SqliteConnection connection)
    {
        Connection = connection;
        _statements = new global::CityOS.Storage.Sqlite.SqliteStatementCache(connection);
        _getById = new RawStatement(connection, "SELECT doc FROM entities WHERE id = ?");
        _getByRowId = new RawStatement(connection, "SELECT doc FROM entities WHERE rowid = ?");
    }

    public Entity? GetByRowId(long rowid)
    {
        try
        {
            return _getByRowId.Bind(1, rowid).Step() ? EntityDocument.Deserialize(_getByRowId.Blob(0)) : null;
        }
        finally
        {
            _getByRowId.Reset();
        }
    }

    public SqliteConnection Connection { get; }

    public IReadOnlyList<EntityChange> ReadChanges(string? tenant, string consumer, int max, long after)
    {
        var command = _statements.Get("""
            SELECT seq, entity_id, at, before, after FROM changes
            WHERE seq > max(coalesce((SELECT acknowledged FROM change_consumers WHERE name = $consumer), 0), $after)
            ORDER BY seq LIMIT $max
            """);
        command.Parameters.AddWithValue("$consumer", consumer);
        command.Parameters.AddWithValue("$max", max);
        command.Parameters.AddWithValue("$after", after);
        using var reader = command.ExecuteReader();
        var changes = new List<EntityChange>();
        while (reader.Read()) changes.Add(ReadChange(tenant, reader));
        return changes;
    }

    /// <summary>A change of the columns seq, entity_id, at, before, after; one whose documents cannot be read comes back as <see cref="EntityChange.Unreadable"/>.</summary>
    private static EntityChange ReadChange(string? tenant, SqliteDataReader reader)
    {
        var sequence = reader.GetInt64(0);
        var entityId = reader.GetString(1);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2));
        try
        {
            return new EntityChange(tenant, sequence, entityId, at,
                reader.IsDBNull(3) ? null : EntityDocument.Deserialize((byte[])reader[3]),
                reader.IsDBNull(4) ? null : EntityDocument.Deserialize((byte[])reader[4]));
        }
        catch (Exception error) when (error is JsonException or FormatException or InvalidOperationException or ArgumentException or OverflowException)
        {
            return new EntityChange(tenant, sequence, entityId, at, null, null) { Unreadable = $"The stored change cannot be read: {error.Message}" };
        }
    }

    private const string DeadLetterColumns = "id, consumer, subscription_id, seq, entity_id, at, error, failed_at, attempts";

    public IReadOnlyList<DeadLetter> ListDeadLetters(string? tenant, int max)
    {
        var command = _statements.Get($"SELECT {DeadLetterColumns} FROM dead_letters ORDER BY id LIMIT $max");
        command.Parameters.AddWithValue("$max", max);
        using var reader = command.ExecuteReader();
        var letters = new List<DeadLetter>();
        while (reader.Read()) letters.Add(ReadDeadLetter(tenant, reader));
        return letters;
    }

    public (DeadLetter Letter, EntityChange Change)? GetDeadLetter(string? tenant, long id)
    {
        var command = _statements.Get($"SELECT seq, entity_id, at, before, after, {DeadLetterColumns} FROM dead_letters WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        return (ReadDeadLetter(tenant, reader, offset: 5), ReadChange(tenant, reader));
    }

    private static DeadLetter ReadDeadLetter(string? tenant, SqliteDataReader reader, int offset = 0) => new(
        reader.GetInt64(offset), tenant, reader.GetString(offset + 1), reader.GetString(offset + 2) is { Length: > 0 } subscription ? subscription : null,
        reader.GetString(offset + 4), reader.GetInt64(offset + 3), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(offset + 5)),
        reader.GetString(offset + 6), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(offset + 7)), reader.GetInt32(offset + 8));

    public Entity? GetById(string id)
    {
        try
        {
            return _getById.Bind(1, id).Step() ? EntityDocument.Deserialize(_getById.Blob(0)) : null;
        }
        finally
        {
            _getById.Reset();
        }
    }

    public void Dispose()
    {
        _getById.Dispose();
        _getByRowId.Dispose();
        _statements.Dispose();
        Connection.Dispose();
    }
}
