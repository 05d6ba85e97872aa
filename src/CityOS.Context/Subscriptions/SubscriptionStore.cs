using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CityOS.Context.Subscriptions;

/// <summary>A subscription as stored: the client's document, its @context, and its delivery counters.</summary>
public sealed record StoredSubscription(
    string? Tenant, string Id, JsonObject Document, JsonNode? Context, DateTimeOffset CreatedAt, DateTimeOffset ModifiedAt,
    long TimesSent, long TimesFailed, DateTimeOffset? LastNotification, DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure,
    Core.Security.CallerIdentity? Owner = null)
{
    /// <summary>The subscription as it is saved (no deliveries counted).</summary>
    public static StoredSubscription Of(Subscription subscription) => new(subscription.Tenant, subscription.Id, subscription.Document,
        subscription.Context, subscription.CreatedAt, subscription.ModifiedAt, 0, 0, null, null, null, subscription.Owner);
}

/// <summary>
/// The embedded <see cref="ISubscriptionStore"/>: subscriptions.db in the data directory (SQLite, WAL, synchronous=FULL).
/// All writes go through one writer that groups them into one commit.
/// </summary>
public sealed class SubscriptionStore : ISubscriptionStore, IAsyncDisposable
{
    private const int MaxOperationsPerCommit = 4096;

    private readonly SqliteConnection _write;
    private readonly global::CityOS.Storage.Sqlite.SqliteStatementCache _statements;
    private readonly string _connectionString;
    private readonly Channel<Operation> _operations = Channel.CreateUnbounded<Operation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly ILogger _logger;
    private readonly System.Collections.Concurrent.ConcurrentQueue<long> _delivered = new();
    private int _deleteScheduled;

