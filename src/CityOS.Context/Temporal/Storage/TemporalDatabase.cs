using System.Text.Json;
using CityOS.Context.Model;
using Microsoft.Data.Sqlite;

namespace CityOS.Context.Temporal.Storage;

/// <summary>One tenant's temporal SQLite file: one writer at a time, readers (a bounded pool of connections) concurrent with it (WAL).</summary>
internal sealed class TemporalDatabase : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS entities(
            id TEXT PRIMARY KEY, types TEXT NOT NULL, scopes TEXT, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, deleted_at INTEGER) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS series(
            id INTEGER PRIMARY KEY, entity_id TEXT NOT NULL, attribute TEXT NOT NULL, UNIQUE(entity_id, attribute));
        CREATE TABLE IF NOT EXISTS instances(
            id INTEGER PRIMARY KEY, series INTEGER NOT NULL, instance_id TEXT NOT NULL, dataset_id TEXT, kind INTEGER NOT NULL,
            value TEXT, number REAL, details TEXT,
            observed_at INTEGER NOT NULL, has_observed INTEGER NOT NULL, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, deleted_at INTEGER);
        CREATE UNIQUE INDEX IF NOT EXISTS instances_instance_id ON instances(instance_id);
        CREATE INDEX IF NOT EXISTS instances_observed ON instances(series, observed_at, number, dataset_id, kind, deleted_at);
        CREATE INDEX IF NOT EXISTS instances_created ON instances(series, created_at);
        CREATE INDEX IF NOT EXISTS instances_modified ON instances(series, modified_at);
        CREATE TABLE IF NOT EXISTS journal(id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS purged(id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
        """;

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Lock _writeLock = new();
    private readonly global::CityOS.Storage.Sqlite.BoundedPool<SqliteConnection> _readers;
    private readonly Dictionary<(string Entity, string Attribute), long> _seriesIds = new();
    private readonly global::CityOS.Storage.Sqlite.SqliteStatementCache _statements;

    public TemporalDatabase(string path, int maxReaders)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        _readers = new(maxReaders, Open);
        _writer = Open();
        try
        {
            Execute(_writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
            Execute(_writer, Schema);
            global::CityOS.Storage.Sqlite.SqliteMigrations.AddColumnIfMissing(_writer, "entities", "deleted_at", "INTEGER");
            global::CityOS.Storage.Sqlite.SqliteMigrations.AddColumnIfMissing(_writer, "instances", "deleted_at", "INTEGER");
            _statements = new global::CityOS.Storage.Sqlite.SqliteStatementCache(_writer);
        }
        catch
        {
            _writer.Dispose();
            throw;
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout=10000; PRAGMA cache_size=-16000;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The connection whose read transaction the current asynchronous flow reads in (see <see cref="InSnapshotAsync{T}"/>).</summary>
    private readonly AsyncLocal<SqliteConnection?> _snapshot = new();

    /// <summary>
    /// Runs <paramref name="read"/> so that every <see cref="Read{T}"/> it makes (awaited calls included) goes to one connection
    /// inside one read transaction: all of them see the same committed state, whatever the writer commits meanwhile.
    /// </summary>
    public async Task<T> InSnapshotAsync<T>(Func<Task<T>> read)
    {
        if (_snapshot.Value is not null) return await read().ConfigureAwait(false);
        var connection = _readers.Take();
        try
        {
            // A plain BEGIN (not BeginTransaction) so that the read commands need no transaction object; WAL pins the
            // snapshot at the first read and keeps it until the end of the transaction.
            Execute(connection, "BEGIN");
            _snapshot.Value = connection;
            try
            {
                return await read().ConfigureAwait(false);
            }
            finally
            {
                _snapshot.Value = null;
                Execute(connection, "COMMIT");
            }
        }
        finally
        {
            _readers.Return(connection);
        }
    }

    public T Read<T>(Func<SqliteConnection, T> read)
    {
        if (_snapshot.Value is { } pinned) return read(pinned);
        var connection = _readers.Take();
        try
        {
            return read(connection);
        }
        finally
        {
            _readers.Return(connection);
        }
    }

    public T Write<T>(Func<WriteTransaction, T> write)
    {
        lock (_writeLock)
        {
            using var transaction = _writer.BeginTransaction();
            try
            {
                var session = new WriteTransaction(_statements, transaction, _seriesIds);
                var result = write(session);
                transaction.Commit();
                return result;
            }
            catch
            {
                _seriesIds.Clear();
                throw;
            }
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            _statements.Dispose();
            _writer.Dispose();
        }
        _readers.Dispose();
    }

    /// <summary>One write transaction; its statements come from the writer's cache (prepared once per connection).</summary>
    internal sealed class WriteTransaction(global::CityOS.Storage.Sqlite.SqliteStatementCache statements, SqliteTransaction transaction, Dictionary<(string, string), long> seriesIds)
    {
        private SqliteCommand? _insertInstance;

        private SqliteCommand Command(string sql) => statements.Get(sql, transaction);

        public bool Append(TemporalWrite write)
        {
            bool created;
            var exists = Command("SELECT 1 FROM entities WHERE id = $id");
            exists.Parameters.AddWithValue("$id", write.EntityId);
            created = exists.ExecuteScalar() is null;
            var upsert = Command("""
                INSERT INTO entities(id, types, scopes, created_at, modified_at, deleted_at) VALUES ($id, $types, $scopes, $at, $at, $deleted)
                ON CONFLICT(id) DO UPDATE SET types = excluded.types, scopes = coalesce(excluded.scopes, scopes), modified_at = max(modified_at, excluded.modified_at),
                    deleted_at = excluded.deleted_at
                """);
            upsert.Parameters.AddWithValue("$id", write.EntityId);
            upsert.Parameters.AddWithValue("$types", JsonSerializer.Serialize(write.Types));
            upsert.Parameters.AddWithValue("$scopes", write.Scopes is null ? DBNull.Value : JsonSerializer.Serialize(write.Scopes));
            upsert.Parameters.AddWithValue("$at", write.At.ToUnixTimeMilliseconds());
            upsert.Parameters.AddWithValue("$deleted", (object?)write.DeletedAt?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            upsert.ExecuteNonQuery();
            foreach (var (attribute, instance) in write.Instances) Insert(Series(write.EntityId, attribute), instance);
            return created;
        }

        private long Series(string entityId, string attribute)
        {
            if (seriesIds.TryGetValue((entityId, attribute), out var id)) return id;
            var insert = Command("""
                INSERT INTO series(entity_id, attribute) VALUES ($e, $a) ON CONFLICT DO NOTHING;
                SELECT id FROM series WHERE entity_id = $e AND attribute = $a;
                """);
            insert.Parameters.AddWithValue("$e", entityId);
            insert.Parameters.AddWithValue("$a", attribute);
            id = (long)insert.ExecuteScalar()!;
            if (seriesIds.Count > 100_000) seriesIds.Clear();
            seriesIds[(entityId, attribute)] = id;
            return id;
        }

        private void Insert(long series, StoredInstance instance)
        {
            if (_insertInstance is null)
            {
                _insertInstance = Command("""
                    INSERT INTO instances(series, instance_id, dataset_id, kind, value, number, details, observed_at, has_observed, created_at, modified_at, deleted_at)
                    VALUES ($s, $iid, $d, $k, $v, $n, $x, $o, $ho, $c, $m, $del)
                    """);
                foreach (var name in new[] { "$s", "$iid", "$d", "$k", "$v", "$n", "$x", "$o", "$ho", "$c", "$m", "$del" }) _insertInstance.Parameters.Add(new SqliteParameter(name, null));
            }
            var data = instance.Data;
            var p = _insertInstance.Parameters;
            p[0].Value = series;
            p[1].Value = instance.InstanceId;
            p[2].Value = (object?)data.DatasetId ?? DBNull.Value;
            p[3].Value = (int)data.Kind;
            p[4].Value = (object?)InstanceCodec.Value(data) ?? DBNull.Value;
            p[5].Value = (object?)InstanceCodec.Number(data) ?? DBNull.Value;
            p[6].Value = (object?)InstanceCodec.Details(data) ?? DBNull.Value;
            p[7].Value = StoredInstance.TimeOf(data, TimeProperty.ObservedAt).ToUnixTimeMilliseconds();
            p[8].Value = data.ObservedAt is null ? 0 : 1;
            p[9].Value = data.CreatedAt.ToUnixTimeMilliseconds();
            p[10].Value = data.ModifiedAt.ToUnixTimeMilliseconds();
            p[11].Value = (object?)instance.DeletedAt?.ToUnixTimeMilliseconds() ?? DBNull.Value;
            _insertInstance.ExecuteNonQuery();
        }

        /// <summary>
        /// Records history from the journal, unless the temporal API deleted the entity after the change was made: history
        /// is recorded asynchronously, so the markers of a core DELETE can arrive after a temporal DELETE that followed it.
        /// </summary>
        public void Record(TemporalWrite write)
        {
            var purged = Command("SELECT at FROM purged WHERE id = $id");
            purged.Parameters.AddWithValue("$id", write.EntityId);
            if (purged.ExecuteScalar() is long at)
            {
                if (write.At.ToUnixTimeMilliseconds() <= at) return;
                var forget = Command("DELETE FROM purged WHERE id = $id");
                forget.Parameters.AddWithValue("$id", write.EntityId);
                forget.ExecuteNonQuery();
            }
            Append(write);
        }

        public void SetPosition(long position)
        {
            var command = Command("INSERT INTO journal(id, position) VALUES (1, $p) ON CONFLICT(id) DO UPDATE SET position = max(position, excluded.position)");
            command.Parameters.AddWithValue("$p", position);
            command.ExecuteNonQuery();
        }

        public bool DeleteEntity(string id, DateTimeOffset at)
        {
            var command = Command("""
                DELETE FROM instances WHERE series IN (SELECT id FROM series WHERE entity_id = $id);
                DELETE FROM series WHERE entity_id = $id;
                DELETE FROM entities WHERE id = $id;
                """);
            command.Parameters.AddWithValue("$id", id);
            var deleted = command.ExecuteNonQuery() > 0;
            seriesIds.Clear();
            if (deleted)
            {
                var purge = Command("INSERT INTO purged(id, at) VALUES ($id, $at) ON CONFLICT(id) DO UPDATE SET at = max(at, excluded.at)");
                purge.Parameters.AddWithValue("$id", id);
                purge.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
                purge.ExecuteNonQuery();
            }
            return deleted;
        }

        public int DeleteAttribute(string id, string attribute, string? datasetId, bool deleteAll)
        {
            var condition = deleteAll ? "" : datasetId is null ? " AND dataset_id IS NULL" : " AND dataset_id = $d";
            var command = Command($"DELETE FROM instances WHERE series = (SELECT id FROM series WHERE entity_id = $e AND attribute = $a){condition}");
            command.Parameters.AddWithValue("$e", id);
            command.Parameters.AddWithValue("$a", attribute);
            if (datasetId is not null) command.Parameters.AddWithValue("$d", datasetId);
            return command.ExecuteNonQuery();
        }

        public bool DeleteInstance(string id, string attribute, string instanceId)
        {
            var command = Command("DELETE FROM instances WHERE instance_id = $i AND series = (SELECT id FROM series WHERE entity_id = $e AND attribute = $a)");
            command.Parameters.AddWithValue("$i", instanceId);
            command.Parameters.AddWithValue("$e", id);
            command.Parameters.AddWithValue("$a", attribute);
            return command.ExecuteNonQuery() > 0;
        }

        public bool ReplaceInstance(string id, string attribute, string instanceId, NgsiAttribute data)
        {
            var command = Command("""
                UPDATE instances SET dataset_id = coalesce($d, dataset_id), kind = $k, value = $v, number = $n, details = $x,
                    observed_at = coalesce($o, observed_at), has_observed = max(has_observed, $ho), modified_at = $m
                WHERE instance_id = $i AND series = (SELECT id FROM series WHERE entity_id = $e AND attribute = $a)
                """);
            command.Parameters.AddWithValue("$d", (object?)data.DatasetId ?? DBNull.Value);
            command.Parameters.AddWithValue("$k", (int)data.Kind);
            command.Parameters.AddWithValue("$v", (object?)InstanceCodec.Value(data) ?? DBNull.Value);
            command.Parameters.AddWithValue("$n", (object?)InstanceCodec.Number(data) ?? DBNull.Value);
            command.Parameters.AddWithValue("$x", (object?)InstanceCodec.Details(data) ?? DBNull.Value);
            command.Parameters.AddWithValue("$o", (object?)data.ObservedAt?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            command.Parameters.AddWithValue("$ho", data.ObservedAt is null ? 0 : 1);
            command.Parameters.AddWithValue("$m", data.ModifiedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$i", instanceId);
            command.Parameters.AddWithValue("$e", id);
            command.Parameters.AddWithValue("$a", attribute);
            return command.ExecuteNonQuery() > 0;
        }

        public int Prune(string id, DateTimeOffset olderThan)
        {
            var command = Command("DELETE FROM instances WHERE series IN (SELECT id FROM series WHERE entity_id = $e) AND observed_at < $t");
            command.Parameters.AddWithValue("$e", id);
            command.Parameters.AddWithValue("$t", olderThan.ToUnixTimeMilliseconds());
            return command.ExecuteNonQuery();
        }
    }
}
