using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Storage;
using CityOS.Context.Storage.Sqlite;
using CityOS.Storage.Contracts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Tests.Storage;

public sealed class SqliteEntityStoreTests : IAsyncLifetime
{
    private const string Ns = ContractEntities.Ns;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cityos-store-" + Guid.NewGuid().ToString("N"));
    private SqliteEntityStore _store = null!;

    public Task InitializeAsync()
    {
        _store = Open();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private SqliteEntityStore Open(params string[] consumers)
    {
        var feed = new ChangeFeedOptions();
        foreach (var consumer in consumers) feed.Consumers.Add(consumer);
        return new(Options.Create(new SqliteStoreOptions { DataDirectory = _directory }), Options.Create(feed), TimeProvider.System, NullLogger<SqliteEntityStore>.Instance);
    }

    private Task<IReadOnlyList<MutationResult>> Save(string? tenant, params Entity[] entities) =>
        _store.MutateAsync(tenant, entities.Select(e => new EntityMutation(e.Id, _ => new MutationOutcome.Save(e))).ToList(), default).AsTask();

    [Fact]
    public async Task Updates_leave_exactly_the_index_rows_a_fresh_write_of_the_final_state_would()
    {
        await Save(null, ContractEntities.Sensor("urn:updated", 1, 139.1, 35.1));
        var steps = new Func<Entity, Entity>[]
        {
            e => { e.Attributes[Ns + "temperature"][0].Value = 2; return e; },
            e => { e.Types.Add(Ns + "Thermometer"); return e; },
            e => { e.Attributes[Ns + "location"][0].Value = JsonNode.Parse("""{"type":"Point","coordinates":[139.2,35.2]}"""); return e; },
            e => { e.Attributes.Remove(Ns + "name"); e.Attributes[Ns + "tags"] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = new JsonArray("a", "b") }]; return e; },
            e => { e.Types.Remove(Ns + "Sensor"); return e; },
            e => { e.Attributes[Ns + "tags"][0].Value = new JsonArray("b", "c"); e.Attributes[Ns + "temperature"][0].Kind = AttributeKind.Relationship; e.Attributes[Ns + "temperature"][0].Value = "urn:x"; return e; },
        };
        foreach (var step in steps)
        {
            await _store.MutateAsync(null, [new EntityMutation("urn:updated", current => new MutationOutcome.Save(step(current!)))], default);
        }
        var final = (await _store.GetAsync(null, "urn:updated", default))!;
        var fresh = final.Clone();
        fresh.Id = "urn:fresh";
        await Save(null, fresh);

        Assert.Equal(IndexRows("urn:fresh"), IndexRows("urn:updated"));
        Assert.Contains("entity_types " + Ns + "Thermometer", IndexRows("urn:updated"));
        Assert.DoesNotContain("entity_types " + Ns + "Sensor", IndexRows("urn:updated"));
    }

    /// <summary>Every index row of an entity, with its rowid and R*Tree ids left out, as sorted text.</summary>
    private List<string> IndexRows(string id)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "default.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var rows = new List<string>();
        foreach (var (table, columns) in new[]
        {
            ("entity_types", "type"), ("entity_attrs", "attr || ' ' || kind"), ("attr_numbers", "attr || ' ' || num"),
            ("attr_texts", "attr || ' ' || txt"), ("attr_multi", "attr"), ("geo_rtree", "attr || ' ' || minx || ' ' || maxx || ' ' || miny || ' ' || maxy || ' ' || ifnull(x, '') || ' ' || ifnull(y, '') || ' ' || types"),
        })
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {columns} FROM {table} WHERE entity = (SELECT rowid FROM entities WHERE id = $id)";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            while (reader.Read()) rows.Add(table + " " + reader.GetString(0));
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    [Fact]
    public async Task Tenants_are_separate_files()
    {
        await Save("cityA", ContractEntities.Sensor("urn:shared", 1));

        Assert.True(File.Exists(Path.Combine(_directory, "tenants", "city^a.db")));
        Assert.Equal(["cityA"], await _store.ListTenantsAsync(default));
    }

    [Fact]
    public async Task A_database_from_a_newer_cityos_is_refused()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "default.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 999";
            command.ExecuteNonQuery();
        }
        var error = Assert.Throws<InvalidOperationException>(() => Open());
        Assert.Contains("schema version 999", error.Message);
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "default.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {SqliteSchema.CurrentVersion}";
            command.ExecuteNonQuery();
        }
        _store = Open();
    }

    [Fact]
    public async Task The_change_journal_survives_a_restart_and_is_pruned_when_every_consumer_acknowledged()
    {
        await _store.DisposeAsync();
        _store = Open("notifier", "history");
        var seen = _store.Signal.Version;
        await Save("cityA", ContractEntities.Sensor("urn:j:1", 1));
        await _store.MutateAsync("cityA", [new EntityMutation("urn:j:1", _ => MutationOutcome.DeleteEntity)], default);
        await _store.Signal.WaitForChangesAsync(seen, default).WaitAsync(TimeSpan.FromSeconds(5));

        await _store.DisposeAsync();
        _store = Open("notifier", "history");
        var notifier = (await _store.TryTakeLeaseAsync("cityA", "notifier", "test", TimeSpan.FromMinutes(10), default))!;
        var history = (await _store.TryTakeLeaseAsync("cityA", "history", "test", TimeSpan.FromMinutes(10), default))!;
        var changes = await _store.ReadChangesAsync(notifier, 10, default);
        Assert.Equal(2, changes.Count);
        Assert.Null(changes[0].Before);
        Assert.Equal("urn:j:1", changes[0].After!.Id);
        Assert.Equal("urn:j:1", changes[1].Before!.Id);
        Assert.Null(changes[1].After);
        Assert.Equal("cityA", changes[0].Tenant);
        Assert.True(changes[1].Sequence > changes[0].Sequence);

        await _store.AcknowledgeAsync(notifier, changes[0].Sequence, default);
        Assert.Single(await _store.ReadChangesAsync(notifier, 10, default));
        Assert.Equal(2, (await _store.ReadChangesAsync(history, 10, default)).Count);

        await _store.AcknowledgeAsync(history, changes[1].Sequence, default);
        await _store.AcknowledgeAsync(notifier, changes[1].Sequence, default);
        await _store.DisposeAsync();
        _store = Open("notifier", "history");
        Assert.Empty(await _store.ReadChangesAsync(notifier, 10, default));
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "tenants", "city^a.db")};Pooling=False");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM changes";
        Assert.Equal(0L, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task Without_consumers_nothing_is_journaled()
    {
        await Save(null, ContractEntities.Sensor("urn:nj:1", 1));

        Assert.False(await _store.HasPendingAsync(null, "anyone", default));
        Assert.Equal(0, _store.Signal.Version);
    }
}
