using System.Text.Json;
using System.Threading.Channels;
using CityOS.Context.Model;
using CityOS.Core;
using CityOS.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>
/// One tenant's SQLite file. Writes go through a single writer that groups whatever requests are
/// waiting into one transaction (group commit: one fsync for many acknowledged writes); reads use
/// a bounded pool of connections with prepared statements, concurrent with the writer thanks to WAL.
/// The file is open (writer, connections) only while used: <see cref="Tick"/>, called by the store's scheduler,
/// checkpoints it and closes it once idle, and the next use opens it again.
/// </summary>
internal sealed partial class SqliteTenantDatabase : IAsyncDisposable
{
    private const int MaxMutationsPerCommit = 2000;

    private readonly string _connectionString;
    private readonly ILogger _logger;
    private readonly IReadOnlyCollection<string> _consumers;
    private readonly TimeProvider _time;
    private readonly Action _committed;
    private readonly int _maxReaders;

    // The open file (null while closed), its users (operations in progress) and uses (a count that tells a close that the
    // file was used since it looked), the time of the last use, and the close in progress.
    private readonly Lock _gate = new();
    private Lazy<OpenFile>? _open;
    private int _users;
    private long _uses;
    private long _lastUse;
    private Task _closing = Task.CompletedTask;
    private bool _disposed;

    /// <summary>Set by an acknowledgement, cleared by <see cref="PruneJournal"/>.</summary>
    private int _journalAcknowledged;

    // Changes kept in memory for the consumers at most: a few seconds of writes at full speed, the consumers' usual lag.
    private const int CachedChanges = 8192;
    private readonly JournalCache _journalCache = new(CachedChanges);

    /// <summary>Each consumer's acknowledged position as this process recorded it, to drop what all have handled from <see cref="_journalCache"/>.</summary>
    private readonly Dictionary<string, long> _acknowledgedInMemory = new(StringComparer.Ordinal);

    public JournalCache JournalCache => _journalCache;

    /// <summary>Opens the file at once, so that one this version cannot use fails here.</summary>
    public SqliteTenantDatabase(string path, int maxReaders, IReadOnlyCollection<string> consumers, TimeProvider time, Action committed, ILogger logger)
    {
        Path = path;
        _logger = logger;
        _consumers = consumers;
        _time = time;
        _committed = committed;
        _maxReaders = maxReaders;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        _lastUse = time.GetTimestamp();
        _open = new Lazy<OpenFile>(() => new OpenFile(this));
        _ = _open.Value;
    }

    public string Path { get; }

