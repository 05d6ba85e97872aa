using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Context.Temporal;
using CityOS.Context.Temporal.Storage;
using Microsoft.Extensions.Time.Testing;

namespace CityOS.Storage.Contracts;

/// <summary>
/// The contract of <see cref="ITemporalStore"/>, the same for every engine: instances recorded and read back per entity and
/// attribute in time order, time filters, lastN, tenants, deletion markers and deletions, retention, the journal position,
/// the read snapshot and durability. An engine's test project derives one class that says how to open a store on this
/// test's storage and how to close and remove it.
/// </summary>
public abstract class TemporalStoreContract : IAsyncLifetime
{
    protected const string Ns = ContractEntities.Ns;
    private const string Level = Ns + "level";
    private const string Name = Ns + "name";
    private const string Sensor = "urn:ngsi-ld:Sensor:t1";

    /// <summary>The clock the instances' times and the pruning's "now" are read from.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    protected ITemporalStore Store { get; private set; } = null!;

    /// <summary>A store on this test's storage: empty on the first call, holding everything committed before on the later ones.</summary>
    protected abstract ValueTask<ITemporalStore> OpenAsync();

    /// <summary>Closes a store; <see cref="OpenAsync"/> may be called again afterwards.</summary>
    protected abstract ValueTask CloseAsync(ITemporalStore store);

    /// <summary>Removes this test's storage once its store is closed.</summary>
    protected abstract ValueTask DestroyAsync();

    public async Task InitializeAsync() => Store = await OpenAsync();

    public async Task DisposeAsync()
    {
        await CloseAsync(Store);
        await DestroyAsync();
    }

    private DateTimeOffset T(int minutes) => Time.GetUtcNow().AddMinutes(minutes);

    private static StoredInstance Value(JsonValueOf value, DateTimeOffset observedAt, string? datasetId = null, DateTimeOffset? createdAt = null) =>
        new(StoredInstance.NewId(), new NgsiAttribute
        {
            Kind = AttributeKind.Property,
            Value = value.Node,
            ObservedAt = observedAt,
            DatasetId = datasetId,
            CreatedAt = createdAt ?? observedAt,
            ModifiedAt = createdAt ?? observedAt,
        });

    private static StoredInstance Marker(DateTimeOffset at, string? datasetId = null) =>
        new(StoredInstance.NewId(), new NgsiAttribute { Kind = AttributeKind.Property, Value = NgsiLdSyntax.NgsiNull, DatasetId = datasetId, CreatedAt = at, ModifiedAt = at }, at);

    private static TemporalWrite Write(string id, DateTimeOffset at, params (string Attribute, StoredInstance Instance)[] instances) =>
        new(id, [Ns + "Sensor"], null, at, instances);

    private ValueTask<bool> AppendAsync(string? tenant, string id, DateTimeOffset at, params (string, StoredInstance)[] instances) =>
        Store.AppendAsync(tenant, Write(id, at, instances), default);

    private async Task<List<double>> LevelsAsync(string? tenant, TimeFilter filter, string id = Sensor, int limit = 100, bool newestFirst = false) =>
        (await Store.ReadInstancesAsync(tenant, id, Level, filter, limit, newestFirst, default)).Instances.Select(i => i.Data.Value!.GetValue<double>()).ToList();

    private static TimeFilter Filter(TimeRelation relation, DateTimeOffset at, DateTimeOffset? end = null, TimeProperty property = TimeProperty.ObservedAt) =>
        new(property, relation, at, end);

    /// <summary>Levels 1..4 observed at minutes 10, 20, 30, 40, appended out of order.</summary>
    private async Task AppendLevelsAsync(string? tenant = null, string id = Sensor)
    {
        await AppendAsync(tenant, id, T(40), (Level, Value(3, T(30))), (Level, Value(1, T(10))));
        await AppendAsync(tenant, id, T(41), (Level, Value(4, T(40))), (Level, Value(2, T(20))));
    }

