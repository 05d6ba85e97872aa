using Microsoft.Data.Sqlite;

namespace CityOS.Devices.Storage;

/// <summary>The ADO.NET steps the block's SQLite stores (devices, external systems) share: a command with its parameters, a statement, the bodies a query answers.</summary>
internal static class SqliteCommands
{
    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    public static int Execute(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The records of the query's first column, each a JSON body.</summary>
    public static List<T> Bodies<T>(SqliteConnection connection, string sql, Func<string, T> parse, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var records = new List<T>();
        while (reader.Read()) records.Add(parse(reader.GetString(0)));
        return records;
    }
}
