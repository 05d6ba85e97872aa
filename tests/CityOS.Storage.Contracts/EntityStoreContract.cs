using System.Text.Json.Nodes;
using CityOS.Context.Access;
using CityOS.Context.Broker;
using CityOS.Context.Geo;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Context.Storage;
using CityOS.Core;
using ContextTypeCount = CityOS.Core.Context.ContextTypeCount;
using CityOS.Core.Security;

namespace CityOS.Storage.Contracts;

/// <summary>
/// The contract of <see cref="IEntityStore"/>, the same for every engine: an engine's test project derives one class
/// that says how to open a store on this test's storage and how to close and remove it. Queries run as the broker
/// runs them (<see cref="EntityMatcher.QueryAsync"/>: the engine applies what it declares, the rules the rest), so
/// that an engine applying more of a query passes the same tests.
/// </summary>
public abstract class EntityStoreContract : IAsyncLifetime
{
    protected const string Ns = ContractEntities.Ns;

    protected IEntityStore Store { get; private set; } = null!;

    /// <summary>A store on this test's storage: empty on the first call, holding everything committed before on the later ones.</summary>
    protected abstract IEntityStore Open();

    /// <summary>Closes a store; <see cref="Open"/> may be called again afterwards.</summary>
    protected abstract ValueTask CloseAsync(IEntityStore store);

    /// <summary>Removes this test's storage once its store is closed.</summary>
    protected abstract ValueTask DestroyAsync();

    public Task InitializeAsync()
    {
        Store = Open();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await CloseAsync(Store);
        await DestroyAsync();
    }

    /// <summary>Closes the store and opens a new one on the same storage, as after a restart.</summary>
    protected async Task ReopenAsync()
    {
        await CloseAsync(Store);
        Store = Open();
    }

    protected Task<IReadOnlyList<MutationResult>> Save(string? tenant, params Entity[] entities) =>
        Store.MutateAsync(tenant, entities.Select(e => new EntityMutation(e.Id, _ => new MutationOutcome.Save(e))).ToList(), default).AsTask();

    protected Task<QueryPage> QueryAsync(EntityQuery query, string? tenant = null) => EntityMatcher.QueryAsync(Store, tenant, query, default).AsTask();

    protected static EntitySelection OfType(string selector) => new(null, null, TypeSelector.Parse(selector).Expand(n => Ns + n));

    protected static QExpression Q(string q) => QExpression.Parse(q).Expand(n => Ns + n);

    protected static GeoFilter Geo(string georel, string geometry, string coordinates) =>
        new(GeoQuery.FromQueryParameters(georel, geometry, coordinates, null)!, Ns + "location");

    private static IEnumerable<string> Ids(QueryPage page) => page.Entities.Select(e => e.Id);

    [Fact]
    public async Task Saved_entity_is_read_back_identically_after_reopening_the_store()
    {
        var entity = ContractEntities.Sensor("urn:ngsi-ld:Sensor:1", 21.5);
        entity.Attributes[Ns + "temperature"][0].ObservedAt = new DateTimeOffset(2026, 11, 22, 1, 2, 3, 456, TimeSpan.Zero);
        entity.Attributes[Ns + "temperature"][0].SubAttributes[Ns + "accuracy"] = new NgsiAttribute { Kind = AttributeKind.Property, Value = 0.5 };
        await Save(null, entity);

        await ReopenAsync();

        var read = await Store.GetAsync(null, entity.Id, default);
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
        var results = await Store.MutateAsync(null,
        [
            new EntityMutation("urn:a", _ => new MutationOutcome.Save(ContractEntities.Sensor("urn:a", 1))),
            new EntityMutation("urn:b", _ => new MutationOutcome.Fail(NgsiLdException.BadRequest("no"))),
            new EntityMutation("urn:c", _ => new MutationOutcome.Save(ContractEntities.Sensor("urn:c", 3))),
        ], default);

        Assert.True(results[0].Succeeded);
        Assert.Equal(NgsiLdErrorType.BadRequestData, Assert.IsType<NgsiLdException>(results[1].Error).Type);
        Assert.True(results[2].Succeeded);
        Assert.NotNull(await Store.GetAsync(null, "urn:a", default));
        Assert.Null(await Store.GetAsync(null, "urn:b", default));
        Assert.NotNull(await Store.GetAsync(null, "urn:c", default));
    }