    [Fact]
    public async Task Instances_are_read_back_per_entity_and_attribute_in_time_order()
    {
        Assert.True(await AppendAsync(null, Sensor, T(1), (Level, Value(3, T(30))), (Name, Value("north", T(5)))));
        Assert.False(await AppendAsync(null, Sensor, T(2), (Level, Value(1, T(10))), (Level, Value(2, T(20)))));
        await AppendAsync(null, "urn:ngsi-ld:Sensor:other", T(3), (Level, Value(9, T(15))));

        Assert.Equal([1, 2, 3], await LevelsAsync(null, TimeFilter.All));
        Assert.Equal([3, 2, 1], await LevelsAsync(null, TimeFilter.All, newestFirst: true));
        Assert.Equal([9], await LevelsAsync(null, TimeFilter.All, "urn:ngsi-ld:Sensor:other"));
        var name = Assert.Single((await Store.ReadInstancesAsync(null, Sensor, Name, TimeFilter.All, 100, false, default)).Instances);
        Assert.Equal("north", name.Data.Value!.GetValue<string>());
        Assert.StartsWith(StoredInstance.IdPrefix, name.InstanceId);
        Assert.Equal(T(5), name.Data.ObservedAt);
        Assert.Null(name.DeletedAt);
        Assert.Equal([Level, Name], (await Store.AttributesAsync(null, Sensor, default)).Order(StringComparer.Ordinal));

        var head = await Store.GetEntityAsync(null, Sensor, default);
        Assert.Equal((Sensor, T(1), T(2)), (head!.Id, head.CreatedAt, head.ModifiedAt));
        Assert.Equal([Ns + "Sensor"], head.Types);
        Assert.Null(head.DeletedAt);
        Assert.Null(await Store.GetEntityAsync(null, "urn:ngsi-ld:Sensor:none", default));
        Assert.Empty((await Store.ReadInstancesAsync(null, Sensor, Ns + "none", TimeFilter.All, 100, false, default)).Instances);
        Assert.Empty(await Store.AttributesAsync(null, "urn:ngsi-ld:Sensor:none", default));
    }

    [Fact]
    public async Task An_entity_keeps_its_latest_types_and_scopes()
    {
        await Store.AppendAsync(null, new TemporalWrite(Sensor, [Ns + "Sensor"], ["/city/north"], T(1), [(Level, Value(1, T(1)))]), default);
        await Store.AppendAsync(null, new TemporalWrite(Sensor, [Ns + "Sensor", Ns + "Gauge"], null, T(2), [(Level, Value(2, T(2)))]), default);

        var head = (await Store.GetEntityAsync(null, Sensor, default))!;
        Assert.Equal([Ns + "Sensor", Ns + "Gauge"], head.Types);
        Assert.Equal(["/city/north"], head.Scopes!);
        Assert.Equal((T(1), T(2)), (head.CreatedAt, head.ModifiedAt));
    }

    [Fact]
    public async Task Time_filters_select_before_after_and_between_on_each_timeproperty()
    {
        await AppendLevelsAsync();

        Assert.Equal([1, 2], await LevelsAsync(null, Filter(TimeRelation.Before, T(30))));
        // after is an inclusive bound (4.11), before an exclusive one.
        Assert.Equal([3, 4], await LevelsAsync(null, Filter(TimeRelation.After, T(30))));
        Assert.Equal([2, 3], await LevelsAsync(null, Filter(TimeRelation.Between, T(20), T(40))));
        Assert.Empty(await LevelsAsync(null, Filter(TimeRelation.Between, T(41), T(50))));

        Assert.Equal([2, 3, 4], (await Store.ReadValuesAsync(null, Sensor, Level, Filter(TimeRelation.After, T(20)), default)).Select(v => v.Number!.Value));
        Assert.Equal(T(20), await Store.FirstTimeAsync(null, Sensor, Level, Filter(TimeRelation.After, T(11)), default));
        Assert.Null(await Store.FirstTimeAsync(null, Sensor, Level, Filter(TimeRelation.After, T(41)), default));

        // createdAt is the instance's own time, observedAt falls back to it when the instance has none.
        var unobserved = new StoredInstance(StoredInstance.NewId(), new NgsiAttribute { Kind = AttributeKind.Property, Value = 5, CreatedAt = T(50), ModifiedAt = T(50) });
        await AppendAsync(null, Sensor, T(50), (Level, unobserved), (Level, Value(6, T(5), createdAt: T(60))));
        Assert.Equal([5], await LevelsAsync(null, Filter(TimeRelation.Between, T(45), T(55))));
        Assert.Equal([6], await LevelsAsync(null, Filter(TimeRelation.After, T(55), property: TimeProperty.CreatedAt)));
        Assert.Equal([6], await LevelsAsync(null, Filter(TimeRelation.After, T(55), property: TimeProperty.ModifiedAt)));
        Assert.Equal([6, 1, 2, 3, 4, 5], await LevelsAsync(null, TimeFilter.All));
        Assert.Equal([1, 2, 3, 4, 5, 6], await LevelsAsync(null, new TimeFilter(TimeProperty.CreatedAt)));
        Assert.Null((await Store.ReadInstancesAsync(null, Sensor, Level, Filter(TimeRelation.Between, T(45), T(55)), 10, false, default)).Instances[0].Data.ObservedAt);
    }

