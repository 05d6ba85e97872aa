using Microsoft.Extensions.Options;
using System.Collections.Concurrent;
using System.Text.Json;
using CityOS.Context.Model;
using CityOS.Context.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using CityOS.Core.Hosting;

namespace CityOS.Context.Temporal.Storage;

/// <summary>
/// The embedded temporal store: one SQLite file (WAL) per tenant under &lt;DataDirectory&gt;/temporal,
/// default.db for the default tenant and tenants/NAME.db for the others. Instances are grouped in series
/// (entity, attribute) and indexed by (series, time) for each timeproperty.
/// </summary>
public sealed class SqliteTemporalStore : ITemporalStore, IDisposable
{
    private const string DefaultTenantKey = "";
    private readonly ConcurrentDictionary<string, Lazy<TemporalDatabase>> _databases = new(StringComparer.Ordinal);
    private readonly string _directory;
    private readonly string _tenantDirectory;

    private readonly int _maxReaders;

    public SqliteTemporalStore(DataDirectory dataDirectory, IOptions<SqliteStoreOptions>? storage = null)
    {
        _maxReaders = (storage?.Value ?? new SqliteStoreOptions()).MaxReadConnections;
        _directory = dataDirectory.Combine("temporal");
        _tenantDirectory = Path.Combine(_directory, "tenants");
        Directory.CreateDirectory(_tenantDirectory);
    }

    private TemporalDatabase? Database(string? tenant, bool create)
    {
        var key = tenant ?? DefaultTenantKey;
        if (_databases.TryGetValue(key, out var existing)) return existing.Value;
        var path = tenant is null ? Path.Combine(_directory, "default.db") : Path.Combine(_tenantDirectory, TenantNames.FileName(tenant));
        if (!create && !File.Exists(path)) return null;
        return _databases.GetOrAdd(key, _ => new Lazy<TemporalDatabase>(() => new TemporalDatabase(path, _maxReaders))).Value;
    }