    [Fact]
    public async Task A_mutation_that_fails_after_changing_its_copy_leaves_the_entity_as_it_was_and_hands_back_the_error_untouched()
    {
        await Save(null, ContractEntities.Sensor("urn:m", 1));
        var error = new InvalidOperationException("the rule's own error");
        var results = await Store.MutateAsync(null,
        [
            new EntityMutation("urn:m", current =>
            {
                current!.Attributes.Remove(Ns + "temperature");
                return new MutationOutcome.Fail(error);
            }),
            new EntityMutation("urn:m", current =>
            {
                Assert.True(current!.Attributes.ContainsKey(Ns + "temperature"));
                return MutationOutcome.NoChange;
            }),
        ], default);

        Assert.Same(error, results[0].Error);
        Assert.True(results[1].Succeeded);
        Assert.Equal(1, (await Store.GetAsync(null, "urn:m", default))!.Attributes[Ns + "temperature"][0].Value!.GetValue<double>());
    }

    [Fact]
    public async Task Mutator_sees_the_current_state_and_deletes_remove_every_index_row()
    {
        await Save(null, ContractEntities.Sensor("urn:x", 5));
        Entity? seen = null;
        await Store.MutateAsync(null, [new EntityMutation("urn:x", current => { seen = current; return MutationOutcome.DeleteEntity; })], default);

        Assert.Equal("urn:x", seen!.Id);
        Assert.Null(await Store.GetAsync(null, "urn:x", default));
        var page = await QueryAsync(new EntityQuery { Entities = [OfType("Sensor")], Count = true });
        Assert.Equal(0, page.TotalCount);
        Assert.Empty(await Store.ListTypesAsync(null, default));
    }

    [Fact]
    public async Task Write_grants_go_with_the_mutation_and_a_refused_write_changes_nothing()
    {
        var caller = new CallerIdentity { Subject = "ann" };
        var sensorsOnly = new AccessScope(false, [new AccessGrant([Ns + "Sensor"], [], [])]);
        var creator = EntityAccess.For(caller, "city", new Dictionary<AccessAction, AccessScope> { [AccessAction.Create] = sensorsOnly });

        var created = await Store.MutateAsync(null,
        [
            creator.Guard(new EntityMutation("urn:w:1", _ => new MutationOutcome.Save(ContractEntities.Sensor("urn:w:1", 1)))),
            creator.Guard(new EntityMutation("urn:w:2", _ => new MutationOutcome.Save(ContractEntities.Sensor("urn:w:2", 2, type: "Other")))),
        ], default);
        Assert.True(created[0].Succeeded);
        Assert.Equal(NgsiLdErrorType.Forbidden, Assert.IsType<NgsiLdException>(created[1].Error).Type);
        Assert.Null(await Store.GetAsync(null, "urn:w:2", default));

        var updated = await Store.MutateAsync(null,
        [
            creator.Guard(new EntityMutation("urn:w:1", current =>
            {
                current!.Attributes[Ns + "temperature"][0].Value = 99;
                return new MutationOutcome.Save(current);
            })),
        ], default);
        Assert.Equal(NgsiLdErrorType.Forbidden, Assert.IsType<NgsiLdException>(updated[0].Error).Type);
        Assert.Equal(1, (await Store.GetAsync(null, "urn:w:1", default))!.Attributes[Ns + "temperature"][0].Value!.GetValue<double>());
    }

