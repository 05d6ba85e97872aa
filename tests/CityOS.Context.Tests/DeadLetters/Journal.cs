using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.DeadLetters;
using CityOS.Context.Storage.Sqlite;
using CityOS.Context.Tests.Broker;
using CityOS.Context.Tests.Subscriptions;
using Microsoft.Data.Sqlite;

namespace CityOS.Context.Tests.DeadLetters;

/// <summary>
/// Poison changes written straight into a tenant's change journal, as the store writes its rows, so that they reach the
/// notifier and the history whatever the entity parser accepts; and the dead-letter API as an operator uses it.
/// </summary>
public static class Journal
{
    private const string DefaultContext = "https://uri.etsi.org/ngsi-ld/default-context/";

    /// <summary>An entity document in the store's format, with a temperature whose value is the given JSON text.</summary>
    public static string Document(string id, string type, string temperature)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return $$$"""{"id":"{{{id}}}","type":["{{{DefaultContext}}}{{{type}}}"],"c":{{{now}}},"m":{{{now}}},"a":{"{{{DefaultContext}}}temperature":[{"k":0,"v":{{{temperature}}},"c":{{{now}}},"m":{{{now}}}}]}}""";
    }

    /// <summary>Deeper than the readers of stored documents go (<c>InputLimits.StoredJsonMaxDepth</c>): such a change cannot be read back.</summary>
    public const int DeeperThanStored = 300;

    /// <summary>An array nested <paramref name="depth"/> deep around a number.</summary>
    public static string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);

    private static SqliteConnection Open(string dataDirectory, string tenant)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDirectory, "tenants", TenantNames.FileName(tenant)),
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        connection.Open();
        using var wait = connection.CreateCommand();
        wait.CommandText = "PRAGMA busy_timeout=10000";
        wait.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Appends the creation of an entity with this stored document to the tenant's journal; returns its position.</summary>
    public static long AppendCreation(string dataDirectory, string tenant, string id, string document)
    {
        using var connection = Open(dataDirectory, tenant);
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO changes(entity_id, at, before, after) VALUES($id, $at, NULL, $after); SELECT last_insert_rowid();";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$after", System.Text.Encoding.UTF8.GetBytes(document));
        return Convert.ToInt64(command.ExecuteScalar());
    }

    /// <summary>An operator's repair of the change a dead letter keeps (standing in for a fix of what could not process it).</summary>
    public static void RepairDeadLetter(string dataDirectory, string tenant, long letterId, string document)
    {
        using var connection = Open(dataDirectory, tenant);
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE dead_letters SET after = $after WHERE id = $id";
        command.Parameters.AddWithValue("$id", letterId);
        command.Parameters.AddWithValue("$after", System.Text.Encoding.UTF8.GetBytes(document));
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    public static async Task<JsonArray> DeadLettersAsync(this HttpClient client, string? tenant)
    {
        var response = await client.SendAsync(Ngsi.Request(HttpMethod.Get, DeadLettersApi.Path, tenant: tenant));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsArray();
    }

    public static Task<HttpResponseMessage> RetryDeadLetterAsync(this HttpClient client, long id, string? tenant) =>
        client.SendAsync(Ngsi.Request(HttpMethod.Post, $"{DeadLettersApi.Path}/{id}/retry", tenant: tenant));

    /// <summary>A subscription to the type in the tenant notifying a fresh path of the receiver; returns the path.</summary>
    public static async Task<string> SubscribeToTypeAsync(this SubscriptionHost host, string type, string? tenant, string selector = "")
    {
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}" {{{{selector}}}} }], "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}"}}}
            """, tenant);
        return path;
    }

    /// <summary>Creates an entity of the type with a temperature in the tenant; returns its id.</summary>
    public static async Task<string> CreateEntityAsync(this SubscriptionHost host, string type, string? tenant, string? id = null)
    {
        id ??= Ngsi.Unique(type);
        await host.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$"""{"id": "{{{id}}}", "type": "{{{type}}}", "temperature": {"type": "Property", "value": 20}}""", tenant);
        return id;
    }

    public static string NewTenant(string first) => first + Guid.NewGuid().ToString("N")[..12];

    public static string NewType() => "T" + Guid.NewGuid().ToString("N")[..10];
}

/// <summary>Counts the cityos.deadletters measurements of one tenant.</summary>
public sealed class DeadLetterMeter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    public DeadLetterMeter(string tenant)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DeadLetterQueue.MeterName && instrument.Name == DeadLetterQueue.InstrumentName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "tenant" && Equals(tag.Value, tenant)) Interlocked.Add(ref _count, value);
            }
        });
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