    [Fact]
    public async Task LastN_reads_the_newest_instances_and_says_when_more_matched()
    {
        await AppendLevelsAsync();

        var last = await Store.ReadInstancesAsync(null, Sensor, Level, TimeFilter.All, 2, newestFirst: true, default);
        Assert.Equal([4, 3], last.Instances.Select(i => i.Data.Value!.GetValue<double>()));
        Assert.True(last.Truncated);
        Assert.Equal(Level, last.Attribute);

        var first = await Store.ReadInstancesAsync(null, Sensor, Level, Filter(TimeRelation.Before, T(40)), 2, newestFirst: false, default);
        Assert.Equal([1, 2], first.Instances.Select(i => i.Data.Value!.GetValue<double>()));
        Assert.True(first.Truncated);

        var all = await Store.ReadInstancesAsync(null, Sensor, Level, TimeFilter.All, 4, newestFirst: true, default);
        Assert.Equal(4, all.Instances.Count);
        Assert.False(all.Truncated);
    }

    [Fact]
    public async Task Entities_are_found_by_id_attribute_and_time_ordered_by_id()
    {
        await AppendAsync(null, "urn:ngsi-ld:Sensor:c", T(1), (Level, Value(1, T(10))));
        await AppendAsync(null, "urn:ngsi-ld:Sensor:a", T(1), (Name, Value("a", T(20))));
        await AppendAsync(null, "urn:ngsi-ld:Sensor:b", T(1), (Level, Value(2, T(30))));

        async Task<List<string>> Find(IReadOnlyList<string>? ids, IReadOnlyList<string>? attributes, TimeFilter filter) =>
            (await Store.FindEntitiesAsync(null, ids, attributes, filter, default)).Select(h => h.Id).ToList();

        Assert.Equal(["urn:ngsi-ld:Sensor:a", "urn:ngsi-ld:Sensor:b", "urn:ngsi-ld:Sensor:c"], await Find(null, null, TimeFilter.All));
        Assert.Equal(["urn:ngsi-ld:Sensor:b", "urn:ngsi-ld:Sensor:c"], await Find(null, [Level], TimeFilter.All));
        Assert.Equal(["urn:ngsi-ld:Sensor:a", "urn:ngsi-ld:Sensor:b"], await Find(null, null, Filter(TimeRelation.After, T(15))));
        Assert.Equal(["urn:ngsi-ld:Sensor:b"], await Find(null, [Level], Filter(TimeRelation.After, T(15))));
        Assert.Equal(["urn:ngsi-ld:Sensor:a", "urn:ngsi-ld:Sensor:c"], await Find(["urn:ngsi-ld:Sensor:c", "urn:ngsi-ld:Sensor:a", "urn:ngsi-ld:Sensor:x"], null, TimeFilter.All));
        Assert.Empty(await Find(["urn:ngsi-ld:Sensor:a"], [Level], TimeFilter.All));
    }

    [Fact]
    public async Task Tenants_are_isolated_and_listed()
    {
        await AppendLevelsAsync("city-a");
        await AppendAsync(null, Sensor, T(1), (Level, Value(7, T(1))));

        Assert.Equal([1, 2, 3, 4], await LevelsAsync("city-a", TimeFilter.All));
        Assert.Equal([7], await LevelsAsync(null, TimeFilter.All));
        Assert.Empty(await LevelsAsync("city-b", TimeFilter.All));
        Assert.Null(await Store.GetEntityAsync("city-b", Sensor, default));
        Assert.Empty(await Store.FindEntitiesAsync("city-b", null, null, TimeFilter.All, default));
        Assert.Equal(0, await Store.DeleteAttributeAsync("city-b", Sensor, Level, null, deleteAll: true, default));
        Assert.False(await Store.DeleteEntityAsync("city-b", Sensor, T(100), default));

        Assert.True(await Store.DeleteEntityAsync("city-a", Sensor, T(100), default));
        Assert.Equal([7], await LevelsAsync(null, TimeFilter.All));
        Assert.Equal(["city-a"], await Store.ListTenantsAsync(default));
    }