    [Fact]
    public async Task Value_type_and_geo_conditions_select_the_matching_entities()
    {
        var entities = Enumerable.Range(0, 200)
            .Select(i => ContractEntities.Sensor($"urn:s:{i}", i, 139.0 + i * 0.01, 35.0, i % 2 == 0 ? "Sensor" : "Other"))
            .ToArray();
        await Save(null, entities);

        var warm = await QueryAsync(new EntityQuery { Entities = [OfType("Sensor")], Q = Q("temperature>100;temperature<=110"), Limit = 100, Count = true });
        Assert.Equal(["urn:s:102", "urn:s:104", "urn:s:106", "urn:s:108", "urn:s:110"], Ids(warm));
        Assert.Equal(5, warm.TotalCount);

        var named = await QueryAsync(new EntityQuery { Q = Q("name==\"sensor urn:s:7\",\"sensor urn:s:9\"") });
        Assert.Equal(["urn:s:7", "urn:s:9"], Ids(named));

        var boxed = await QueryAsync(new EntityQuery
        {
            Geo = Geo("within", "Polygon", "[[[139.095,34.9],[139.125,34.9],[139.125,35.1],[139.095,35.1],[139.095,34.9]]]"),
            Limit = 100,
        });
        Assert.Equal(["urn:s:10", "urn:s:11", "urn:s:12"], Ids(boxed));
    }

    [Fact]
    public async Task Paging_and_count_apply_after_every_condition()
    {
        await Save(null, Enumerable.Range(0, 50).Select(i => ContractEntities.Sensor($"urn:p:{i:D2}", i)).ToArray());

        var page = await QueryAsync(new EntityQuery
        {
            Entities = [new EntitySelection(null, ClientRegex.Compile("urn:p:[0-9][05]", "idPattern"), TypeSelector.Parse("Sensor").Expand(n => Ns + n))],
            Offset = 2,
            Limit = 3,
            Count = true,
        });

        Assert.Equal(["urn:p:10", "urn:p:15", "urn:p:20"], Ids(page));
        Assert.Equal(10, page.TotalCount);

        var listed = await QueryAsync(new EntityQuery { Entities = [OfType("Sensor")], Offset = 48, Limit = 5, Count = true });
        Assert.Equal(["urn:p:48", "urn:p:49"], Ids(listed));
        Assert.Equal(50, listed.TotalCount);
        Assert.Equal(50, (await QueryAsync(new EntityQuery { Limit = 0, Count = true })).TotalCount);
    }

    [Fact]
    public async Task Queries_select_by_ids_types_attributes_scopes_and_what_the_caller_may_read()
    {
        var hot = ContractEntities.Sensor("urn:q:hot", 50);
        hot.Scopes = ["/a/b"];
        var cold = ContractEntities.Sensor("urn:q:cold", 5);
        cold.Types.Add(Ns + "Thermometer");
        cold.Scopes = ["/c"];
        var other = ContractEntities.Sensor("urn:q:other", 5, type: "Other");
        other.Attributes.Remove(Ns + "name");
        await Save(null, hot, cold, other);

        async Task<string> Run(EntityQuery query)
        {
            var page = await QueryAsync(query);
            return $"{string.Join(" ", Ids(page))} ({page.TotalCount})";
        }

        Assert.Equal("urn:q:cold urn:q:other (2)", await Run(new EntityQuery { Entities = [new EntitySelection(["urn:q:other", "urn:q:cold"], null, null)], Count = true }));
        Assert.Equal("urn:q:cold (1)", await Run(new EntityQuery { Entities = [OfType("(Sensor;Thermometer)")], Count = true }));
        Assert.Equal("urn:q:hot urn:q:other (2)", await Run(new EntityQuery { Entities = [new EntitySelection(["urn:q:hot"], null, null), OfType("Other")], Count = true }));
        Assert.Equal("urn:q:hot urn:q:cold (2)", await Run(new EntityQuery { Attributes = [Ns + "name"], Count = true }));
        Assert.Equal("urn:q:hot (1)", await Run(new EntityQuery { Scope = ScopeQuery.Parse("/a/#"), Count = true }));
        Assert.Equal("urn:q:cold urn:q:other (2)", await Run(new EntityQuery { Q = Q("temperature<10|name==\"nobody\""), Count = true }));

        // Sensors only, and of them only the temperature: conditions on anything else see nothing.
        var readable = new AccessScope(false, [new AccessGrant([Ns + "Sensor"], [], [Ns + "temperature"])]);
        Assert.Equal("urn:q:cold (1)", await Run(new EntityQuery { Q = Q("temperature<10"), Readable = readable, Count = true }));
        Assert.Equal(" (0)", await Run(new EntityQuery { Attributes = [Ns + "name"], Readable = readable, Count = true }));
        Assert.Equal("urn:q:hot urn:q:cold (2)", await Run(new EntityQuery { Q = Q("!name"), Readable = readable, Count = true }));
        Assert.Equal("urn:q:cold (2)", await Run(new EntityQuery { Readable = readable, Offset = 1, Count = true }));
    }