    /// <summary>Whether the file is open (or being opened) now.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_gate) return _open is not null;
        }
    }

    // The writer keeps a large page cache; read connections (one per concurrent request) keep a small one
    // each and share the operating system's file cache, so memory does not grow with concurrency.
    private const int WriterCacheKib = 16_000;
    private const int ReaderCacheKib = 2_000;

    private SqliteConnection Connect(int cacheKib = ReaderCacheKib)
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

    /// <summary>
    /// Starts an operation on the file, opening it when it is closed (after the close in progress, if any); every call
    /// that returns a file is paired with <see cref="Exit"/>. <paramref name="touch"/> false for a look that should not
    /// keep the file open; <paramref name="reopen"/> false to get null rather than open a closed file.
    /// </summary>
    private OpenFile? Enter(bool touch = true, bool reopen = true)
    {
        while (true)
        {
            Lazy<OpenFile>? open;
            Task closing;
            lock (_gate)
            {
                if (_disposed) throw new InvalidOperationException("The store is shutting down.");
                if (_open is null && !reopen) return null;
                closing = _closing;
                if (_open is null && closing.IsCompleted) _open = new Lazy<OpenFile>(() => new OpenFile(this));
                open = _open;
                if (open is not null)
                {
                    _users++;
                    _uses++;
                    if (touch) _lastUse = _time.GetTimestamp();
                }
            }
            if (open is null)
            {
                closing.Wait();
                continue;
            }
            try
            {
                return open.Value;
            }
            catch
            {
                lock (_gate)
                {
                    _users--;
                    if (ReferenceEquals(_open, open)) _open = null;
                }
                throw;
            }
        }
    }

    private void Exit()
    {
        lock (_gate) _users--;
    }

    public Task<IReadOnlyList<MutationResult>> MutateAsync(IReadOnlyList<EntityMutation> mutations, CancellationToken ct) =>
        // The write is not cancelled once queued: it may already be committed, and the caller must not guess.
        Submit(new WriteRequest(mutations));

    /// <summary>Records a journal consumer's position, when <paramref name="holder"/> holds its lease; <see cref="PruneJournal"/> later drops what every consumer has handled.</summary>
    public async Task<bool> AcknowledgeAsync(string consumer, string holder, long sequence)
    {
        var held = false;
        await WriteAsync((statements, transaction) =>
        {
            held = HoldsLease(statements.Get(LeaseHeldSql, transaction), consumer, holder, _time.GetUtcNow());
            if (!held) return;
            Interlocked.Exchange(ref _journalAcknowledged, 1);
            var command = statements.Get("""
                INSERT INTO change_consumers(name, acknowledged) VALUES($name, $seq)
                    ON CONFLICT(name) DO UPDATE SET acknowledged = max(acknowledged, excluded.acknowledged);
                """, transaction);
            command.Parameters.AddWithValue("$name", consumer);
            command.Parameters.AddWithValue("$seq", sequence);
            command.ExecuteNonQuery();
        }).ConfigureAwait(false);
        if (held) ForgetAcknowledged(consumer, sequence);
        return held;
    }

    private void ForgetAcknowledged(string consumer, long sequence)
    {
        long all;
        lock (_acknowledgedInMemory)
        {
            _acknowledgedInMemory[consumer] = Math.Max(sequence, _acknowledgedInMemory.GetValueOrDefault(consumer));
            if (!_consumers.All(_acknowledgedInMemory.ContainsKey)) return;
            all = _acknowledgedInMemory.Values.Min();
        }
        _journalCache.Forget(all);
    }

    /// <summary>Takes a consumer's lease for the holder (free, expired or its own) until <paramref name="duration"/> from now; null while another holder's is live.</summary>
    public async Task<DateTimeOffset?> TryTakeLeaseAsync(string consumer, string holder, TimeSpan duration)
    {
        DateTimeOffset? expires = null;
        await WriteAsync((statements, transaction) =>
        {
            var now = _time.GetUtcNow();
            var command = statements.Get("""
                INSERT INTO change_leases(consumer, holder, expires_at) VALUES($c, $h, $e)
                    ON CONFLICT(consumer) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                    WHERE change_leases.holder = excluded.holder OR change_leases.expires_at <= $now
                """, transaction);
            command.Parameters.AddWithValue("$c", consumer);
            command.Parameters.AddWithValue("$h", holder);
            command.Parameters.AddWithValue("$e", (now + duration).ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            if (command.ExecuteNonQuery() > 0) expires = DateTimeOffset.FromUnixTimeMilliseconds((now + duration).ToUnixTimeMilliseconds());
        }).ConfigureAwait(false);
        return expires;
    }

    internal const string LeaseHeldSql = "SELECT 1 FROM change_leases WHERE consumer = $c AND holder = $h AND expires_at > $now";

    /// <summary>Runs <see cref="LeaseHeldSql"/>: whether the holder's lease on the consumer is live at <paramref name="now"/>.</summary>
    internal static bool HoldsLease(SqliteCommand command, string consumer, string holder, DateTimeOffset now)
    {
        command.Parameters.AddWithValue("$c", consumer);
        command.Parameters.AddWithValue("$h", holder);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        return command.ExecuteScalar() is not null;
    }

    /// <summary>Whether the consumer has changes it has not acknowledged; a closed file has none (it closes only when every consumer is done, and any write opens it).</summary>
    public bool HasPending(string consumer, long upTo = long.MaxValue) => OnOpenFile(session => session.HasPending(consumer, upTo), false);

    /// <summary>The sequence of the last change the journal holds (0 when none; a closed file holds none).</summary>
    public long LastSequence() => OnOpenFile(session => session.LastSequence(), 0L);

    private T OnOpenFile<T>(Func<ReadSession, T> read, T closed)
    {
        if (Enter(touch: false, reopen: false) is not { } file) return closed;
        try
        {
            var session = file.Readers.Take();
            try
            {
                return read(session);
            }
            finally
            {
                file.Readers.Return(session);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Copies a journal change, not yet acknowledged by the consumer, into dead_letters (or records one more failure of it).</summary>
    public Task SetAsideAsync(string consumer, long position, string? subscriptionId, string error, DateTimeOffset failedAt) => WriteAsync((statements, transaction) =>
    {
        var command = statements.Get("""
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

    public Task RecordRetryFailureAsync(long id, string error, DateTimeOffset failedAt) => WriteAsync((statements, transaction) =>
    {
        var command = statements.Get("UPDATE dead_letters SET error = $error, failed_at = $failed, attempts = attempts + 1 WHERE id = $id", transaction);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$error", error);
        command.Parameters.AddWithValue("$failed", failedAt.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    });

    public async Task<bool> DeleteDeadLetterAsync(long id)
    {
        var deleted = false;
        await WriteAsync((statements, transaction) =>
        {
            var command = statements.Get("DELETE FROM dead_letters WHERE id = $id", transaction);
            command.Parameters.AddWithValue("$id", id);
            deleted = command.ExecuteNonQuery() > 0;
        });
        return deleted;
    }

    /// <summary>Runs an operation of its own in the writer's next commit, with the writer's statements.</summary>
    private Task WriteAsync(Action<SqliteStatementCache, SqliteTransaction> apply) => Submit(new WriteRequest([], apply));

    /// <summary>Queues a request for the writer, which ends the operation (<see cref="Exit"/>) once the request is done.</summary>
    private Task<IReadOnlyList<MutationResult>> Submit(WriteRequest request)
    {
        var file = Enter()!;
        request.Entered = true;
        // The file cannot close while this operation is in progress, so its writer is still taking requests.
        file.Writes.Writer.TryWrite(request);
        return request.Completion.Task;
    }

    public T Read<T>(Func<ReadSession, T> read)
    {
        var file = Enter()!;
        try
        {
            var session = file.Readers.Take();
            try
            {
                return read(session);
            }
            finally
            {
                file.Readers.Return(session);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The scheduler's round (never two at once): prunes the journal of what every consumer acknowledged, checkpoints
    /// what was committed since the last round, and closes the file when no operation has used it for
    /// <paramref name="idleTimeout"/> and every consumer has acknowledged every change.
    /// </summary>
    public void Tick(TimeSpan idleTimeout)
    {
        Lazy<OpenFile>? open;
        long uses;
        bool idle;
        lock (_gate)
        {
            open = _open;
            uses = _uses;
            idle = _users == 0 && _time.GetElapsedTime(_lastUse) >= idleTimeout;
        }
        if (open is not { IsValueCreated: true }) return;
        var file = open.Value;
        PruneJournal(file);
        if (Interlocked.Exchange(ref file.Dirty, 0) == 1) Checkpoint(file, "PASSIVE");
        if (!idle || (_consumers.Count > 0 && AnyPending(file))) return;
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_users > 0 || _uses != uses || !ReferenceEquals(_open, open)) return;
            _open = null;
            _closing = closed.Task;
        }
        _ = CloseAsync(file, closed);
    }

    private async Task CloseAsync(OpenFile file, TaskCompletionSource closed)
    {
        try
        {
            await file.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogCloseFailed(_logger, exception, Path);
        }
        finally
        {
            closed.SetResult();
        }
    }

    private void Checkpoint(OpenFile file, string mode)
    {
        try
        {
            using var command = file.CheckpointConnection.CreateCommand();
            command.CommandText = $"PRAGMA wal_checkpoint({mode})";
            using var reader = command.ExecuteReader();
            // Frames readers still needed stay in the log: the next round checkpoints again.
            if (reader.Read() && reader.GetInt64(1) != reader.GetInt64(2)) Volatile.Write(ref file.Dirty, 1);
        }
        catch (SqliteException exception)
        {
            Volatile.Write(ref file.Dirty, 1);
            LogCheckpointFailed(_logger, exception, Path);
        }
    }

    /// <summary>The registered consumers as statement parameters $c0, $c1...: each must have acknowledged up to min(acknowledged).</summary>
    private string MinAcknowledgedSql =>
        $"SELECT CASE WHEN count(*) = {_consumers.Count} THEN min(acknowledged) ELSE 0 END FROM change_consumers WHERE name IN ({string.Join(",", _consumers.Select((_, i) => "$c" + i))})";

    private void AddConsumers(SqliteCommand command)
    {
        var index = 0;
        foreach (var name in _consumers) command.Parameters.AddWithValue("$c" + index++, name);
    }

    /// <summary>Whether some consumer has not acknowledged every journaled change (read on the scheduler's own connection).</summary>
    private bool AnyPending(OpenFile file)
    {
        using var command = file.CheckpointConnection.CreateCommand();
        command.CommandText = $"SELECT coalesce((SELECT max(seq) FROM changes), 0) > ({MinAcknowledgedSql})";
        AddConsumers(command);
        return Convert.ToInt64(command.ExecuteScalar()) != 0;
    }

    /// <summary>
    /// Drops journal rows every registered consumer has acknowledged. Runs on the scheduler's round
    /// rather than with each acknowledgement, so consumers keeping up under load cost one small update each.
    /// </summary>
    private void PruneJournal(OpenFile file)
    {
        if (_consumers.Count == 0 || Interlocked.Exchange(ref _journalAcknowledged, 0) == 0) return;
        file.Writes.Writer.TryWrite(new WriteRequest([], (statements, transaction) =>
        {
            var command = statements.Get($"DELETE FROM changes WHERE seq <= ({MinAcknowledgedSql})", transaction);
            AddConsumers(command);
            command.ExecuteNonQuery();
        }));
    }

    private sealed class WriteRequest(IReadOnlyList<EntityMutation> mutations, Action<SqliteStatementCache, SqliteTransaction>? custom = null)
    {
        public IReadOnlyList<EntityMutation> Mutations { get; } = mutations;
        public Action<SqliteStatementCache, SqliteTransaction>? Custom { get; } = custom;

        /// <summary>Queued by an operation (<see cref="Enter"/>), which ends when the request is done; false for the scheduler's own.</summary>
        public bool Entered { get; set; }
        public TaskCompletionSource<IReadOnlyList<MutationResult>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public MutationResult[] Results { get; } = new MutationResult[mutations.Count];
    }

    /// <summary>The file while open: the writer (its connection, statements and loop), the scheduler's connection and the read pool.</summary>
    private sealed class OpenFile
    {
        private readonly SqliteTenantDatabase _database;
        private readonly SqliteConnection _writeConnection;
        private readonly SqliteStatementCache _writerStatements;
        private readonly Task _writerLoop;

        public Channel<WriteRequest> Writes { get; } = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
        public SqliteConnection CheckpointConnection { get; }
        public BoundedPool<ReadSession> Readers { get; }

        /// <summary>Set by a commit, cleared by the checkpoint.</summary>
        public int Dirty;

        public OpenFile(SqliteTenantDatabase database)
        {
            _database = database;
            _writeConnection = database.Connect(WriterCacheKib);
            try
            {
                // The writer never checkpoints: the scheduler does it on its own connection, so commits do not stall behind it.
                Execute(_writeConnection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0;");
                SqliteSchema.Migrate(_writeConnection);
                CheckpointConnection = database.Connect();
            }
            catch
            {
                _writeConnection.Dispose();
                throw;
            }
            _writerStatements = new SqliteStatementCache(_writeConnection);
            Readers = new BoundedPool<ReadSession>(database._maxReaders, () => new ReadSession(database.Connect()));
            _writerLoop = Task.Run(WriterLoopAsync);
        }

        private async Task WriterLoopAsync()
        {
            var consumers = _database._consumers;
            using var writer = new SqliteEntityWriter(_writeConnection, journal: consumers.Count > 0, _database._time);
            var batch = new List<WriteRequest>();
            while (await Writes.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch.Clear();
                var count = 0;
                while (count < MaxMutationsPerCommit && Writes.Reader.TryRead(out var request))
                {
                    batch.Add(request);
                    count += request.Mutations.Count;
                }
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    using (var transaction = _writeConnection.BeginTransaction(deferred: false))
                    {
                        foreach (var request in batch)
                        {
                            request.Custom?.Invoke(_writerStatements, transaction);
                            for (var i = 0; i < request.Mutations.Count; i++) request.Results[i] = writer.Apply(request.Mutations[i]);
                        }
                        transaction.Commit();
                    }
                    ContextMetrics.Committed(batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started), committed: true);
                    Volatile.Write(ref Dirty, 1);
                    if (writer.Journaled.Count > 0)
                    {
                        _database._journalCache.Add(writer.Journaled);
                        writer.Journaled.Clear();
                        _database._committed();
                    }
                    foreach (var request in batch) Done(request, null);
                }
                catch (Exception exception)
                {
                    writer.Journaled.Clear();
                    ContextMetrics.Committed(batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started), committed: false);
                    LogCommitFailed(_database._logger, exception, _database.Path);
                    foreach (var request in batch) Done(request, exception);
                }
            }
        }

        private void Done(WriteRequest request, Exception? failure)
        {
            if (failure is null) request.Completion.TrySetResult(request.Results);
            else request.Completion.TrySetException(failure);
            if (request.Entered) _database.Exit();
        }

        /// <summary>Lets the writer finish what is queued, checkpoints the whole log into the file and closes every connection.</summary>
        public async Task CloseAsync()
        {
            Writes.Writer.TryComplete();
            await _writerLoop.ConfigureAwait(false);
            _database.Checkpoint(this, "TRUNCATE");
            CheckpointConnection.Dispose();
            _writerStatements.Dispose();
            _writeConnection.Dispose();
            Readers.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Lazy<OpenFile>? open;
        Task closing;
        lock (_gate)
        {
            _disposed = true;
            open = _open;
            _open = null;
            closing = _closing;
        }
        await closing.ConfigureAwait(false);
        if (open is not { IsValueCreated: true }) return;
        PruneJournal(open.Value);
        await open.Value.CloseAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoint of {Path} failed; the next one retries")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Commit to {Path} failed; the batch's writes are reported as failed")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Closing the idle {Path} failed")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string path);
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

    // Query statements by text: a query's text depends only on its shape (which filters, how many values), so a few
    // shapes cover the traffic; past this many the cache starts over rather than grow with unusual shapes.
    private const int MaxQueryStatements = 32;
    private readonly Dictionary<string, RawStatement> _queries = new(StringComparer.Ordinal);

    /// <summary>The prepared statement for a query's text, kept for the connection's life; the caller binds every parameter and resets it after use.</summary>
    public RawStatement Statement(string sql)
    {
        if (_queries.TryGetValue(sql, out var statement)) return statement;
        if (_queries.Count >= MaxQueryStatements)
        {
            foreach (var old in _queries.Values) old.Dispose();
            _queries.Clear();
        }
        statement = new RawStatement(Connection, sql);
        _queries[sql] = statement;
        return statement;
    }

    /// <summary>Whether the journal holds changes after the consumer's acknowledged position.</summary>
    public bool HasPending(string consumer, long upTo = long.MaxValue)
    {
        var command = _statements.Get("""
            SELECT EXISTS(SELECT 1 FROM changes WHERE seq > coalesce((SELECT acknowledged FROM change_consumers WHERE name = $consumer), 0) AND seq <= $upTo)
            """);
        command.Parameters.AddWithValue("$consumer", consumer);
        command.Parameters.AddWithValue("$upTo", upTo);
        return Convert.ToInt64(command.ExecuteScalar()) != 0;
    }

    public long LastSequence() => Convert.ToInt64(_statements.Get("SELECT coalesce(max(seq), 0) FROM changes").ExecuteScalar());

    /// <summary>Whether the holder's lease on the consumer's changes is live at <paramref name="now"/>.</summary>
    public bool HoldsLease(string consumer, string holder, DateTimeOffset now) =>
        SqliteTenantDatabase.HoldsLease(_statements.Get(SqliteTenantDatabase.LeaseHeldSql), consumer, holder, now);

    /// <summary>
    /// The consumer's next changes in commit order: the journal names them (without their documents), and each is taken from
    /// the writer's <paramref name="cache"/> when there, decoded from its row only when not.
    /// </summary>
    public IReadOnlyList<EntityChange> ReadChanges(string? tenant, string consumer, int max, long after, JournalCache cache)
    {
        var changes = new List<EntityChange>();
        var missing = new List<int>();
        _pendingChanges ??= new RawStatement(Connection, """
            SELECT seq, entity_id, at FROM changes
            WHERE seq > max(coalesce((SELECT acknowledged FROM change_consumers WHERE name = ?1), 0), ?2)
            ORDER BY seq LIMIT ?3
            """);
        try
        {
            _pendingChanges.Bind(1, consumer).Bind(2, after).Bind(3, max);
            while (_pendingChanges.Step())
            {
                var sequence = _pendingChanges.Int64(0);
                if (cache.Find(sequence) is { } cached)
                {
                    changes.Add(new EntityChange(tenant, sequence, cached.EntityId, DateTimeOffset.FromUnixTimeMilliseconds(cached.At), cached.Before, cached.After));
                    continue;
                }
                missing.Add(changes.Count);
                changes.Add(new EntityChange(tenant, sequence, _pendingChanges.Text(1), DateTimeOffset.FromUnixTimeMilliseconds(_pendingChanges.Int64(2)), null, null));
            }
        }
        finally
        {
            _pendingChanges.Reset();
        }
        foreach (var index in missing) changes[index] = Decoded(changes[index]);
        return changes;
    }

    private RawStatement? _pendingChanges;
    private RawStatement? _changeDocuments;

    /// <summary>The change with its documents read from its journal row (<see cref="EntityChange.Unreadable"/> when they cannot be).</summary>
    private EntityChange Decoded(EntityChange change)
    {
        _changeDocuments ??= new RawStatement(Connection, "SELECT before, after FROM changes WHERE seq = ?1");
        try
        {
            if (!_changeDocuments.Bind(1, change.Sequence).Step()) return change with { Unreadable = "The stored change is gone from the journal." };
            return change with
            {
                Before = _changeDocuments.IsNull(0) ? null : EntityDocument.Deserialize(_changeDocuments.Blob(0)),
                After = _changeDocuments.IsNull(1) ? null : EntityDocument.Deserialize(_changeDocuments.Blob(1)),
            };
        }
        catch (Exception error) when (error is JsonException or FormatException or InvalidOperationException or ArgumentException or OverflowException)
        {
            return change with { Unreadable = $"The stored change cannot be read: {error.Message}" };
        }
        finally
        {
            _changeDocuments.Reset();
        }
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
        _pendingChanges?.Dispose();
        _changeDocuments?.Dispose();
        foreach (var statement in _queries.Values) statement.Dispose();
        _statements.Dispose();
        Connection.Dispose();
    }
}