    public SubscriptionStore(string path, ILogger logger)
    {
        _logger = logger;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        _write = new SqliteConnection(_connectionString);
        _write.Open();
        Execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS subscriptions(
                tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, context TEXT,
                created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL,
                times_sent INTEGER NOT NULL DEFAULT 0, times_failed INTEGER NOT NULL DEFAULT 0,
                last_notification INTEGER, last_success INTEGER, last_failure INTEGER, owner TEXT,
                PRIMARY KEY(tenant, id));
            CREATE TABLE IF NOT EXISTS deliveries(
                seq INTEGER PRIMARY KEY, tenant TEXT NOT NULL, subscription_id TEXT NOT NULL, receiver TEXT NOT NULL,
                headers TEXT NOT NULL, qos INTEGER NOT NULL, payload BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                caused_at INTEGER NOT NULL, notified_at_offset INTEGER NOT NULL DEFAULT -1, order_key TEXT NOT NULL DEFAULT '');
            CREATE TABLE IF NOT EXISTS feed_positions(tenant TEXT PRIMARY KEY, seq INTEGER NOT NULL);
            """);
        // Files written by an earlier version.
        global::CityOS.Storage.Sqlite.SqliteMigrations.AddColumnIfMissing(_write, "deliveries", "notified_at_offset", "INTEGER NOT NULL DEFAULT -1");
        global::CityOS.Storage.Sqlite.SqliteMigrations.AddColumnIfMissing(_write, "deliveries", "order_key", "TEXT NOT NULL DEFAULT ''");
        global::CityOS.Storage.Sqlite.SqliteMigrations.AddColumnIfMissing(_write, "subscriptions", "owner", "TEXT");
        _statements = new global::CityOS.Storage.Sqlite.SqliteStatementCache(_write);
        _writer = Task.Run(WriterLoopAsync);
    }

    private long _deliveriesWritten;

    public long DeliveriesWritten => Interlocked.Read(ref _deliveriesWritten);

    private static string KeyOf(string? tenant) => ISubscriptionStore.KeyOf(tenant);

    private static string? TenantOf(string key) => key.Length == 0 ? null : key;

    /// <summary>Whether subscriptions.db answers (the readiness probe).</summary>
    public ValueTask<bool> PingAsync(CancellationToken ct) => ValueTask.FromResult(Ping());

    private bool Ping()
    {
        try
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            return Convert.ToInt64(command.ExecuteScalar()) == 1;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    public async ValueTask<IReadOnlyList<StoredSubscription>> LoadSubscriptionsAsync(CancellationToken ct)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT tenant, id, doc, context, created_at, modified_at, times_sent, times_failed, last_notification, last_success, last_failure, owner FROM subscriptions ORDER BY created_at, id";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<StoredSubscription>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(new StoredSubscription(TenantOf(reader.GetString(0)), reader.GetString(1), JsonNode.Parse(reader.GetString(2))!.AsObject(),
                reader.IsDBNull(3) ? null : JsonNode.Parse(reader.GetString(3)),
                Time(reader.GetInt64(4)), Time(reader.GetInt64(5)), reader.GetInt64(6), reader.GetInt64(7),
                OptionalTime(reader, 8), OptionalTime(reader, 9), OptionalTime(reader, 10),
                reader.IsDBNull(11) ? null : Access.CallerSnapshot.Read(reader.GetString(11))));
        }
        return list;
    }

    public async IAsyncEnumerable<Delivery> LoadDeliveriesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {DeliveryColumns} FROM deliveries ORDER BY seq";
        await foreach (var delivery in ReadDeliveriesAsync(command, ct)) yield return delivery;
    }

    public async ValueTask<IReadOnlyList<Delivery>> LoadDeliveriesAsync(string receiver, long fromSeq, int max, CancellationToken ct)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {DeliveryColumns} FROM deliveries WHERE seq >= $from AND receiver = $r ORDER BY seq LIMIT $max";
        command.Parameters.AddWithValue("$from", fromSeq);
        command.Parameters.AddWithValue("$r", receiver);
        command.Parameters.AddWithValue("$max", max);
        var deliveries = new List<Delivery>();
        await foreach (var delivery in ReadDeliveriesAsync(command, ct)) deliveries.Add(delivery);
        return deliveries;
    }

    private const string DeliveryColumns = "seq, tenant, subscription_id, receiver, headers, qos, payload, attempts, caused_at, notified_at_offset, order_key";

    private static async IAsyncEnumerable<Delivery> ReadDeliveriesAsync(SqliteCommand command, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return new Delivery
            {
                Seq = reader.GetInt64(0),
                Tenant = TenantOf(reader.GetString(1)),
                SubscriptionId = reader.GetString(2),
                Receiver = reader.GetString(3),
                Headers = JsonSerializer.Deserialize<List<KeyValuePair<string, string>>>(reader.GetString(4))!,
                Qos = reader.GetInt32(5),
                Payload = (byte[])reader[6],
                Attempts = reader.GetInt32(7),
                CausedAt = Time(reader.GetInt64(8)),
                NotifiedAtOffset = reader.GetInt32(9),
                OrderKey = reader.GetString(10),
                InOutbox = true,
            };
        }
    }

    public async ValueTask<long> MaxDeliverySeqAsync(CancellationToken ct)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(seq), 0) FROM deliveries";
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }

    public async ValueTask<IReadOnlyDictionary<string, long>> LoadPositionsAsync(CancellationToken ct)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT tenant, seq FROM feed_positions";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var positions = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) positions[reader.GetString(0)] = reader.GetInt64(1);
        return positions;
    }

    public Task SaveSubscriptionAsync(StoredSubscription subscription) => Submit(true, transaction =>
    {
        var command = Command(transaction, """
            INSERT INTO subscriptions(tenant, id, doc, context, created_at, modified_at, owner) VALUES($t, $id, $doc, $ctx, $c, $m, $o)
                ON CONFLICT(tenant, id) DO UPDATE SET doc = excluded.doc, context = excluded.context, modified_at = excluded.modified_at
            """);
        command.Parameters.AddWithValue("$t", KeyOf(subscription.Tenant));
        command.Parameters.AddWithValue("$id", subscription.Id);
        command.Parameters.AddWithValue("$doc", subscription.Document.ToJsonString());
        command.Parameters.AddWithValue("$ctx", (object?)subscription.Context?.ToJsonString() ?? DBNull.Value);
        command.Parameters.AddWithValue("$c", subscription.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$m", subscription.ModifiedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$o", subscription.Owner is { } owner ? Access.CallerSnapshot.Write(owner) : DBNull.Value);
        command.ExecuteNonQuery();
    })!;

    public Task DeleteSubscriptionAsync(string? tenant, string id) => Submit(true, transaction =>
    {
        var command = Command(transaction, "DELETE FROM subscriptions WHERE tenant = $t AND id = $id");
        command.Parameters.AddWithValue("$t", KeyOf(tenant));
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    })!;

    public Task EnqueueAsync(IReadOnlyList<Delivery> deliveries, IReadOnlyList<KeyValuePair<string?, long>> journalPositions) => Submit(true, transaction =>
    {
        if (deliveries.Count > 0)
        {
            var insert = Command(transaction, """
                INSERT INTO deliveries(seq, tenant, subscription_id, receiver, headers, qos, payload, attempts, caused_at, notified_at_offset, order_key)
                VALUES($seq, $t, $sub, $r, $h, $q, $p, 0, $at, $n, $k)
                """);
            var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
            var t = insert.Parameters.Add("$t", SqliteType.Text);
            var sub = insert.Parameters.Add("$sub", SqliteType.Text);
            var receiver = insert.Parameters.Add("$r", SqliteType.Text);
            var headers = insert.Parameters.Add("$h", SqliteType.Text);
            var qos = insert.Parameters.Add("$q", SqliteType.Integer);
            var payload = insert.Parameters.Add("$p", SqliteType.Blob);
            var at = insert.Parameters.Add("$at", SqliteType.Integer);
            var notifiedAt = insert.Parameters.Add("$n", SqliteType.Integer);
            var orderKey = insert.Parameters.Add("$k", SqliteType.Text);
            foreach (var delivery in deliveries)
            {
                if (!delivery.ClaimForOutbox()) continue;
                seq.Value = delivery.Seq;
                t.Value = KeyOf(delivery.Tenant);
                sub.Value = delivery.SubscriptionId;
                receiver.Value = delivery.Receiver;
                headers.Value = JsonSerializer.Serialize(delivery.Headers);
                qos.Value = delivery.Qos;
                payload.Value = delivery.Payload;
                at.Value = delivery.CausedAt.ToUnixTimeMilliseconds();
                notifiedAt.Value = delivery.NotifiedAtOffset;
                orderKey.Value = delivery.OrderKey;
                insert.ExecuteNonQuery();
                Interlocked.Increment(ref _deliveriesWritten);
            }
        }
        foreach (var (tenant, position) in journalPositions)
        {
            var command = Command(transaction, """
                INSERT INTO feed_positions(tenant, seq) VALUES($t, $s) ON CONFLICT(tenant) DO UPDATE SET seq = max(seq, excluded.seq)
                """);
            command.Parameters.AddWithValue("$t", KeyOf(tenant));
            command.Parameters.AddWithValue("$s", position);
            command.ExecuteNonQuery();
        }
    })!;

    /// <summary>Grouped: one writer operation removes every delivery finished since the last one; a lost delete only means one more delivery after a crash.</summary>
    public void Finished(Delivery delivery)
    {
        if (!delivery.FinishAndNeedsDelete()) return;
        _delivered.Enqueue(delivery.Seq);
        if (Interlocked.Exchange(ref _deleteScheduled, 1) == 1) return;
        Submit(false, transaction =>
        {
            Volatile.Write(ref _deleteScheduled, 0);
            var command = Command(transaction, "DELETE FROM deliveries WHERE seq = $s");
            var parameter = command.Parameters.Add("$s", SqliteType.Integer);
            while (_delivered.TryDequeue(out var done))
            {
                parameter.Value = done;
                command.ExecuteNonQuery();
            }
        });
    }

    public void Attempted(long seq, int attempts) => Submit(false, transaction =>
    {
        var command = Command(transaction, "UPDATE deliveries SET attempts = $a WHERE seq = $s");
        command.Parameters.AddWithValue("$s", seq);
        command.Parameters.AddWithValue("$a", attempts);
        command.ExecuteNonQuery();
    });

    public void SaveCounters(string? tenant, string id, SubscriptionState state)
    {
        var (sent, failed, last, success, failure) = state.Snapshot();
        Submit(false, transaction =>
        {
            var command = Command(transaction, """
                UPDATE subscriptions SET times_sent = $s, times_failed = $f, last_notification = $l, last_success = $ok, last_failure = $ko
                WHERE tenant = $t AND id = $id
                """);
            command.Parameters.AddWithValue("$t", KeyOf(tenant));
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$s", sent);
            command.Parameters.AddWithValue("$f", failed);
            command.Parameters.AddWithValue("$l", (object?)last?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            command.Parameters.AddWithValue("$ok", (object?)success?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            command.Parameters.AddWithValue("$ko", (object?)failure?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            command.ExecuteNonQuery();
        });
    }

    private Task? Submit(bool awaited, Action<SqliteTransaction> apply)
    {
        var operation = new Operation(apply, awaited ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null);
        if (!_operations.Writer.TryWrite(operation))
        {
            if (awaited) throw new InvalidOperationException("The subscription store is shutting down.");
            return null;
        }
        return operation.Completion?.Task;
    }

    private async Task WriterLoopAsync()
    {
        var batch = new List<Operation>();
        while (await _operations.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxOperationsPerCommit && _operations.Reader.TryRead(out var operation)) batch.Add(operation);
            try
            {
                using var transaction = _write.BeginTransaction();
                foreach (var operation in batch) operation.Apply(transaction);
                transaction.Commit();
                foreach (var operation in batch) operation.Completion?.TrySetResult();
            }
            catch (SqliteException e)
            {
                _logger.LogError(e, "Writing subscriptions.db failed");
                foreach (var operation in batch) operation.Completion?.TrySetException(e);
            }
        }
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private void Execute(string sql)
    {
        using var command = _write.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>A command of the writer connection (prepared once, kept by the cache: not to be disposed).</summary>
    private SqliteCommand Command(SqliteTransaction transaction, string sql) => _statements.Get(sql, transaction);

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? OptionalTime(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Time(reader.GetInt64(ordinal));

    public async ValueTask DisposeAsync()
    {
        _operations.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        _statements.Dispose();
        await _write.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record Operation(Action<SqliteTransaction> Apply, TaskCompletionSource? Completion);
}