    [Fact]
    public async Task An_entity_deletion_records_deletedAt_and_markers_that_are_no_values()
    {
        await AppendLevelsAsync();
        await Store.RecordAsync(null, [new TemporalWrite(Sensor, [Ns + "Sensor"], null, T(50), [(Level, Marker(T(50)))], DeletedAt: T(50))], 1, default);

        Assert.Equal(T(50), (await Store.GetEntityAsync(null, Sensor, default))!.DeletedAt);
        var instances = (await Store.ReadInstancesAsync(null, Sensor, Level, TimeFilter.All, 100, false, default)).Instances;
        Assert.Equal(5, instances.Count);
        var marker = instances[^1];
        Assert.Equal(T(50), marker.DeletedAt);
        Assert.Equal(NgsiLdSyntax.NgsiNull, marker.Data.Value!.GetValue<string>());
        Assert.Equal([1, 2, 3, 4], (await Store.ReadValuesAsync(null, Sensor, Level, TimeFilter.All, default)).Select(v => v.Number!.Value));
        Assert.Null(await Store.FirstTimeAsync(null, Sensor, Level, Filter(TimeRelation.After, T(45)), default));
        Assert.Empty(await Store.SumPeriodsAsync(null, Sensor, Level, Filter(TimeRelation.After, T(45)), T(0), TimeSpan.FromHours(1), false, default));

        // Written again, the entity is no longer deleted; its history stays.
        await AppendAsync(null, Sensor, T(60), (Level, Value(5, T(60))));
        Assert.Null((await Store.GetEntityAsync(null, Sensor, default))!.DeletedAt);
        Assert.Equal(6, (await Store.ReadInstancesAsync(null, Sensor, Level, TimeFilter.All, 100, false, default)).Instances.Count);
    }

    [Fact]
    public async Task Deleting_an_entity_removes_its_whole_history()
    {
        await AppendLevelsAsync();
        await AppendLevelsAsync(id: "urn:ngsi-ld:Sensor:kept");

        Assert.True(await Store.DeleteEntityAsync(null, Sensor, T(100), default));
        Assert.False(await Store.DeleteEntityAsync(null, Sensor, T(100), default));

        Assert.Null(await Store.GetEntityAsync(null, Sensor, default));
        Assert.Empty(await LevelsAsync(null, TimeFilter.All));
        Assert.Empty(await Store.AttributesAsync(null, Sensor, default));
        Assert.Equal(["urn:ngsi-ld:Sensor:kept"], (await Store.FindEntitiesAsync(null, null, null, TimeFilter.All, default)).Select(h => h.Id));
        Assert.Equal([1, 2, 3, 4], await LevelsAsync(null, TimeFilter.All, "urn:ngsi-ld:Sensor:kept"));

        // The same id starts a new history.
        Assert.True(await AppendAsync(null, Sensor, T(70), (Level, Value(8, T(70)))));
        Assert.Equal([8], await LevelsAsync(null, TimeFilter.All));
    }

    [Fact]
    public async Task History_of_changes_made_before_a_temporal_deletion_does_not_bring_the_entity_back()
    {
        await AppendLevelsAsync();
        Assert.True(await Store.DeleteEntityAsync(null, Sensor, T(50), default));

        // The markers of a core DELETE made before the temporal one arrive late from the journal.
        await Store.RecordAsync(null, [new TemporalWrite(Sensor, [Ns + "Sensor"], null, T(49), [(Level, Marker(T(49)))], DeletedAt: T(49))], 1, default);
        Assert.Null(await Store.GetEntityAsync(null, Sensor, default));
        Assert.Empty(await Store.FindEntitiesAsync(null, null, null, TimeFilter.All, default));
        Assert.Equal(1, await Store.RecordedPositionAsync(null, default));

        // A change made after the temporal deletion starts a new history.
        await Store.RecordAsync(null, [new TemporalWrite(Sensor, [Ns + "Sensor"], null, T(51), [(Level, Value(9, T(51)))])], 2, default);
        Assert.Equal([9], await LevelsAsync(null, TimeFilter.All));
    }

