using Microsoft.Data.Sqlite;

namespace CityOS.Storage.Sqlite;

/// <summary>Schema upgrades of the SQLite files every block keeps (entities, history, subscriptions, identity).</summary>
public static class SqliteMigrations
{
    /// <summary>
    /// Runs the migrations a file has not had yet, each with its PRAGMA user_version in one transaction, and refuses
    /// a file written by a newer cityos.
    /// </summary>
    public static void Apply(SqliteConnection connection, IReadOnlyList<string> migrations)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(read.ExecuteScalar());
        if (version > migrations.Count)
        {
            throw new InvalidOperationException(
                $"The database {connection.DataSource} has schema version {version}, newer than this cityos ({migrations.Count}). Upgrade cityos.");
        }
        for (var next = version; next < migrations.Count; next++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = migrations[next] + $"\nPRAGMA user_version = {next + 1};";
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    /// <summary>Adds a column a file written by an earlier version does not have yet.</summary>
    public static void AddColumnIfMissing(SqliteConnection connection, string table, string column, string definition)
    {
        using var check = connection.CreateCommand();
        check.CommandText = $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = $c";
        check.Parameters.AddWithValue("$c", column);
        if (Convert.ToInt64(check.ExecuteScalar()) != 0) return;
        using var alter = connection.CreateCommand();
        alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {definition}";
        alter.ExecuteNonQuery();
    }
}
