using CityOS.Context.Storage;
using CityOS.Context.Storage.Sqlite;
using CityOS.Storage.Contracts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Tests.Storage;

/// <summary>The entity store contract on the SQLite engine: one folder of tenant files per test.</summary>
public sealed class SqliteEntityStoreContractTests : EntityStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cityos-contract-" + Guid.NewGuid().ToString("N"));

    protected override IEntityStore Open() =>
        new SqliteEntityStore(Options.Create(new SqliteStoreOptions { DataDirectory = _directory }), Options.Create(new ChangeFeedOptions()), TimeProvider.System, NullLogger<SqliteEntityStore>.Instance);

    protected override ValueTask CloseAsync(IEntityStore store) => ((SqliteEntityStore)store).DisposeAsync();

    protected override ValueTask DestroyAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
