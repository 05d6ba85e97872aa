using Microsoft.Data.Sqlite;

namespace CityOS.Storage.Sqlite;

/// <summary>One SQLite file of a block: created with its folder, WAL with full sync, migrated (<see cref="SqliteMigrations"/>).</summary>
public static class SqliteFile
{
    /// <summary>Creates or upgrades the file at <paramref name="path"/> and returns its pooled connection string.</summary>
    public static string Prepare(string path, IReadOnlyList<string> migrations)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";
            wal.ExecuteNonQuery();
        }
        SqliteMigrations.Apply(connection, migrations);
        return connectionString;
    }
}
