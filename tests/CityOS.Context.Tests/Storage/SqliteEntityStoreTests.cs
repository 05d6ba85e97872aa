using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Storage;
using CityOS.Context.Storage.Sqlite;
using CityOS.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Tests.Storage;

public sealed class SqliteEntityStoreTests : IAsyncLifetime
{
    private const string Ns = "https://example.org/";
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

    private static Entity Sensor(string id, double temperature, double lon = 139.767, double lat = 35.681, string type = "Sensor") => new()
    {
        Id = id,
        Types = [Ns + type],
        CreatedAt = DateTimeOffset.UnixEpoch,
        ModifiedAt = DateTimeOffset.UnixEpoch,
        Attributes =
        {
            [Ns + "temperature"] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = temperature, UnitCode = "CEL" }],
            [Ns + "name"] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = "sensor " + id }],
            [Ns + "location"] = [new NgsiAttribute { Kind = AttributeKind.GeoProperty, Value = JsonNode.Parse($$"""{"type":"Point","coordinates":[{{lon}},{{lat}}]}""") }],
        },
    };

    private Task<IReadOnlyList<MutationResult>> Save(string? tenant, params Entity[] entities) =>
        _store.MutateAsync(tenant, entities.Select(e => new EntityMutation(e.Id, _ => new MutationOutcome.Save(e))).ToList(), default).AsTask();

    [Fact]
    public async Task Saved_entity_is_read_back_identically_after_reopening_the_file()
    {
        var entity = Sensor("urn:ngsi-ld:Sensor:1", 21.5);
        entity.Attributes[Ns + "temperature"][0].ObservedAt = new DateTimeOffset(2026, 11, 22, 1, 2, 3, 456, TimeSpan.Zero);
        entity.Attributes[Ns + "temperature"][0].SubAttributes[Ns + "accuracy"] = new NgsiAttribute { Kind = AttributeKind.Property, Value = 0.5 };
        await Save(null, entity);

        await _store.DisposeAsync();
        _store = Open();

        var read = await _store.GetAsync(null, entity.Id, default);
        Assert.NotNull(read);
        Assert.Equal(entity.Types, read.Types);
        var temperature = Assert.Single(read.Attributes[Ns + "temperature"]);
        Assert.Equal(21.5, temperature.Value!.GetValue<double>());
        Assert.Equal("CEL", temperature.UnitCode);
        Assert.Equal(entity.Attributes[Ns + "temperature"][0].ObservedAt, temperature.ObservedAt);
        Assert.Equal(0.5, temperature.SubAttributes[Ns + "accuracy"].Value!.GetValue<double>());
        Assert.Equal(AttributeKind.GeoProperty, read.Attributes[Ns + "location"][0].Kind);
    }

    [Fact]
    public async Task A_failing_mutation_leaves_the_others_of_the_batch_applied()
    {
        var results = await _store.MutateAsync(null,
        [
            new EntityMutation("urn:a", _ => new MutationOutcome.Save(Sensor("urn:a", 1))),
            new EntityMutation("urn:b", _ => new MutationOutcome.Fail(NgsiLdException.BadRequest("no"))),
            new EntityMutation("urn:c", _ => new MutationOutcome.Save(Sensor("urn:c", 3))),
        ], default);

        Assert.True(results[0].Succeeded);
        Assert.Equal(NgsiLdErrorType.BadRequestData, results[1].Error!.Type);
        Assert.True(results[2].Succeeded);
        Assert.NotNull(await _store.GetAsync(null, "urn:a", default));
        Assert.Null(await _store.GetAsync(null, "urn:b", default));
        Assert.NotNull(await _store.GetAsync(null, "urn:c", default));
    }

    [Fact]
    public async Task Mutator_sees_the_current_state_and_deletes_remove_every_index_row()
    {
        await Save(null, Sensor("urn:x", 5));
        Entity? seen = null;
        await _store.MutateAsync(null, [new EntityMutation("urn:x", current => { seen = current; return MutationOutcome.DeleteEntity; })], default);

        Assert.Equal("urn:x", seen!.Id);
        Assert.Null(await _store.GetAsync(null, "urn:x", default));
        var page = await _store.QueryAsync(null, new EntityQuery { TypeAnyOf = [Ns + "Sensor"], Count = true }, default);
        Assert.Equal(0, page.TotalCount);
        Assert.Empty(await _store.ListTypesAsync(null, default));
    }

    [Fact]
    public async Task Value_type_and_geo_prefilters_narrow_to_the_matching_entities()
    {
        var entities = Enumerable.Range(0, 200)
            .Select(i => Sensor($"urn:s:{i}", i, 139.0 + i * 0.01, 35.0, i % 2 == 0 ? "Sensor" : "Other"))
            .ToArray();
        await Save(null, entities);

        var warm = await _store.QueryAsync(null, new EntityQuery
        {
            TypeAnyOf = [Ns + "Sensor"],
            ValueFilters = [new ValueFilter(Ns + "temperature") { Min = 100, MinInclusive = false, Max = 110 }],
            Limit = 100,
            Count = true,
        }, default);
        Assert.Equal(["urn:s:102", "urn:s:104", "urn:s:106", "urn:s:108", "urn:s:110"], warm.Entities.Select(e => e.Id));
        Assert.Equal(5, warm.TotalCount);

        var named = await _store.QueryAsync(null, new EntityQuery
        {
            ValueFilters = [new ValueFilter(Ns + "name") { TextAnyOf = ["sensor urn:s:7", "sensor urn:s:9"] }],
        }, default);
        Assert.Equal(["urn:s:7", "urn:s:9"], named.Entities.Select(e => e.Id));

        var boxed = await _store.QueryAsync(null, new EntityQuery
        {
            GeoPropertyIri = Ns + "location",
            GeoEnvelope = new Envelope(139.095, 139.125, 34.9, 35.1),
            Limit = 100,
        }, default);
        Assert.Equal(["urn:s:10", "urn:s:11", "urn:s:12"], boxed.Entities.Select(e => e.Id));
    }

    [Fact]
    public async Task Updates_leave_exactly_the_index_rows_a_fresh_write_of_the_final_state_would()
    {
        await Save(null, Sensor("urn:updated", 1, 139.1, 35.1));
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
            ("attr_texts", "attr || ' ' || txt"), ("geo_rtree", "attr || ' ' || minx || ' ' || maxx || ' ' || miny || ' ' || maxy || ' ' || ifnull(x, '') || ' ' || ifnull(y, '') || ' ' || types"),
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
    public async Task Paging_applies_after_the_exact_predicate()
    {
        await Save(null, Enumerable.Range(0, 50).Select(i => Sensor($"urn:p:{i:D2}", i)).ToArray());

        var page = await _store.QueryAsync(null, new EntityQuery
        {
            TypeAnyOf = [Ns + "Sensor"],
            Predicate = e => e.Attributes[Ns + "temperature"][0].Value!.GetValue<double>() % 5 == 0,
            Offset = 2,
            Limit = 3,
            Count = true,
        }, default);

        Assert.Equal(["urn:p:10", "urn:p:15", "urn:p:20"], page.Entities.Select(e => e.Id));
        Assert.Equal(10, page.TotalCount);
    }

    [Fact]
    public async Task Tenants_are_separate_files_and_an_unknown_tenant_does_not_exist()
    {
        await Save("cityA", Sensor("urn:shared", 1));

        Assert.True(await _store.TenantExistsAsync("cityA", default));
        Assert.False(await _store.TenantExistsAsync("cityB", default));
        Assert.Null(await _store.GetAsync(null, "urn:shared", default));
        var error = await Assert.ThrowsAsync<NgsiLdException>(() => _store.GetAsync("cityB", "urn:shared", default).AsTask());
        Assert.Equal(NgsiLdErrorType.NonexistentTenant, error.Type);
        Assert.Equal(404, error.Status);
        Assert.True(File.Exists(Path.Combine(_directory, "tenants", "city^a.db")));
        Assert.Equal(["cityA"], await _store.ListTenantsAsync(default));
    }

    [Fact]
    public async Task A_write_that_fails_does_not_create_its_tenant()
    {
        var results = await _store.MutateAsync("ghost", [new EntityMutation("urn:g", _ => new MutationOutcome.Fail(NgsiLdException.NotFound("missing")))], default);

        Assert.Equal(NgsiLdErrorType.ResourceNotFound, results[0].Error!.Type);
        Assert.False(await _store.TenantExistsAsync("ghost", default));
    }

    [Fact]
    public async Task Concurrent_writers_are_all_committed()
    {
        var writes = Enumerable.Range(0, 300).Select(i => Save(null, Sensor($"urn:c:{i}", i)));
        await Task.WhenAll(writes);

        var page = await _store.QueryAsync(null, new EntityQuery { TypeAnyOf = [Ns + "Sensor"], Limit = 0, Count = true }, default);
        Assert.Equal(300, page.TotalCount);
    }

    [Fact]
    public async Task Discovery_lists_types_and_attributes_with_their_kinds()
    {
        await Save(null, Sensor("urn:d:1", 1), Sensor("urn:d:2", 2, type: "Other"));

        var types = await _store.ListTypesAsync(null, default);
        Assert.Equal([Ns + "Other", Ns + "Sensor"], types.Select(t => t.Type));
        Assert.Contains(types[1].Attributes, a => a.Attribute == Ns + "location" && a.Kinds.SequenceEqual([AttributeKind.GeoProperty]));
        var attributes = await _store.ListAttributesAsync(null, default);
        var temperature = Assert.Single(attributes, a => a.Attribute == Ns + "temperature");
        Assert.Equal(2, temperature.EntityCount);
        Assert.Equal([Ns + "Other", Ns + "Sensor"], temperature.Types);
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
        await Save("cityA", Sensor("urn:j:1", 1));
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
        await Save(null, Sensor("urn:nj:1", 1));

        Assert.False(await _store.HasPendingAsync(null, "anyone", default));
        Assert.Equal(0, _store.Signal.Version);
    }
}