    [Fact]
    public async Task Deleting_an_attribute_removes_the_default_instance_one_datasetId_or_all()
    {
        await AppendAsync(null, Sensor, T(1),
            (Level, Value(1, T(1))), (Level, Value(2, T(2))), (Level, Value(3, T(3), "urn:ds:a")), (Level, Value(4, T(4), "urn:ds:b")), (Name, Value("n", T(1))));

        Assert.Equal(2, await Store.DeleteAttributeAsync(null, Sensor, Level, null, deleteAll: false, default));
        Assert.Equal([3, 4], await LevelsAsync(null, TimeFilter.All));
        Assert.Equal(1, await Store.DeleteAttributeAsync(null, Sensor, Level, "urn:ds:a", deleteAll: false, default));
        Assert.Equal("urn:ds:b", Assert.Single((await Store.ReadInstancesAsync(null, Sensor, Level, TimeFilter.All, 100, false, default)).Instances).Data.DatasetId);
        Assert.Equal(0, await Store.DeleteAttributeAsync(null, Sensor, Level, "urn:ds:a", deleteAll: false, default));

        await AppendAsync(null, Sensor, T(5), (Level, Value(5, T(5))), (Level, Value(6, T(6), "urn:ds:a")));
        Assert.Equal(3, await Store.DeleteAttributeAsync(null, Sensor, Level, null, deleteAll: true, default));
        Assert.Empty(await LevelsAsync(null, TimeFilter.All));
        Assert.Equal([Name], await Store.AttributesAsync(null, Sensor, default));
        Assert.Equal(0, await Store.DeleteAttributeAsync(null, Sensor, Ns + "none", null, deleteAll: true, default));
        Assert.NotNull(await Store.GetEntityAsync(null, Sensor, default));
    }

    [Fact]
    public async Task An_instance_is_deleted_or_replaced_by_its_instanceId()
    {
        await AppendLevelsAsync();
        var instances = (await Store.ReadInstancesAsync(null, Sensor, Level, TimeFilter.All, 100, false, default)).Instances;

        Assert.True(await Store.DeleteInstanceAsync(null, Sensor, Level, instances[0].InstanceId, default));
        Assert.False(await Store.DeleteInstanceAsync(null, Sensor, Level, instances[0].InstanceId, default));
        Assert.False(await Store.DeleteInstanceAsync(null, Sensor, Name, instances[1].InstanceId, default));
        Assert.Equal([2, 3, 4], await LevelsAsync(null, TimeFilter.All));

        var replacement = new NgsiAttribute { Kind = AttributeKind.Property, Value = 20, UnitCode = "CMT", CreatedAt = T(99), ModifiedAt = T(90) };
        Assert.True(await Store.ReplaceInstanceAsync(null, Sensor, Level, instances[1].InstanceId, replacement, default));
        Assert.False(await Store.ReplaceInstanceAsync(null, Sensor, Level, instances[0].InstanceId, replacement, default));
        Assert.False(await Store.ReplaceInstanceAsync(null, Sensor, Name, instances[1].InstanceId, replacement, default));

        var replaced = (await Store.ReadInstancesAsync(null, Sensor, Level, TimeFilter.All, 100, false, default)).Instances[0];
        Assert.Equal(instances[1].InstanceId, replaced.InstanceId);
        Assert.Equal(20, replaced.Data.Value!.GetValue<double>());
        Assert.Equal("CMT", replaced.Data.UnitCode);
        Assert.Equal((T(20), T(20), T(90)), (replaced.Data.ObservedAt, replaced.Data.CreatedAt, replaced.Data.ModifiedAt));
        Assert.Equal([20, 3, 4], (await Store.ReadValuesAsync(null, Sensor, Level, TimeFilter.All, default)).Select(v => v.Number!.Value));
    }