    public ValueTask<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            return new(Database(null, create: true)!.Read(c => Scalar(c, "SELECT 1") is long one && one == 1));
        }
        catch (SqliteException)
        {
            return new(false);
        }
    }

    public ValueTask<bool> AppendAsync(string? tenant, TemporalWrite write, CancellationToken ct) =>
        new(Database(tenant, create: true)!.Write(tx => tx.Append(write)));

    public ValueTask RecordAsync(string? tenant, IReadOnlyList<TemporalWrite> writes, long journalPosition, CancellationToken ct)
    {
        Database(tenant, create: true)!.Write(tx =>
        {
            foreach (var write in writes) tx.Record(write);
            tx.SetPosition(journalPosition);
            return true;
        });
        return ValueTask.CompletedTask;
    }

    public Task<T> InSnapshotAsync<T>(string? tenant, Func<Task<T>> read) =>
        Database(tenant, create: false) is { } database ? database.InSnapshotAsync(read) : read();

    public ValueTask<long> RecordedPositionAsync(string? tenant, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Read(c => Scalar(c, "SELECT position FROM journal WHERE id = 1") is long p ? p : 0L) ?? 0L);

    public ValueTask<TemporalEntityHead?> GetEntityAsync(string? tenant, string id, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Read(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "SELECT id, types, scopes, created_at, modified_at, deleted_at FROM entities WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? Head(reader) : null;
        }));

    public ValueTask<IReadOnlyList<TemporalEntityHead>> FindEntitiesAsync(string? tenant, IReadOnlyList<string>? ids, IReadOnlyList<string>? attributes, TimeFilter filter, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Read(c =>
        {
            using var command = c.CreateCommand();
            var sql = new System.Text.StringBuilder("SELECT e.id, e.types, e.scopes, e.created_at, e.modified_at, e.deleted_at FROM entities e WHERE ");
            if (ids is not null)
            {
                sql.Append("e.id IN (").Append(string.Join(",", ids.Select((_, i) => "$id" + i))).Append(") AND ");
                for (var i = 0; i < ids.Count; i++) command.Parameters.AddWithValue("$id" + i, ids[i]);
            }
            sql.Append("EXISTS (SELECT 1 FROM series s JOIN instances i ON i.series = s.id WHERE s.entity_id = e.id");
            if (attributes is not null)
            {
                sql.Append(" AND s.attribute IN (").Append(string.Join(",", attributes.Select((_, i) => "$a" + i))).Append(')');
                for (var i = 0; i < attributes.Count; i++) command.Parameters.AddWithValue("$a" + i, attributes[i]);
            }
            sql.Append(TimeCondition(command, filter, "i.")).Append(") ORDER BY e.id");
            command.CommandText = sql.ToString();
            using var reader = command.ExecuteReader();
            var heads = new List<TemporalEntityHead>();
            while (reader.Read()) heads.Add(Head(reader));
            return (IReadOnlyList<TemporalEntityHead>)heads;
        }) ?? []);

    public ValueTask<IReadOnlyList<string>> AttributesAsync(string? tenant, string id, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Read(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "SELECT attribute FROM series s WHERE entity_id = $id AND EXISTS (SELECT 1 FROM instances i WHERE i.series = s.id) ORDER BY s.id";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            var names = new List<string>();
            while (reader.Read()) names.Add(reader.GetString(0));
            return (IReadOnlyList<string>)names;
        }) ?? []);

    public ValueTask<InstanceSlice> ReadInstancesAsync(string? tenant, string id, string attribute, TimeFilter filter, int limit, bool newestFirst, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Read(c =>
        {
            using var command = c.CreateCommand();
            var column = TimeColumn(filter.Property);
            command.CommandText = $"""
                SELECT instance_id, dataset_id, kind, value, details, observed_at, has_observed, created_at, modified_at, deleted_at FROM instances i
                WHERE series = (SELECT id FROM series WHERE entity_id = $e AND attribute = $a){TimeCondition(command, filter, "i.")}
                ORDER BY {column} {(newestFirst ? "DESC" : "ASC")}, id {(newestFirst ? "DESC" : "ASC")} LIMIT $limit
                """;
            command.Parameters.AddWithValue("$e", id);
            command.Parameters.AddWithValue("$a", attribute);
            command.Parameters.AddWithValue("$limit", limit + 1);
            using var reader = command.ExecuteReader();
            var instances = new List<StoredInstance>();
            var truncated = false;
            while (reader.Read())
            {
                if (instances.Count == limit)
                {
                    truncated = true;
                    break;
                }
                instances.Add(Instance(reader));
            }
            return new InstanceSlice(attribute, instances, truncated);
        }) ?? new InstanceSlice(attribute, [], false));

    public ValueTask<IReadOnlyList<TimedValue>> ReadValuesAsync(string? tenant, string id, string attribute, TimeFilter filter, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Read(c =>
        {
            using var command = c.CreateCommand();
            var column = TimeColumn(filter.Property);
            command.CommandText = $"""
                SELECT {column}, dataset_id, kind, number, value FROM instances i
                WHERE series = (SELECT id FROM series WHERE entity_id = $e AND attribute = $a) AND deleted_at IS NULL{TimeCondition(command, filter, "i.")}
                ORDER BY {column}, id
                """;
            command.Parameters.AddWithValue("$e", id);
            command.Parameters.AddWithValue("$a", attribute);
            using var reader = command.ExecuteReader();
            var values = new List<TimedValue>();
            while (reader.Read())
            {
                values.Add(new TimedValue(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                    reader.IsDBNull(1) ? null : reader.GetString(1), (AttributeKind)reader.GetInt32(2),
                    reader.IsDBNull(3) ? null : reader.GetDouble(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
            return (IReadOnlyList<TimedValue>)values;
        }) ?? []);

    public ValueTask<DateTimeOffset?> FirstTimeAsync(string? tenant, string id, string attribute, TimeFilter filter, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Read(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = $"""
                SELECT min({TimeColumn(filter.Property)}) FROM instances i
                WHERE series = (SELECT id FROM series WHERE entity_id = $e AND attribute = $a) AND deleted_at IS NULL{TimeCondition(command, filter, "i.")}
                """;
            command.Parameters.AddWithValue("$e", id);
            command.Parameters.AddWithValue("$a", attribute);
            return command.ExecuteScalar() is long first ? DateTimeOffset.FromUnixTimeMilliseconds(first) : (DateTimeOffset?)null;
        }));

    public ValueTask<IReadOnlyList<PeriodSums>> SumPeriodsAsync(string? tenant, string id, string attribute, TimeFilter filter, DateTimeOffset start, TimeSpan period, bool countDistinct, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Read(c =>
        {
            using var command = c.CreateCommand();
            var column = TimeColumn(filter.Property);
            command.CommandText = $"""
                SELECT dataset_id, min(kind), ({column} - $start) / $period AS p, count(*), {(countDistinct ? "count(DISTINCT value)" : "0")}, count(number),
                       total(number), total(number * number), min(number), max(number), max({column})
                FROM instances i
                WHERE series = (SELECT id FROM series WHERE entity_id = $e AND attribute = $a) AND deleted_at IS NULL{TimeCondition(command, filter, "i.")}
                GROUP BY dataset_id, p ORDER BY dataset_id, p
                """;
            command.Parameters.AddWithValue("$e", id);
            command.Parameters.AddWithValue("$a", attribute);
            command.Parameters.AddWithValue("$start", start.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$period", Math.Max(1L, (long)period.TotalMilliseconds));
            using var reader = command.ExecuteReader();
            var sums = new List<PeriodSums>();
            while (reader.Read())
            {
                sums.Add(new PeriodSums(reader.IsDBNull(0) ? null : reader.GetString(0), (AttributeKind)reader.GetInt32(1), reader.GetInt64(2),
                    reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetDouble(6), reader.GetDouble(7),
                    reader.IsDBNull(8) ? null : reader.GetDouble(8), reader.IsDBNull(9) ? null : reader.GetDouble(9),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(10))));
            }
            return (IReadOnlyList<PeriodSums>)sums;
        }) ?? []);

    public ValueTask<bool> DeleteEntityAsync(string? tenant, string id, DateTimeOffset at, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Write(tx => tx.DeleteEntity(id, at)) ?? false);

    public ValueTask<int> DeleteAttributeAsync(string? tenant, string id, string attribute, string? datasetId, bool deleteAll, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Write(tx => tx.DeleteAttribute(id, attribute, datasetId, deleteAll)) ?? 0);

    public ValueTask<bool> DeleteInstanceAsync(string? tenant, string id, string attribute, string instanceId, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Write(tx => tx.DeleteInstance(id, attribute, instanceId)) ?? false);

    public ValueTask<bool> ReplaceInstanceAsync(string? tenant, string id, string attribute, string instanceId, NgsiAttribute replacement, CancellationToken ct) =>
        new(Database(tenant, create: false)?.Write(tx => tx.ReplaceInstance(id, attribute, instanceId, replacement)) ?? false);

    public ValueTask<IReadOnlyList<string>> ListTenantsAsync(CancellationToken ct) =>
        new(Directory.EnumerateFiles(_tenantDirectory, "*.db").Select(p => TenantNames.FromFileName(Path.GetFileName(p))).Order(StringComparer.Ordinal).ToList());

    public ValueTask<int> PruneAsync(string? tenant, Func<TemporalEntityHead, TimeSpan?> retention, DateTimeOffset now, CancellationToken ct)
    {
        var database = Database(tenant, create: false);
        if (database is null) return ValueTask.FromResult(0);
        var heads = database.Read(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "SELECT id, types, scopes, created_at, modified_at, deleted_at FROM entities";
            using var reader = command.ExecuteReader();
            var list = new List<TemporalEntityHead>();
            while (reader.Read()) list.Add(Head(reader));
            return list;
        });
        var pruned = 0;
        foreach (var head in heads)
        {
            if (retention(head) is not { } keep) continue;
            pruned += database.Write(tx => tx.Prune(head.Id, now - keep));
        }
        return ValueTask.FromResult(pruned);
    }

    internal static string TimeColumn(TimeProperty property) => property switch
    {
        TimeProperty.CreatedAt => "created_at",
        TimeProperty.ModifiedAt => "modified_at",
        TimeProperty.DeletedAt => "deleted_at",
        _ => "observed_at",
    };

    /// <summary>The SQL condition of a time filter; timeproperty=deletedAt selects the deletion markers only.</summary>
    private static string TimeCondition(SqliteCommand command, TimeFilter filter, string alias)
    {
        var deleted = filter.Property == TimeProperty.DeletedAt ? $" AND {alias}deleted_at IS NOT NULL" : "";
        if (filter.DatasetIds is { } datasetIds)
        {
            var named = datasetIds.Where(d => d != "@none").ToList();
            var alternatives = named.Select((_, i) => $"{alias}dataset_id = $ds{i}").ToList();
            for (var i = 0; i < named.Count; i++) command.Parameters.AddWithValue("$ds" + i, named[i]);
            if (named.Count < datasetIds.Count) alternatives.Add($"{alias}dataset_id IS NULL");
            deleted += $" AND ({string.Join(" OR ", alternatives)})";
        }
        if (filter.Relation is null) return deleted;
        var column = alias + TimeColumn(filter.Property);
        command.Parameters.AddWithValue("$t1", filter.At!.Value.ToUnixTimeMilliseconds());
        if (filter.Relation == TimeRelation.Between) command.Parameters.AddWithValue("$t2", filter.EndAt!.Value.ToUnixTimeMilliseconds());
        return deleted + filter.Relation switch
        {
            TimeRelation.Before => $" AND {column} < $t1",
            TimeRelation.After => $" AND {column} >= $t1",
            _ => $" AND {column} >= $t1 AND {column} < $t2",
        };
    }

    private static TemporalEntityHead Head(SqliteDataReader reader) => new(
        reader.GetString(0),
        JsonSerializer.Deserialize<List<string>>(reader.GetString(1))!,
        reader.IsDBNull(2) ? null : JsonSerializer.Deserialize<List<string>>(reader.GetString(2)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)));

    private static StoredInstance Instance(SqliteDataReader reader)
    {
        var data = new NgsiAttribute
        {
            DatasetId = reader.IsDBNull(1) ? null : reader.GetString(1),
            Kind = (AttributeKind)reader.GetInt32(2),
            Value = reader.IsDBNull(3) ? null : System.Text.Json.Nodes.JsonNode.Parse(reader.GetString(3), documentOptions: CityOS.Core.Http.InputLimits.StoredDocument),
            ObservedAt = reader.GetInt64(6) != 0 ? DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)) : null,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)),
            ModifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
        };
        if (!reader.IsDBNull(4)) InstanceCodec.ReadDetails(reader.GetString(4), data);
        return new StoredInstance(reader.GetString(0), data, reader.IsDBNull(9) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)));
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public void Dispose()
    {
        foreach (var database in _databases.Values)
        {
            if (database.IsValueCreated) database.Value.Dispose();
        }
        _databases.Clear();
    }
}
