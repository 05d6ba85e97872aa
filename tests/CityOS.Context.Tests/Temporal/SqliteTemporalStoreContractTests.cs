using CityOS.Context.Temporal.Storage;
using CityOS.Core.Hosting;
using CityOS.Storage.Contracts;
using Microsoft.Data.Sqlite;

namespace CityOS.Context.Tests.Temporal;

/// <summary>The temporal store contract on the SQLite engine, one data directory per test.</summary>
public sealed class SqliteTemporalStoreContractTests : TemporalStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cityos-temporal-contract-" + Guid.NewGuid().ToString("N"));

    protected override ValueTask<ITemporalStore> OpenAsync() => ValueTask.FromResult<ITemporalStore>(new SqliteTemporalStore(new DataDirectory(_directory)));

    protected override ValueTask CloseAsync(ITemporalStore store)
    {
        ((SqliteTemporalStore)store).Dispose();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask DestroyAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
