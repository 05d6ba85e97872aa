using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CityOS.Context.Storage.Sqlite;

/// <summary>
/// A prepared statement on SQLite's own API, for the few statements the broker runs thousands of
/// times a second (the writer's, the lookup by id): it skips the ADO.NET command and reader objects
/// that cost as much as SQLite's own work. Not thread-safe; one per connection user.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private byte[] _text = new byte[256];

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    public RawStatement Bind(int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(_statement, index));
            return this;
        }
        // SQLitePCL's string overload allocates a NUL-terminated copy per call; encode into a reused buffer instead (SQLite copies it).
        var length = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_text.Length < length) _text = new byte[Math.Max(length, _text.Length * 2)];
        var written = System.Text.Encoding.UTF8.GetBytes(value, _text);
        Check(raw.sqlite3_bind_text(_statement, index, _text.AsSpan(0, written)));
        return this;
    }

    public RawStatement Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_statement, index, value));
        return this;
    }

    public RawStatement Bind(int index, double? value)
    {
        Check(value is { } number ? raw.sqlite3_bind_double(_statement, index, number) : raw.sqlite3_bind_null(_statement, index));
        return this;
    }

    public RawStatement Bind(int index, ReadOnlySpan<byte> value, bool isNull = false)
    {
        Check(isNull ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_blob(_statement, index, value));
        return this;
    }

    /// <summary>Runs the statement to its end; the statement is reset for the next use.</summary>
    public void Execute()
    {
        try
        {
            int result;
            while ((result = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
            {
            }
            if (result != raw.SQLITE_DONE) Check(result);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Steps once; true when a row is there to read with the column methods. Call <see cref="Reset"/> after.</summary>
    public bool Step()
    {
        var result = raw.sqlite3_step(_statement);
        if (result == raw.SQLITE_ROW) return true;
        if (result != raw.SQLITE_DONE) Check(result);
        return false;
    }

    /// <summary>Binds a value of the kinds the query builder produces: text, integer or real.</summary>
    public RawStatement BindValue(int index, object value) => value switch
    {
        string text => Bind(index, text),
        long integer => Bind(index, integer),
        int integer => Bind(index, (long)integer),
        double real => Bind(index, (double?)real),
        _ => throw new ArgumentException($"Cannot bind a {value.GetType().Name} to SQLite.", nameof(value)),
    };

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    public double Double(int column) => raw.sqlite3_column_double(_statement, column);

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    public ReadOnlySpan<byte> Blob(int column) => raw.sqlite3_column_blob(_statement, column);

    public void Reset() => raw.sqlite3_reset(_statement);

    public long LastInsertRowId => raw.sqlite3_last_insert_rowid(_db);

    private void Check(int result)
    {
        if (result is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException($"SQLite error {result}: {raw.sqlite3_errmsg(_db).utf8_to_string()}", result);
        }
    }

    public void Dispose() => _statement.Dispose();
}
