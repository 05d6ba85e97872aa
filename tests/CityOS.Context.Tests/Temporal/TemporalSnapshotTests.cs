using CityOS.Context.Model;
using CityOS.Context.Temporal;
using CityOS.Context.Temporal.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Tests.Temporal;

/// <summary>The temporal store's read snapshot: every read of one response sees the same committed state.</summary>
public sealed class TemporalSnapshotTests : IDisposable
{
    private const string Id = "urn:ngsi-ld:Sensor:snapshot";
    private const string Attribute = "https://example.org/level";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cityos-temporal-snapshot-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteTemporalStore _store;

    public TemporalSnapshotTests() => _store = new SqliteTemporalStore(new CityOS.Core.Hosting.DataDirectory(_directory));

    public void Dispose()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static TemporalWrite Level(double value, DateTimeOffset at, DateTimeOffset? deletedAt = null) =>
        new(Id, ["https://example.org/Sensor"], null, at,
            [(Attribute, new StoredInstance(StoredInstance.NewId(), new NgsiAttribute { Kind = AttributeKind.Property, Value = value, ObservedAt = at, CreatedAt = at, ModifiedAt = at }))],
            deletedAt);

    private async Task<(TemporalEntityHead? Head, int Instances)> ReadAsync() =>
        (await _store.GetEntityAsync(null, Id, default),
         (await _store.ReadInstancesAsync(null, Id, Attribute, TimeFilter.All, 100, newestFirst: false, default)).Instances.Count);

    [Fact]
    public async Task Reads_inside_a_snapshot_do_not_see_a_write_committed_meanwhile_and_reads_after_it_do()
    {
        var t0 = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
        await _store.AppendAsync(null, Level(1, t0), default);

        var (before, after) = await _store.InSnapshotAsync(null, async () =>
        {
            var first = await ReadAsync();
            // Another request deletes the entity (a marker and deletedAt) while this response is being read.
            await Task.Run(async () => await _store.AppendAsync(null, Level(2, t0.AddMinutes(1), deletedAt: t0.AddMinutes(1)), default));
            var second = await ReadAsync();
            return (first, second);
        });

        Assert.Null(before.Head!.DeletedAt);
        Assert.Equal(1, before.Instances);
        Assert.Null(after.Head!.DeletedAt);
        Assert.Equal(1, after.Instances);

        var now = await ReadAsync();
        Assert.Equal(t0.AddMinutes(1), now.Head!.DeletedAt);
        Assert.Equal(2, now.Instances);
    }

    [Fact]
    public async Task A_snapshot_of_a_tenant_without_a_store_just_runs_the_reads()
    {
        var result = await _store.InSnapshotAsync("nobody", async () => await _store.GetEntityAsync("nobody", Id, default));
        Assert.Null(result);
    }
}
