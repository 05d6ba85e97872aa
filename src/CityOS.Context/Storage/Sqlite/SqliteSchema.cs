using Microsoft.Data.Sqlite;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>The tenant database schema, versioned; <see cref="Migrate"/> brings any older file up to date on open.</summary>
internal static class SqliteSchema
{
    // Index tables are WITHOUT ROWID with the lookup key first, so each index row is one B-tree entry;
    // a writer removes an entity's rows by their keys, computed from the entity it replaces.
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
        CREATE TABLE attr_numbers(
            attr TEXT NOT NULL,
            num REAL NOT NULL,
            entity INTEGER NOT NULL,
            PRIMARY KEY(attr, num, entity)) WITHOUT ROWID;
        CREATE TABLE attr_texts(
            attr TEXT NOT NULL,
            txt TEXT NOT NULL,
            entity INTEGER NOT NULL,
            PRIMARY KEY(attr, txt, entity)) WITHOUT ROWID;
        CREATE VIRTUAL TABLE geo_rtree USING rtree(id, minx, maxx, miny, maxy, +entity INTEGER, +attr TEXT, +x REAL, +y REAL, +types TEXT);
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
        // Changes a consumer could not process, with a copy of the change (the journal row is pruned once acknowledged).
        """
        CREATE TABLE dead_letters(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            consumer TEXT NOT NULL,
            subscription_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            entity_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            before BLOB,
            after BLOB,
            error TEXT NOT NULL,
            failed_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            UNIQUE(consumer, seq, subscription_id));
        """,
        // The attributes of which an entity holds more than one number (an array, several instances): a range merged
        // from two q comparisons may be met by two of them, so these entities are candidates of such a range too.
        """
        CREATE TABLE attr_multi(
            attr TEXT NOT NULL,
            entity INTEGER NOT NULL,
            PRIMARY KEY(attr, entity)) WITHOUT ROWID;
        INSERT INTO attr_multi SELECT attr, entity FROM attr_numbers GROUP BY attr, entity HAVING count(*) > 1;
        """,
        // Which node drains each consumer's changes, until when (unix milliseconds).
        """
        CREATE TABLE change_leases(
            consumer TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at INTEGER NOT NULL);
        """,
    ];

    public static int CurrentVersion => Migrations.Length;

    public static void Migrate(SqliteConnection connection) => global::CityOS.Storage.Sqlite.SqliteMigrations.Apply(connection, Migrations);
}
