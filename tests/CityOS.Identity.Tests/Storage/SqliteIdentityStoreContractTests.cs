using CityOS.Core.Hosting;
using CityOS.Identity.Storage;
using CityOS.Storage.Contracts;
using Microsoft.Data.Sqlite;

namespace CityOS.Identity.Tests.Storage;

/// <summary>The identity store contract on the SQLite engine: identity.db in a directory of its own.</summary>
public sealed class SqliteIdentityStoreContractTests : IdentityStoreContract
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "cityos-identity-contract-" + Guid.NewGuid().ToString("N"));

    protected override ValueTask<IIdentityStore> OpenAsync() => ValueTask.FromResult<IIdentityStore>(new SqliteIdentityStore(new DataDirectory(_path)));

    /// <summary>The store holds no connection between calls; closing it releases the pooled ones.</summary>
    protected override ValueTask CloseAsync(IIdentityStore store)
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask DestroyAsync()
    {
        if (Directory.Exists(_path)) Directory.Delete(_path, recursive: true);
        return ValueTask.CompletedTask;
    }
}
