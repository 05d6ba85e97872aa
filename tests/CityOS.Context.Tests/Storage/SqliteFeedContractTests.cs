using CityOS.Context.Model;
using CityOS.Context.Storage;
using CityOS.Context.Storage.Sqlite;
using CityOS.Context.Subscriptions;
using CityOS.Storage.Contracts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Tests.Storage;

/// <summary>The SQLite engine's store on a directory of its own, for the change-feed and dead-letter contracts.</summary>
internal sealed class SqliteContractDirectory
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cityos-contract-" + Guid.NewGuid().ToString("N"));

    public SqliteEntityStore Open(IReadOnlyCollection<string> consumers, TimeProvider time)
    {
        var feed = new ChangeFeedOptions();
        feed.Consumers.UnionWith(consumers);
        return new SqliteEntityStore(Options.Create(new SqliteStoreOptions { DataDirectory = Path }), Options.Create(feed), time, NullLogger<SqliteEntityStore>.Instance);
    }

    /// <summary>Creates (or deletes) an entity through the store's writes.</summary>
    public static Task CommitAsync(SqliteEntityStore store, string? tenant, string entityId, bool delete = false) =>
        store.MutateAsync(tenant, [new EntityMutation(entityId, _ => delete ? MutationOutcome.DeleteEntity : new MutationOutcome.Save(new Entity
        {
            Id = entityId,
            Types = ["https://example.org/Sensor"],
            CreatedAt = DateTimeOffset.UnixEpoch,
            ModifiedAt = DateTimeOffset.UnixEpoch,
        }))], default).AsTask();

    public ValueTask DeleteAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed class SqliteChangeFeedContractTests : ChangeFeedContract
{
    private readonly SqliteContractDirectory _directory = new();

    protected override ValueTask<IChangeFeed> OpenAsync(IReadOnlyCollection<string> consumers, TimeProvider time) =>
        ValueTask.FromResult<IChangeFeed>(_directory.Open(consumers, time));

    protected override Task CommitAsync(IChangeFeed feed, string? tenant, string entityId, bool delete = false) =>
        SqliteContractDirectory.CommitAsync((SqliteEntityStore)feed, tenant, entityId, delete);

    protected override ValueTask CloseAsync(IChangeFeed feed) => ((SqliteEntityStore)feed).DisposeAsync();

    protected override ValueTask DeleteStorageAsync() => _directory.DeleteAsync();
}

public sealed class SqliteDeadLetterStoreContractTests : DeadLetterStoreContract
{
    private readonly SqliteContractDirectory _directory = new();

    protected override ValueTask<IDeadLetterStore> OpenAsync(IReadOnlyCollection<string> consumers, TimeProvider time) =>
        ValueTask.FromResult<IDeadLetterStore>(_directory.Open(consumers, time));

    protected override async Task<long> CommitAsync(IDeadLetterStore store, string? tenant, string entityId)
    {
        var sqlite = (SqliteEntityStore)store;
        await SqliteContractDirectory.CommitAsync(sqlite, tenant, entityId);
        var lease = (await sqlite.TryTakeLeaseAsync(tenant, History, "test", TimeSpan.FromMinutes(1), default))!;
        return (await sqlite.ReadChangesAsync(lease, 10_000, default))[^1].Sequence;
    }

    protected override ValueTask CloseAsync(IDeadLetterStore store) => ((SqliteEntityStore)store).DisposeAsync();

    protected override ValueTask DeleteStorageAsync() => _directory.DeleteAsync();
}

public sealed class SqliteSubscriptionStoreContractTests : SubscriptionStoreContract
{
    private readonly SqliteContractDirectory _directory = new();

    protected override ValueTask<ISubscriptionStore> OpenAsync() =>
        ValueTask.FromResult<ISubscriptionStore>(new SubscriptionStore(Path.Combine(_directory.Path, "subscriptions.db"), NullLogger.Instance));

    protected override ValueTask CloseAsync(ISubscriptionStore store) => ((SubscriptionStore)store).DisposeAsync();

    protected override ValueTask DeleteStorageAsync() => _directory.DeleteAsync();
}
