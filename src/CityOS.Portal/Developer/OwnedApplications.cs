using CityOS.Core.Hosting;
using CityOS.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace CityOS.Portal.Developer;

/// <summary>
/// Which user registered which application's OAuth client through the portal ("my applications"). The clients themselves
/// live in the identity block (<see cref="CityOS.Core.Security.IApplicationClients"/>); this is only the owner's list.
/// </summary>
public interface IOwnedApplications
{
    /// <summary>Records that <paramref name="owner"/> (a caller's subject) registered the client.</summary>
    Task AddAsync(string owner, string clientId, CancellationToken ct);

    /// <summary>The client ids the owner registered, newest first.</summary>
    Task<IReadOnlyList<string>> ListAsync(string owner, CancellationToken ct);

    /// <summary>Whether the owner registered the client.</summary>
    Task<bool> OwnsAsync(string owner, string clientId, CancellationToken ct);

    /// <summary>Forgets the client of the owner; false when the owner had none of that id.</summary>
    Task<bool> RemoveAsync(string owner, string clientId, CancellationToken ct);
}

/// <summary>The owners' lists in portal/applications.db of the data directory.</summary>
public sealed class SqliteOwnedApplications(DataDirectory data) : IOwnedApplications
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE owned_clients (
            owner TEXT NOT NULL,
            client_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (owner, client_id)) WITHOUT ROWID;
        CREATE INDEX owned_clients_order ON owned_clients(owner, seq);
        """,
    ];

    private readonly Lazy<string> _connectionString = new(() => SqliteFile.Prepare(data.Combine("portal", "applications.db"), Migrations));

    public async Task AddAsync(string owner, string clientId, CancellationToken ct) =>
        await ExecuteAsync("""
            INSERT INTO owned_clients (owner, client_id, seq)
            VALUES ($owner, $client, (SELECT coalesce(max(seq), 0) + 1 FROM owned_clients)) ON CONFLICT DO NOTHING
            """, owner, clientId, ct);

    public async Task<IReadOnlyList<string>> ListAsync(string owner, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT client_id FROM owned_clients WHERE owner = $owner ORDER BY seq DESC";
        command.Parameters.AddWithValue("$owner", owner);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        return ids;
    }

    public async Task<bool> OwnsAsync(string owner, string clientId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM owned_clients WHERE owner = $owner AND client_id = $client";
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$client", clientId);
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    public async Task<bool> RemoveAsync(string owner, string clientId, CancellationToken ct) =>
        await ExecuteAsync("DELETE FROM owned_clients WHERE owner = $owner AND client_id = $client", owner, clientId, ct) > 0;

    private async Task<int> ExecuteAsync(string sql, string owner, string clientId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$client", clientId);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString.Value);
        await connection.OpenAsync(ct);
        return connection;
    }
}
