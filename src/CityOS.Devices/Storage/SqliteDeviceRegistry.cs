using System.Collections.Concurrent;
using System.Text.Json;
using CityOS.Core.Hosting;
using CityOS.Devices.Model;
using CityOS.Devices.Rules;
using CityOS.Devices.Services;
using CityOS.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using static CityOS.Devices.Storage.SqliteCommands;

namespace CityOS.Devices.Storage;

/// <summary>
/// The registry in <c>devices.db</c> of the data directory. Each record is kept as JSON beside the columns it is looked up
/// by. What every measure looks up (its group, its device) is answered from memory once found, and what every change of
/// the broker looks up (is this entity a device's?) from an index of all devices' entities in memory; every write forgets
/// both. Lookups that find nothing are not remembered, so unknown ids sent in a flood do not fill memory.
/// </summary>
public sealed class SqliteDeviceRegistry : IDeviceRegistry, ICommandStore, IDeviceStateStore, IDisposable
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE service_groups (
            tenant TEXT NOT NULL, service_path TEXT NOT NULL, resource TEXT NOT NULL, apikey TEXT NOT NULL, body TEXT NOT NULL,
            PRIMARY KEY (resource, apikey));
        CREATE INDEX service_groups_scope ON service_groups (tenant, service_path);
        CREATE INDEX service_groups_apikey ON service_groups (apikey);
        CREATE TABLE devices (
            tenant TEXT NOT NULL, service_path TEXT NOT NULL, device_id TEXT NOT NULL, apikey TEXT, body TEXT NOT NULL,
            PRIMARY KEY (tenant, service_path, device_id));
        CREATE INDEX devices_apikey ON devices (apikey, device_id);
        """,
        """
        CREATE TABLE commands (
            apikey TEXT NOT NULL, device_id TEXT NOT NULL, name TEXT NOT NULL, expires INTEGER NOT NULL, delivered INTEGER NOT NULL,
            body TEXT NOT NULL, PRIMARY KEY (apikey, device_id, name));
        CREATE INDEX commands_expires ON commands (expires);
        """,
        """
        CREATE TABLE device_state (
            tenant TEXT NOT NULL, service_path TEXT NOT NULL, device_id TEXT NOT NULL, last_measure INTEGER, measures INTEGER NOT NULL,
            errors INTEGER NOT NULL, PRIMARY KEY (tenant, service_path, device_id));
        CREATE TRIGGER devices_forget_state AFTER DELETE ON devices BEGIN
            DELETE FROM device_state WHERE tenant = old.tenant AND service_path = old.service_path AND device_id = old.device_id;
        END;
        """,
    ];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _connectionString;
    private readonly ConcurrentDictionary<(string, string), Device> _devices = new();
    private readonly ConcurrentDictionary<string, ServiceGroup> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string), ServiceGroup> _groupsByResource = new();
    private readonly Lock _cacheGate = new();
    private volatile Dictionary<(string Tenant, string EntityId), Device>? _byEntity;
    private long _generation;

    public SqliteDeviceRegistry(DataDirectory data)
    {
        Directory.CreateDirectory(data.Path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = data.Combine("devices.db"), Pooling = true }.ToString();
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode = WAL");
        SqliteMigrations.Apply(connection, Migrations);
    }

    public Task AddGroupsAsync(IReadOnlyList<ServiceGroup> groups, CancellationToken ct) => InsertAll(
        groups, "INSERT OR IGNORE INTO service_groups VALUES ($t, $p, $k2, $k, $b)",
        g => (g.Scope, g.Resource, g.Apikey), g => IotAgentException.DuplicateGroup(g.Resource, g.Apikey));

    public Task<(IReadOnlyList<ServiceGroup> Groups, int Count)> ListGroupsAsync(ServiceScope scope, int limit, int offset, CancellationToken ct)
    {
        using var connection = Open();
        var groups = Query<ServiceGroup>(connection,
            "SELECT body FROM service_groups WHERE tenant = $t AND service_path = $p ORDER BY resource, apikey LIMIT $l OFFSET $o", scope, limit, offset);
        var count = Count(connection, "SELECT count(*) FROM service_groups WHERE tenant = $t AND service_path = $p", scope);
        return Task.FromResult<(IReadOnlyList<ServiceGroup>, int)>((groups, count));
    }

    public Task<ServiceGroup?> FindGroupAsync(string resource, string apikey, CancellationToken ct) =>
        Task.FromResult(Cached(_groupsByResource, (resource, apikey), key =>
            One<ServiceGroup>("SELECT body FROM service_groups WHERE resource = $r AND apikey = $k", ("$r", key.Item1), ("$k", key.Item2))));

    public Task<ServiceGroup?> FindGroupByApikeyAsync(string apikey, CancellationToken ct) =>
        Task.FromResult(Cached(_groups, apikey, key =>
            One<ServiceGroup>("SELECT body FROM service_groups WHERE apikey = $k ORDER BY resource LIMIT 1", ("$k", key))));

    public Task<bool> DeleteGroupAsync(ServiceScope scope, string resource, string apikey, CancellationToken ct) => Delete(
        "DELETE FROM service_groups WHERE tenant = $t AND service_path = $p AND resource = $r AND apikey = $k",
        scope, ("$r", resource), ("$k", apikey));

    public Task AddDevicesAsync(IReadOnlyList<Device> devices, CancellationToken ct) => InsertAll(
        devices, "INSERT OR IGNORE INTO devices VALUES ($t, $p, $k2, $k, $b)",
        d => (d.Scope, d.DeviceId, d.Apikey), d => IotAgentException.DuplicateDevice(d.Scope.Service, d.DeviceId));

    public Task<(IReadOnlyList<Device> Devices, int Count)> ListDevicesAsync(ServiceScope scope, int limit, int offset, CancellationToken ct)
    {
        using var connection = Open();
        var devices = Query<Device>(connection,
            "SELECT body FROM devices WHERE tenant = $t AND service_path = $p ORDER BY device_id LIMIT $l OFFSET $o", scope, limit, offset);
        var count = Count(connection, "SELECT count(*) FROM devices WHERE tenant = $t AND service_path = $p", scope);
        return Task.FromResult<(IReadOnlyList<Device>, int)>((devices, count));
    }

    public Task<Device?> GetDeviceAsync(ServiceScope scope, string deviceId, CancellationToken ct) => Task.FromResult(One<Device>(
        "SELECT body FROM devices WHERE tenant = $t AND service_path = $p AND device_id = $d",
        ("$t", scope.Service), ("$p", scope.ServicePath), ("$d", deviceId)));

    public Task<Device?> FindDeviceAsync(string apikey, string deviceId, CancellationToken ct) =>
        Task.FromResult(Cached(_devices, (apikey, deviceId), key =>
            One<Device>("SELECT body FROM devices WHERE apikey = $k AND device_id = $d", ("$k", key.Item1), ("$d", key.Item2))));

    public Task<bool> DeleteDeviceAsync(ServiceScope scope, string deviceId, CancellationToken ct) => Delete(
        "DELETE FROM devices WHERE tenant = $t AND service_path = $p AND device_id = $d", scope, ("$d", deviceId));

    public IReadOnlyList<DeviceStateRow> LoadDeviceStates()
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT tenant, service_path, device_id, last_measure, measures, errors FROM device_state");
        using var reader = command.ExecuteReader();
        var rows = new List<DeviceStateRow>();
        while (reader.Read())
        {
            var last = reader.IsDBNull(3) ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3));
            rows.Add(new DeviceStateRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), new DeviceState(last, reader.GetInt64(4), reader.GetInt64(5))));
        }
        return rows;
    }

    public void SaveDeviceStates(IReadOnlyList<DeviceStateRow> states)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        foreach (var row in states)
        {
            using var upsert = Command(connection,
                "INSERT OR REPLACE INTO device_state SELECT $t, $p, $d, $l, $m, $e WHERE EXISTS "
                + "(SELECT 1 FROM devices WHERE tenant = $t AND service_path = $p AND device_id = $d)",
                ("$t", row.Tenant), ("$p", row.ServicePath), ("$d", row.DeviceId),
                ("$l", (object?)row.State.LastMeasure?.ToUnixTimeMilliseconds() ?? DBNull.Value), ("$m", row.State.Measures), ("$e", row.State.Errors));
            upsert.Transaction = transaction;
            upsert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public Task<Device?> FindDeviceByEntityAsync(string? tenant, string entityId, CancellationToken ct) =>
        Task.FromResult((_byEntity ?? LoadEntityIndex()).GetValueOrDefault((tenant ?? "", entityId)));

    private Dictionary<(string, string), Device> LoadEntityIndex()
    {
        var generation = Interlocked.Read(ref _generation);
        var index = new Dictionary<(string, string), Device>();
        using (var connection = Open())
        {
            using var command = Command(connection, "SELECT tenant, body FROM devices ORDER BY rowid");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var device = JsonSerializer.Deserialize<Device>(reader.GetString(1), Json)!;
                index.TryAdd((reader.GetString(0), device.EntityName), device);
            }
        }
        lock (_cacheGate)
        {
            if (_generation == generation) _byEntity = index;
        }
        return index;
    }

    public Task PutCommandAsync(PendingCommand command, CancellationToken ct)
    {
        using var connection = Open();
        Execute(connection, "INSERT OR REPLACE INTO commands VALUES ($k, $d, $n, $x, $v, $b)", ("$k", command.Apikey), ("$d", command.DeviceId),
            ("$n", command.Name), ("$x", command.Expires.ToUnixTimeMilliseconds()), ("$v", command.Delivered ? 1 : 0), ("$b", JsonSerializer.Serialize(command, Json)));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<PendingCommand>> TakeUndeliveredAsync(string apikey, string deviceId, CancellationToken ct) => Task.FromResult(Take(
        "UPDATE commands SET delivered = 1 WHERE apikey = $k AND device_id = $d AND delivered = 0 RETURNING body",
        ("$k", apikey), ("$d", deviceId)));

    public Task<PendingCommand?> CompleteAsync(string apikey, string deviceId, string name, CancellationToken ct) => Task.FromResult(Take(
        "DELETE FROM commands WHERE apikey = $k AND device_id = $d AND name = $n RETURNING body",
        ("$k", apikey), ("$d", deviceId), ("$n", name)).FirstOrDefault());

    public Task<IReadOnlyList<PendingCommand>> TakeExpiredAsync(DateTimeOffset now, CancellationToken ct) => Task.FromResult(Take(
        "DELETE FROM commands WHERE expires <= $x RETURNING body", ("$x", now.ToUnixTimeMilliseconds())));

    private IReadOnlyList<PendingCommand> Take(string sql, params (string, object)[] parameters)
    {
        using var connection = Open();
        return Bodies(connection, sql, body => JsonSerializer.Deserialize<PendingCommand>(body, Json)!, parameters);
    }

    /// <summary>A record found, remembered unless a write came in the meantime (it may have changed what was read).</summary>
    private T? Cached<TKey, T>(ConcurrentDictionary<TKey, T> cache, TKey key, Func<TKey, T?> load) where TKey : notnull where T : class
    {
        if (cache.TryGetValue(key, out var hit)) return hit;
        var generation = Interlocked.Read(ref _generation);
        var loaded = load(key);
        if (loaded is null) return null;
        lock (_cacheGate)
        {
            if (_generation == generation) cache[key] = loaded;
        }
        return loaded;
    }

    private void Forget()
    {
        lock (_cacheGate)
        {
            _generation++;
            _devices.Clear();
            _groups.Clear();
            _groupsByResource.Clear();
            _byEntity = null;
        }
    }

    public ValueTask<bool> PingAsync(CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT count(*) FROM service_groups WHERE 0");
        return ValueTask.FromResult(Convert.ToInt64(command.ExecuteScalar()) == 0);
    }

    public void Dispose() => SqliteConnection.ClearAllPools();

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 5000");
        return connection;
    }

    /// <summary>Inserts every record in one transaction, or none: the first whose key is taken throws its duplicate error.</summary>
    private Task InsertAll<T>(IReadOnlyList<T> records, string sql, Func<T, (ServiceScope Scope, string Key, string? Apikey)> columns,
        Func<T, IotAgentException> duplicate)
    {
        using var connection = Open();
        try
        {
            using var transaction = connection.BeginTransaction();
            foreach (var record in records)
            {
                var (scope, key, apikey) = columns(record);
                using var insert = Command(connection, sql, ("$t", scope.Service), ("$p", scope.ServicePath), ("$k2", key),
                    ("$k", (object?)apikey ?? DBNull.Value), ("$b", JsonSerializer.Serialize(record, Json)));
                insert.Transaction = transaction;
                if (insert.ExecuteNonQuery() == 0) throw duplicate(record);
            }
            transaction.Commit();
        }
        finally
        {
            Forget();
        }
        return Task.CompletedTask;
    }

    private Task<bool> Delete(string sql, ServiceScope scope, params (string, object)[] parameters)
    {
        using var connection = Open();
        var deleted = Execute(connection, sql, [("$t", scope.Service), ("$p", scope.ServicePath), .. parameters]) > 0;
        Forget();
        return Task.FromResult(deleted);
    }

    private static List<T> Query<T>(SqliteConnection connection, string sql, ServiceScope scope, int limit, int offset) =>
        Bodies(connection, sql, body => JsonSerializer.Deserialize<T>(body, Json)!, ("$t", scope.Service), ("$p", scope.ServicePath), ("$l", limit), ("$o", offset));

    private static int Count(SqliteConnection connection, string sql, ServiceScope scope)
    {
        using var command = Command(connection, sql, ("$t", scope.Service), ("$p", scope.ServicePath));
        return Convert.ToInt32(command.ExecuteScalar());
    }

    private T? One<T>(string sql, params (string, object)[] parameters) where T : class
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar() is string body ? JsonSerializer.Deserialize<T>(body, Json) : null;
    }
}