    [Fact]
    public async Task Near_orders_by_distance_from_the_point_with_exact_paging_and_count()
    {
        var area = ContractEntities.Sensor("urn:n:area", 0);
        area.Attributes[Ns + "location"][0].Value = JsonNode.Parse("""{"type":"Polygon","coordinates":[[[139.004,34.999],[139.006,34.999],[139.006,35.001],[139.004,35.001],[139.004,34.999]]]}""");
        await Save(null,
            ContractEntities.Sensor("urn:n:3", 3, 139.03, 35.0), ContractEntities.Sensor("urn:n:1", 1, 139.01, 35.0), area,
            ContractEntities.Sensor("urn:n:far", 9, 139.1, 35.0), ContractEntities.Sensor("urn:n:2", 2, 139.02, 35.0));

        var within = await QueryAsync(new EntityQuery { Geo = Geo("near;maxDistance==5000", "Point", "[139.0,35.0]"), Order = EntityOrder.Distance, Count = true });
        Assert.Equal(["urn:n:area", "urn:n:1", "urn:n:2", "urn:n:3"], Ids(within));
        Assert.Equal(4, within.TotalCount);

        var paged = await QueryAsync(new EntityQuery { Geo = Geo("near;maxDistance==5000", "Point", "[139.0,35.0]"), Order = EntityOrder.Distance, Offset = 1, Limit = 2, Count = true });
        Assert.Equal(["urn:n:1", "urn:n:2"], Ids(paged));
        Assert.Equal(4, paged.TotalCount);

        var beyond = await QueryAsync(new EntityQuery { Geo = Geo("near;minDistance==1000", "Point", "[139.0,35.0]"), Order = EntityOrder.Distance, Count = true });
        Assert.Equal(["urn:n:2", "urn:n:3", "urn:n:far"], Ids(beyond));
        Assert.Equal(3, beyond.TotalCount);
    }

    [Fact]
    public async Task Tenants_are_isolated_listed_and_an_unknown_one_does_not_exist()
    {
        await Save("cityB", ContractEntities.Sensor("urn:shared", 2));
        await Save("cityA", ContractEntities.Sensor("urn:shared", 1));

        Assert.True(await Store.TenantExistsAsync("cityA", default));
        Assert.True(await Store.TenantExistsAsync(null, default));
        Assert.False(await Store.TenantExistsAsync("cityC", default));
        Assert.Null(await Store.GetAsync(null, "urn:shared", default));
        Assert.Equal(1, (await Store.GetAsync("cityA", "urn:shared", default))!.Attributes[Ns + "temperature"][0].Value!.GetValue<double>());
        Assert.Equal(["cityA", "cityB"], await Store.ListTenantsAsync(default));

        var error = await Assert.ThrowsAsync<TenantNotFoundException>(() => Store.GetAsync("cityC", "urn:shared", default).AsTask());
        Assert.Equal("cityC", error.Tenant);
        await Assert.ThrowsAsync<TenantNotFoundException>(() => QueryAsync(new EntityQuery(), "cityC"));
        await Assert.ThrowsAsync<TenantNotFoundException>(() => Store.ListTypesAsync("cityC", default).AsTask());
        var answered = StorageErrorMapping.ToNgsiLd(error)!;
        Assert.Equal(NgsiLdErrorType.NonexistentTenant, answered.Type);
        Assert.Equal(404, answered.Status);
    }

    [Fact]
    public async Task A_write_that_fails_does_not_create_its_tenant()
    {
        var results = await Store.MutateAsync("ghost", [new EntityMutation("urn:g", _ => new MutationOutcome.Fail(NgsiLdException.NotFound("missing")))], default);

        Assert.Equal(NgsiLdErrorType.ResourceNotFound, Assert.IsType<NgsiLdException>(results[0].Error).Type);
        Assert.False(await Store.TenantExistsAsync("ghost", default));
    }

