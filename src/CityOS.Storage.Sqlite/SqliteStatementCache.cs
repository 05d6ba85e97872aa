using Microsoft.Data.Sqlite;

namespace CityOS.Storage.Sqlite;

/// <summary>
/// The commands of one connection, kept for the connection's lifetime, so that SQLite parses and plans a statement
/// once rather than on every call (Microsoft.Data.Sqlite keeps a command's prepared statements while its text is unchanged).
/// For fixed SQL on hot paths only: every distinct text stays cached. Not thread-safe, like the connection it serves.
/// </summary>
public sealed class SqliteStatementCache(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>The command for <paramref name="sql"/>, in <paramref name="transaction"/>, with no parameters. Do not dispose it.</summary>
    public SqliteCommand Get(string sql, SqliteTransaction? transaction = null)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        command.Transaction = transaction;
        command.Parameters.Clear();
        return command;
    }

    public int Count => _commands.Count;

    public void Dispose()
    {
        foreach (var command in _commands.Values) command.Dispose();
        _commands.Clear();
    }
}
