using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core.Hosting;
using CityOS.Core.Security;
using CityOS.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace CityOS.NgsiV2;

/// <summary>
/// One NGSI-v2 subscription: its tenant, the document as Orion shows it (with counters), whom it reads as, and the
/// service paths of its entities (the Fiware-ServicePath it was created with, every path when none).
/// </summary>
public sealed class V2Subscription(string? tenant, JsonObject document, CallerIdentity owner, V2Paths? paths = null)
{
    public string? Tenant { get; } = tenant;
    public V2Paths Paths { get; } = paths ?? V2Paths.Everything;
    public JsonObject Document { get; set; } = document;
    public CallerIdentity Owner { get; } = owner;
    public string Id => Document["id"]!.GetValue<string>();
    public readonly Lock Gate = new();
}

/// <summary>The v2 subscriptions, held in memory and written to ngsiv2.db in the data directory on every change.</summary>
public sealed class V2SubscriptionStore : IDisposable
{
    private static readonly string[] Migrations =
    [
        "CREATE TABLE subscriptions (tenant TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (tenant, id));",
        "ALTER TABLE subscriptions ADD COLUMN service_path TEXT NOT NULL DEFAULT '/#';",
    ];

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Tenant, string Id), V2Subscription> _all = [];

    public V2SubscriptionStore(DataDirectory data)
    {
        Directory.CreateDirectory(data.Path);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = data.Combine("ngsiv2.db"), Pooling = false }.ToString());
        _connection.Open();
        SqliteMigrations.Apply(_connection, Migrations);
        using var read = _connection.CreateCommand();
        read.CommandText = "SELECT tenant, body, owner, service_path FROM subscriptions ORDER BY rowid";
        using var rows = read.ExecuteReader();
        while (rows.Read())
        {
            var tenant = rows.GetString(0);
            var subscription = new V2Subscription(tenant.Length == 0 ? null : tenant, JsonNode.Parse(rows.GetString(1))!.AsObject(),
                JsonSerializer.Deserialize<CallerIdentity>(rows.GetString(2)) ?? CallerIdentity.Anonymous, V2Paths.Parse(rows.GetString(3), write: false));
            _all[(tenant, subscription.Id)] = subscription;
        }
    }

    public IReadOnlyList<V2Subscription> Of(string? tenant)
    {
        lock (_gate) return _all.Where(p => p.Key.Tenant == (tenant ?? "")).Select(p => p.Value).ToList();
    }

    public V2Subscription? Find(string? tenant, string id)
    {
        lock (_gate) return _all.GetValueOrDefault((tenant ?? "", id));
    }

    /// <summary>Adds or rewrites the subscription.</summary>
    public void Save(V2Subscription subscription)
    {
        string body;
        lock (subscription.Gate) body = subscription.Document.ToJsonString();
        lock (_gate)
        {
            using var write = _connection.CreateCommand();
            write.CommandText = "INSERT INTO subscriptions (tenant, id, body, owner, service_path) VALUES ($t, $i, $b, $o, $p) ON CONFLICT (tenant, id) DO UPDATE SET body = excluded.body";
            write.Parameters.AddWithValue("$t", subscription.Tenant ?? "");
            write.Parameters.AddWithValue("$i", subscription.Id);
            write.Parameters.AddWithValue("$b", body);
            write.Parameters.AddWithValue("$o", JsonSerializer.Serialize(subscription.Owner));
            write.Parameters.AddWithValue("$p", string.Join(',', subscription.Paths.Paths));
            write.ExecuteNonQuery();
            _all[(subscription.Tenant ?? "", subscription.Id)] = subscription;
        }
    }

    public bool Delete(string? tenant, string id)
    {
        lock (_gate)
        {
            using var delete = _connection.CreateCommand();
            delete.CommandText = "DELETE FROM subscriptions WHERE tenant = $t AND id = $i";
            delete.Parameters.AddWithValue("$t", tenant ?? "");
            delete.Parameters.AddWithValue("$i", id);
            delete.ExecuteNonQuery();
            return _all.Remove((tenant ?? "", id));
        }
    }

    public void Dispose() => _connection.Dispose();
}
