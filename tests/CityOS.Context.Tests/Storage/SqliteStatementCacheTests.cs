using CityOS.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace CityOS.Context.Tests.Storage;

public sealed class SqliteStatementCacheTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "cityos-statements-" + Guid.NewGuid().ToString("N") + ".db");
    private readonly SqliteConnection _connection;

    public SqliteStatementCacheTests()
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)";
        create.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _connection.Dispose();
        File.Delete(_path);
    }

    [Fact]
    public void The_same_text_gives_the_same_command_without_the_previous_parameters_in_each_new_transaction()
    {
        using var cache = new SqliteStatementCache(_connection);
        for (var round = 0; round < 3; round++)
        {
            using var transaction = _connection.BeginTransaction();
            for (var i = 0; i < 5; i++)
            {
                var insert = cache.Get("INSERT INTO t(k, v) VALUES ($k, $v)", transaction);
                Assert.Empty(insert.Parameters);
                insert.Parameters.AddWithValue("$k", round * 10 + i);
                insert.Parameters.AddWithValue("$v", $"row {round}.{i}");
                Assert.Equal(1, insert.ExecuteNonQuery());
            }
            transaction.Commit();
        }
        Assert.Same(cache.Get("INSERT INTO t(k, v) VALUES ($k, $v)"), cache.Get("INSERT INTO t(k, v) VALUES ($k, $v)"));
        var read = cache.Get("SELECT v FROM t WHERE k = $k");
        read.Parameters.AddWithValue("$k", 23);
        Assert.Equal("row 2.3", read.ExecuteScalar());
        var count = cache.Get("SELECT count(*) FROM t");
        Assert.Equal(15L, count.ExecuteScalar());
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public void A_failed_statement_leaves_the_command_usable()
    {
        using var cache = new SqliteStatementCache(_connection);
        var insert = cache.Get("INSERT INTO t(k, v) VALUES ($k, $v)");
        insert.Parameters.AddWithValue("$k", 1);
        insert.Parameters.AddWithValue("$v", "first");
        insert.ExecuteNonQuery();
        insert = cache.Get("INSERT INTO t(k, v) VALUES ($k, $v)");
        insert.Parameters.AddWithValue("$k", 1);
        insert.Parameters.AddWithValue("$v", "duplicate key");
        Assert.Throws<SqliteException>(() => insert.ExecuteNonQuery());
        insert = cache.Get("INSERT INTO t(k, v) VALUES ($k, $v)");
        insert.Parameters.AddWithValue("$k", 2);
        insert.Parameters.AddWithValue("$v", "second");
        Assert.Equal(1, insert.ExecuteNonQuery());
    }
}