    [Fact]
    public async Task Values_are_read_and_summed_per_datasetId_and_period_for_aggregation()
    {
        await AppendAsync(null, Sensor, T(1),
            (Level, Value(1, T(10))), (Level, Value(3, T(20))), (Level, Value(3, T(25))), (Level, Value(8, T(130))), (Level, Value(5, T(15), "urn:ds:a")));

        var values = await Store.ReadValuesAsync(null, Sensor, Level, TimeFilter.All, default);
        Assert.Equal([T(10), T(15), T(20), T(25), T(130)], values.Select(v => v.Time));
        Assert.Equal([null, "urn:ds:a", null, null, null], values.Select(v => v.DatasetId));
        Assert.All(values, v => Assert.Equal(AttributeKind.Property, v.Kind));

        var sums = (await Store.SumPeriodsAsync(null, Sensor, Level, TimeFilter.All, T(0), TimeSpan.FromHours(1), countDistinct: true, default))
            .OrderBy(s => s.DatasetId ?? "", StringComparer.Ordinal).ThenBy(s => s.Period).ToList();
        Assert.Equal([(null, 0L), (null, 2L), ("urn:ds:a", 0L)], sums.Select(s => (s.DatasetId, s.Period)));
        var first = sums[0];
        Assert.Equal((3L, 2L, 3L, 7.0, 19.0, 1.0, 3.0, T(25)), (first.Count, first.Distinct, first.NumberCount, first.Sum, first.SumOfSquares, first.Min, first.Max, first.Last));
        Assert.Equal((1L, 8.0, T(130)), (sums[1].Count, sums[1].Sum, sums[1].Last));
        Assert.Equal(5.0, sums[2].Max);

        var filtered = await Store.SumPeriodsAsync(null, Sensor, Level, Filter(TimeRelation.Before, T(20)), T(0), TimeSpan.FromMinutes(10), countDistinct: false, default);
        Assert.Equal([(null, 1L, 1L), ("urn:ds:a", 1L, 1L)], filtered.Select(s => (s.DatasetId, s.Period, s.Count)).OrderBy(s => s.DatasetId ?? "", StringComparer.Ordinal));

        await AppendAsync(null, Sensor, T(2), (Name, Value("a", T(1))), (Name, Value("a", T(2))), (Name, Value("b", T(3))));
        var text = Assert.Single(await Store.SumPeriodsAsync(null, Sensor, Name, TimeFilter.All, T(0), TimeSpan.FromHours(1), countDistinct: true, default));
        Assert.Equal((3L, 2L, 0L, (double?)null), (text.Count, text.Distinct, text.NumberCount, text.Max));
        var texts = await Store.ReadValuesAsync(null, Sensor, Name, TimeFilter.All, default);
        Assert.Equal([T(1), T(2), T(3)], texts.Select(v => v.Time));
        Assert.Equal(texts[0].Value, texts[1].Value);
        Assert.NotEqual(texts[0].Value, texts[2].Value);
        Assert.All(texts, v => Assert.Null(v.Number));
    }

    [Fact]
    public async Task Pruning_deletes_the_instances_older_than_each_entitys_retention()
    {
        var kept = "urn:ngsi-ld:Sensor:kept";
        await AppendAsync(null, Sensor, T(0), (Level, Value(1, T(0))), (Level, Value(2, T(0).AddDays(2).AddHours(1))), (Name, Value("n", T(0).AddHours(1))));
        await AppendAsync(null, kept, T(0), (Level, Value(1, T(0))));
        await AppendAsync("city", Sensor, T(0), (Level, Value(1, T(0))));
        Time.Advance(TimeSpan.FromDays(3));

        TimeSpan? Retention(TemporalEntityHead head) => head.Id == kept ? null : TimeSpan.FromDays(1);
        Assert.Equal(2, await Store.PruneAsync(null, Retention, Time.GetUtcNow(), default));

        Assert.Equal([2], await LevelsAsync(null, TimeFilter.All));
        Assert.Equal([Level], await Store.AttributesAsync(null, Sensor, default));
        Assert.Equal([1], await LevelsAsync(null, TimeFilter.All, kept));
        Assert.Equal([1], await LevelsAsync("city", TimeFilter.All));
        Assert.Equal(0, await Store.PruneAsync(null, Retention, Time.GetUtcNow(), default));
        Assert.Equal(0, await Store.PruneAsync("city-none", _ => TimeSpan.Zero, Time.GetUtcNow(), default));
    }

