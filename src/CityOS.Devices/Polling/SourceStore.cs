using System.Text.Json;
using CityOS.Core.Hosting;
using CityOS.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using static CityOS.Devices.Storage.SqliteCommands;

namespace CityOS.Devices.Polling;

/// <summary>Registered external systems, when each is next due, and the history of their polls.</summary>
public interface ISourceStore
{
    Task AddAsync(ExternalSource source, DateTimeOffset nextRun, CancellationToken ct);
    Task<IReadOnlyList<ExternalSource>> ListAsync(string? tenant, CancellationToken ct);

    /// <summary>The source of that id in the tenant; another tenant's source does not exist here.</summary>
    Task<ExternalSource?> FindAsync(string? tenant, string id, CancellationToken ct);

    Task<bool> DeleteAsync(string? tenant, string id, CancellationToken ct);

    /// <summary>Enabled sources whose next run is at or before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<ExternalSource>> DueAsync(DateTimeOffset now, CancellationToken ct);

    Task<DateTimeOffset?> NextRunAsync(string id, CancellationToken ct);
    Task SetNextRunAsync(string id, DateTimeOffset nextRun, CancellationToken ct);

    /// <summary>Adds a run and keeps only the last <paramref name="kept"/> of the source.</summary>
    Task AddRunAsync(SourceRun run, int kept, CancellationToken ct);

    /// <summary>The latest runs first.</summary>
    Task<IReadOnlyList<SourceRun>> RunsAsync(string id, int limit, CancellationToken ct);
}

/// <summary>The store in <c>import-sources.db</c> of the data directory; each record is JSON beside its lookup columns.</summary>
public sealed class SqliteSourceStore : ISourceStore
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE sources (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, next_run INTEGER NOT NULL, enabled INTEGER NOT NULL, body TEXT NOT NULL);
        CREATE INDEX sources_tenant ON sources (tenant);
        CREATE INDEX sources_due ON sources (enabled, next_run);
        CREATE TABLE runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, source_id TEXT NOT NULL, body TEXT NOT NULL);
        CREATE INDEX runs_source ON runs (source_id, seq);
        """,
    ];

    private readonly string _connectionString;

    public SqliteSourceStore(DataDirectory data)
    {
        Directory.CreateDirectory(data.Path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = data.Combine("import-sources.db"), Pooling = true }.ToString();
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode = WAL");
        SqliteMigrations.Apply(connection, Migrations);
    }

    public Task AddAsync(ExternalSource source, DateTimeOffset nextRun, CancellationToken ct)
    {
        using var connection = Open();
        Execute(connection, "INSERT INTO sources VALUES ($id, $t, $n, $e, $b)", ("$id", source.Id), ("$t", Key(source.Tenant)), ("$n", nextRun.ToUnixTimeMilliseconds()),
            ("$e", source.Enabled ? 1 : 0), ("$b", JsonSerializer.Serialize(source, PollingJson.Default.ExternalSource)));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ExternalSource>> ListAsync(string? tenant, CancellationToken ct) =>
        Task.FromResult(Sources("SELECT body FROM sources WHERE tenant = $t ORDER BY rowid", ("$t", Key(tenant))));

    public Task<ExternalSource?> FindAsync(string? tenant, string id, CancellationToken ct) =>
        Task.FromResult(Sources("SELECT body FROM sources WHERE id = $id AND tenant = $t", ("$id", id), ("$t", Key(tenant))).FirstOrDefault());

    public Task<bool> DeleteAsync(string? tenant, string id, CancellationToken ct)
    {
        using var connection = Open();
        var deleted = false;
        InTransaction(connection, () =>
        {
            deleted = Execute(connection, "DELETE FROM sources WHERE id = $id AND tenant = $t", ("$id", id), ("$t", Key(tenant))) > 0;
            if (deleted) Execute(connection, "DELETE FROM runs WHERE source_id = $id", ("$id", id));
        });
        return Task.FromResult(deleted);
    }

    public Task<IReadOnlyList<ExternalSource>> DueAsync(DateTimeOffset now, CancellationToken ct) =>
        Task.FromResult(Sources("SELECT body FROM sources WHERE enabled = 1 AND next_run <= $n ORDER BY next_run LIMIT 100", ("$n", now.ToUnixTimeMilliseconds())));

    public Task<DateTimeOffset?> NextRunAsync(string id, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT next_run FROM sources WHERE id = $id", ("$id", id));
        return Task.FromResult(command.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null);
    }

    public Task SetNextRunAsync(string id, DateTimeOffset nextRun, CancellationToken ct)
    {
        using var connection = Open();
        Execute(connection, "UPDATE sources SET next_run = $n WHERE id = $id", ("$id", id), ("$n", nextRun.ToUnixTimeMilliseconds()));
        return Task.CompletedTask;
    }

    public Task AddRunAsync(SourceRun run, int kept, CancellationToken ct)
    {
        using var connection = Open();
        InTransaction(connection, () =>
        {
            Execute(connection, "INSERT INTO runs (source_id, body) VALUES ($id, $b)", ("$id", run.SourceId), ("$b", JsonSerializer.Serialize(run, PollingJson.Default.SourceRun)));
            Execute(connection, "DELETE FROM runs WHERE source_id = $id AND seq <= (SELECT seq FROM runs WHERE source_id = $id ORDER BY seq DESC LIMIT 1 OFFSET $k)",
                ("$id", run.SourceId), ("$k", kept));
        });
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<SourceRun>> RunsAsync(string id, int limit, CancellationToken ct)
    {
        using var connection = Open();
        return Task.FromResult<IReadOnlyList<SourceRun>>(Bodies(connection, "SELECT body FROM runs WHERE source_id = $id ORDER BY seq DESC LIMIT $l",
            body => JsonSerializer.Deserialize(body, PollingJson.Default.SourceRun)!, ("$id", id), ("$l", limit)));
    }

    private static string Key(string? tenant) => tenant ?? "";

    private IReadOnlyList<ExternalSource> Sources(string sql, params (string, object)[] parameters)
    {
        using var connection = Open();
        return Bodies(connection, sql, body => JsonSerializer.Deserialize(body, PollingJson.Default.ExternalSource)!, parameters);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void InTransaction(SqliteConnection connection, Action work)
    {
        Execute(connection, "BEGIN IMMEDIATE");
        try
        {
            work();
            Execute(connection, "COMMIT");
        }
        catch
        {
            Execute(connection, "ROLLBACK");
            throw;
        }
    }
}