    [Fact]
    public async Task Concurrent_writers_are_all_committed()
    {
        var writes = Enumerable.Range(0, 300).Select(i => Save(null, ContractEntities.Sensor($"urn:c:{i}", i)));
        await Task.WhenAll(writes);

        var page = await QueryAsync(new EntityQuery { Entities = [OfType("Sensor")], Limit = 0, Count = true });
        Assert.Equal(300, page.TotalCount);
    }

    [Fact]
    public async Task Discovery_lists_types_and_attributes_with_their_kinds()
    {
        await Save(null, ContractEntities.Sensor("urn:d:1", 1), ContractEntities.Sensor("urn:d:2", 2, type: "Other"));

        var types = await Store.ListTypesAsync(null, default);
        Assert.Equal([Ns + "Other", Ns + "Sensor"], types.Select(t => t.Type));
        Assert.Equal(1, types[1].EntityCount);
        Assert.Contains(types[1].Attributes, a => a.Attribute == Ns + "location" && a.Kinds.SequenceEqual([AttributeKind.GeoProperty]));
        var attributes = await Store.ListAttributesAsync(null, default);
        var temperature = Assert.Single(attributes, a => a.Attribute == Ns + "temperature");
        Assert.Equal(2, temperature.EntityCount);
        Assert.Equal([Ns + "Other", Ns + "Sensor"], temperature.Types);
    }

    [Fact]
    public async Task Type_counts_list_each_type_and_stop_counting_at_the_limit()
    {
        await Save(null, [.. Enumerable.Range(0, 5).Select(i => ContractEntities.Sensor($"urn:t:{i}", i)), ContractEntities.Sensor("urn:t:other", 9, type: "Other")]);

        Assert.Equal([new ContextTypeCount(Ns + "Other", 1, false), new ContextTypeCount(Ns + "Sensor", 3, true)], await Store.CountTypesAsync(null, null, 3, default));
        Assert.Equal([new ContextTypeCount(Ns + "Sensor", 5, false)], await Store.CountTypesAsync(null, Ns + "Sensor", 5, default));
        Assert.Empty(await Store.CountTypesAsync(null, Ns + "Missing", 5, default));
        await Assert.ThrowsAsync<TenantNotFoundException>(() => Store.CountTypesAsync("ghost", null, 5, default).AsTask());
    }

    [Fact]
    public async Task The_engine_answers_the_readiness_probe()
    {
        Assert.True(await Store.PingAsync(default));
    }

    [Fact]
    public async Task Index_prefilters_never_exclude_a_match()
    {
        var seed = Environment.GetEnvironmentVariable("CITYOS_STORAGE_SEED") is { Length: > 0 } chosen ? ulong.Parse(chosen) : GeneratedQueries.DefaultSeed;
        var cases = GeneratedQueries.Cases(seed);
        IReadOnlyList<string> stored = [];
        int queries = 0, selecting = 0;
        for (var i = 0; i < cases.Length; i++)
        {
            var (entities, generated) = cases[i];
            await Store.MutateAsync(null, stored.Select(id => new EntityMutation(id, _ => MutationOutcome.DeleteEntity)).ToList(), default);
            await Save(null, entities);
            stored = entities.Select(e => e.Id).ToList();
            var all = new List<Entity>();
            foreach (var id in stored) all.Add((await Store.GetAsync(null, id, default))!);
            foreach (var (query, text) in generated)
            {
                var matching = all.Where(new EntityMatcher(query).Matches).ToList();
                queries++;
                if (matching.Count > 0) selecting++;
                var expected = matching.Skip(query.Offset).Take(query.Limit).Select(e => e.Id).ToList();
                var page = await QueryAsync(query);
                var where = $"case {i} of seed {seed} (replay: CITYOS_STORAGE_SEED={seed}), query {text}, entities {string.Join(" ", entities.Select(GeneratedQueries.Describe))}";
                Assert.True(expected.SequenceEqual(Ids(page)), $"{where}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", Ids(page))}]");
                Assert.True(matching.Count == page.TotalCount, $"{where}: expected count {matching.Count}, got {page.TotalCount}");
            }
        }
        // The property says something only if the generated queries select some entities and miss others.
        Assert.InRange(selecting, queries / 5, queries - queries / 10);
    }
}