    [Fact]
    public async Task The_recorded_journal_position_only_moves_forward_with_the_history()
    {
        Assert.Equal(0, await Store.RecordedPositionAsync(null, default));
        Assert.Equal(0, await Store.RecordedPositionAsync("city", default));

        await Store.RecordAsync("city", [Write(Sensor, T(1), (Level, Value(1, T(1)))), Write("urn:ngsi-ld:Sensor:t2", T(1), (Level, Value(2, T(1))))], 7, default);
        Assert.Equal(7, await Store.RecordedPositionAsync("city", default));
        Assert.Equal(0, await Store.RecordedPositionAsync(null, default));
        Assert.Equal([1], await LevelsAsync("city", TimeFilter.All));
        Assert.Equal([2], await LevelsAsync("city", TimeFilter.All, "urn:ngsi-ld:Sensor:t2"));

        await Store.RecordAsync("city", [], 9, default);
        Assert.Equal(9, await Store.RecordedPositionAsync("city", default));
        await Store.RecordAsync("city", [], 8, default);
        Assert.Equal(9, await Store.RecordedPositionAsync("city", default));
    }

    [Fact]
    public async Task Reads_in_a_snapshot_do_not_see_a_write_committed_meanwhile()
    {
        await AppendLevelsAsync();

        var (inside, later) = await Store.InSnapshotAsync(null, async () =>
        {
            var first = (await Store.GetEntityAsync(null, Sensor, default), await LevelsAsync(null, TimeFilter.All));
            // Another request deletes the entity (deletedAt and a marker) while this response is being read.
            await Task.Run(async () =>
                await Store.AppendAsync(null, new TemporalWrite(Sensor, [Ns + "Sensor"], null, T(50), [(Level, Marker(T(50)))], DeletedAt: T(50)), default));
            var second = (await Store.GetEntityAsync(null, Sensor, default), (await Store.ReadInstancesAsync(null, Sensor, Level, TimeFilter.All, 100, false, default)).Instances.Count);
            return (first, second);
        });

        Assert.Null(inside.Item1!.DeletedAt);
        Assert.Equal([1, 2, 3, 4], inside.Item2);
        Assert.Null(later.Item1!.DeletedAt);
        Assert.Equal(4, later.Item2);

        Assert.Equal(T(50), (await Store.GetEntityAsync(null, Sensor, default))!.DeletedAt);
        Assert.Equal(5, (await Store.ReadInstancesAsync(null, Sensor, Level, TimeFilter.All, 100, false, default)).Instances.Count);
        Assert.Equal(42, await Store.InSnapshotAsync("city-none", () => Task.FromResult(42)));
    }

    [Fact]
    public async Task The_store_answers_the_readiness_probe()
    {
        Assert.True(await Store.PingAsync(default));
    }

    [Fact]
    public async Task History_and_the_journal_position_survive_a_reopen()
    {
        await AppendLevelsAsync("city");
        await Store.RecordAsync(null, [Write(Sensor, T(5), (Name, Value("north", T(5), "urn:ds:a")))], 12, default);
        var before = (await Store.ReadInstancesAsync("city", Sensor, Level, TimeFilter.All, 100, false, default)).Instances;

        await CloseAsync(Store);
        Store = await OpenAsync();

        var after = (await Store.ReadInstancesAsync("city", Sensor, Level, TimeFilter.All, 100, false, default)).Instances;
        Assert.Equal(before.Select(i => (i.InstanceId, i.Data.ObservedAt, i.Data.Value!.GetValue<double>())), after.Select(i => (i.InstanceId, i.Data.ObservedAt, i.Data.Value!.GetValue<double>())));
        Assert.Equal(12, await Store.RecordedPositionAsync(null, default));
        Assert.Equal("urn:ds:a", Assert.Single((await Store.ReadInstancesAsync(null, Sensor, Name, TimeFilter.All, 100, false, default)).Instances).Data.DatasetId);
        Assert.Equal((T(40), T(41)), ((await Store.GetEntityAsync("city", Sensor, default))!.CreatedAt, (await Store.GetEntityAsync("city", Sensor, default))!.ModifiedAt));
        Assert.Equal(["city"], await Store.ListTenantsAsync(default));
        Assert.True(await Store.PingAsync(default));
    }

    /// <summary>A number or a string as an attribute value.</summary>
    private readonly record struct JsonValueOf(System.Text.Json.Nodes.JsonNode Node)
    {
        public static implicit operator JsonValueOf(double value) => new(value);
        public static implicit operator JsonValueOf(string value) => new(value);
    }
}
