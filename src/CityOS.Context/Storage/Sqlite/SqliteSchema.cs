using Microsoft.Data.Sqlite;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>The tenant database schema, versioned; <see cref="Migrate"/> brings any older file up to date on open.</summary>
internal static class SqliteSchema
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE entities(
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            doc BLOB NOT NULL);
        CREATE TABLE entity_types(
            type TEXT NOT NULL,
            entity INTEGER NOT NULL,
            PRIMARY KEY(type, entity)) WITHOUT ROWID;
        CREATE INDEX entity_types_entity ON entity_types(entity);
        CREATE TABLE entity_attrs(
            attr TEXT NOT NULL,
            entity INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            PRIMARY KEY(attr, entity)) WITHOUT ROWID;
        CREATE INDEX entity_attrs_entity ON entity_attrs(entity);
        CREATE TABLE attr_values(
            entity INTEGER NOT NULL,
            attr TEXT NOT NULL,
            num REAL,
            txt TEXT);
        CREATE INDEX attr_values_num ON attr_values(attr, num) WHERE num IS NOT NULL;
        CREATE INDEX attr_values_txt ON attr_values(attr, txt) WHERE txt IS NOT NULL;
        CREATE INDEX attr_values_entity ON attr_values(entity);
        CREATE TABLE geo_entries(
            id INTEGER PRIMARY KEY,
            entity INTEGER NOT NULL,
            attr TEXT NOT NULL);
        CREATE INDEX geo_entries_entity ON geo_entries(entity);
        CREATE VIRTUAL TABLE geo_rtree USING rtree(id, minx, maxx, miny, maxy);
        """,
        """
        CREATE TABLE changes(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            entity_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            before BLOB,
            after BLOB);
        CREATE TABLE change_consumers(
            name TEXT PRIMARY KEY,
            acknowledged INTEGER NOT NULL);
        """,
        """
        ALTER TABLE geo_entries ADD COLUMN x REAL;
        ALTER TABLE geo_entries ADD COLUMN y REAL;
        """,
    ];

    public static int CurrentVersion => Migrations.Length;

    public static void Migrate(SqliteConnection connection)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(read.ExecuteScalar());
        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The database {connection.DataSource} has schema version {version}, newer than this cityos ({CurrentVersion}). Upgrade cityos.");
        }
        for (var next = version; next < CurrentVersion; next++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Migrations[next] + $"\nPRAGMA user_version = {next + 1};";
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }
}
