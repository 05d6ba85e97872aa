using System.Text.Json;
using System.Text.Json.Serialization;
using CityOS.Core;
using CityOS.Identity.Model;
using Microsoft.Data.Sqlite;
using CityOS.Core.Hosting;

namespace CityOS.Identity.Storage;

/// <summary>
/// identity.db in the data directory: WAL, synchronous=FULL, schema versioned with PRAGMA user_version.
/// Records are JSON documents beside the columns queries need. Read-modify-write of an account runs
/// under one lock so concurrent sign-ins count every failure.
/// </summary>
public sealed class SqliteIdentityStore : IIdentityStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE accounts(id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, doc TEXT NOT NULL);
        CREATE TABLE clients(id TEXT PRIMARY KEY, doc TEXT NOT NULL);
        CREATE TABLE roles(tenant TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY(tenant, name));
        CREATE TABLE policies(id TEXT PRIMARY KEY, doc TEXT NOT NULL);
        CREATE TABLE sessions(id_hash TEXT PRIMARY KEY, expires INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE TABLE codes(hash TEXT PRIMARY KEY, expires INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE TABLE refresh_tokens(hash TEXT PRIMARY KEY, family TEXT NOT NULL, expires INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
        CREATE TABLE revoked_families(family TEXT PRIMARY KEY, expires INTEGER NOT NULL);
        CREATE TABLE revoked_access_tokens(jti TEXT PRIMARY KEY, expires INTEGER NOT NULL);
        CREATE TABLE signing_keys(kid TEXT PRIMARY KEY, doc TEXT NOT NULL);
        """,
        """
        CREATE TABLE account_grants(family TEXT PRIMARY KEY, account TEXT NOT NULL, expires INTEGER NOT NULL);
        CREATE INDEX account_grants_account ON account_grants(account);
        """,
    ];

    private readonly string _connectionString;
    private readonly SemaphoreSlim _accountLock = new(1, 1);

    public SqliteIdentityStore(DataDirectory dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory.Path);
        Path = dataDirectory.Combine("identity.db");
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString();
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Migrate(connection);
    }

    public string Path { get; }

    public event Action<IdentityChange>? Changed;

    public static int SchemaVersion => Migrations.Length;

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        await using var connection = Open();
        return await Scalar<long>(connection, "SELECT 1", ct) == 1;
    }

    public async Task CreateAccountAsync(Account account, CancellationToken ct)
    {
        await using var connection = Open();
        try
        {
            await NonQuery(connection, "INSERT INTO accounts(id, username, doc) VALUES($a, $b, $c)", ct, account.Id, account.Username, Serialize(account));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new NgsiLdException(NgsiLdErrorType.AlreadyExists, $"An account named '{account.Username}' already exists.");
        }
    }

    public Task<Account?> GetAccountAsync(string id, CancellationToken ct) => One<Account>("SELECT doc FROM accounts WHERE id = $a", ct, id);

    public Task<Account?> FindAccountAsync(string username, CancellationToken ct) => One<Account>("SELECT doc FROM accounts WHERE username = $a", ct, username);

    public Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct) => Many<Account>("SELECT doc FROM accounts ORDER BY username", ct);

    public async Task<Account?> UpdateAccountAsync(string id, Func<Account, Account> change, CancellationToken ct)
    {
        await _accountLock.WaitAsync(ct);
        try
        {
            var current = await GetAccountAsync(id, ct);
            if (current is null) return null;
            var updated = change(current) with { Id = current.Id };
            await using var connection = Open();
            try
            {
                await NonQuery(connection, "UPDATE accounts SET username = $b, doc = $c WHERE id = $a", ct, id, updated.Username, Serialize(updated));
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                throw new NgsiLdException(NgsiLdErrorType.AlreadyExists, $"An account named '{updated.Username}' already exists.");
            }
            Raise(IdentityChangeKind.Account, id);
            return updated;
        }
        finally
        {
            _accountLock.Release();
        }
    }

    public Task<bool> DeleteAccountAsync(string id, CancellationToken ct) => Delete("DELETE FROM accounts WHERE id = $a", ct, IdentityChangeKind.Account, id);

    public async Task CreateClientAsync(Client client, CancellationToken ct)
    {
        await using var connection = Open();
        try
        {
            await NonQuery(connection, "INSERT INTO clients(id, doc) VALUES($a, $b)", ct, client.Id, Serialize(client));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new NgsiLdException(NgsiLdErrorType.AlreadyExists, $"A client with id '{client.Id}' already exists.");
        }
    }

    public Task<Client?> GetClientAsync(string id, CancellationToken ct) => One<Client>("SELECT doc FROM clients WHERE id = $a", ct, id);

    public Task<IReadOnlyList<Client>> ListClientsAsync(CancellationToken ct) => Many<Client>("SELECT doc FROM clients ORDER BY id", ct);

    public Task<bool> DeleteClientAsync(string id, CancellationToken ct) => Delete("DELETE FROM clients WHERE id = $a", ct, IdentityChangeKind.Client, id);

    public async Task SaveRoleAsync(Role role, CancellationToken ct)
    {
        await using var connection = Open();
        await NonQuery(connection, "INSERT OR REPLACE INTO roles(tenant, name, doc) VALUES($a, $b, $c)", ct, role.Tenant, role.Name, Serialize(role));
    }

    public Task<IReadOnlyList<Role>> ListRolesAsync(string tenant, CancellationToken ct) => Many<Role>("SELECT doc FROM roles WHERE tenant = $a ORDER BY name", ct, tenant);

    public Task<bool> DeleteRoleAsync(string tenant, string name, CancellationToken ct) => Delete("DELETE FROM roles WHERE tenant = $a AND name = $b", ct, tenant, name);

    public async Task SavePolicyAsync(Policy policy, CancellationToken ct)
    {
        await using var connection = Open();
        await NonQuery(connection, "INSERT OR REPLACE INTO policies(id, doc) VALUES($a, $b)", ct, policy.Id, Serialize(policy));
    }

    public Task<Policy?> GetPolicyAsync(string id, CancellationToken ct) => One<Policy>("SELECT doc FROM policies WHERE id = $a", ct, id);

    public Task<IReadOnlyList<Policy>> ListPoliciesAsync(CancellationToken ct) => Many<Policy>("SELECT doc FROM policies ORDER BY id", ct);

    public Task<bool> DeletePolicyAsync(string id, CancellationToken ct) => Delete("DELETE FROM policies WHERE id = $a", ct, id);

    public async Task SaveSessionAsync(string idHash, LoginSession session, CancellationToken ct)
    {
        await using var connection = Open();
        await NonQuery(connection, "DELETE FROM sessions WHERE expires < $a", ct, session.AuthTime.ToUnixTimeSeconds());
        await NonQuery(connection, "INSERT OR REPLACE INTO sessions(id_hash, expires, doc) VALUES($a, $b, $c)", ct,
            idHash, session.Expires.ToUnixTimeSeconds(), Serialize(session));
    }

    public Task<LoginSession?> GetSessionAsync(string idHash, CancellationToken ct) => One<LoginSession>("SELECT doc FROM sessions WHERE id_hash = $a", ct, idHash);

    public async Task SaveCodeAsync(string codeHash, AuthorizationCode code, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = Open();
        // Redeemed codes are kept until they expire, so a replay is recognised and its tokens revoked.
        await NonQuery(connection, "DELETE FROM codes WHERE expires < $a", ct, now.ToUnixTimeSeconds());
        await NonQuery(connection, "INSERT INTO codes(hash, expires, doc) VALUES($a, $b, $c)", ct, codeHash, code.Expires.ToUnixTimeSeconds(), Serialize(code));
    }

    public async Task<(AuthorizationCode Code, bool Redeemed)?> TryRedeemCodeAsync(string codeHash, string family, CancellationToken ct)
    {
        await using var connection = Open();
        return await InTransaction<(AuthorizationCode, bool)?>(connection, async () =>
        {
            var doc = await Scalar<string>(connection, "SELECT doc FROM codes WHERE hash = $a", ct, codeHash);
            if (doc is null) return null;
            var code = Deserialize<AuthorizationCode>(doc);
            if (code.IssuedFamily is not null) return (code, false);
            var redeemed = code with { IssuedFamily = family };
            await NonQuery(connection, "UPDATE codes SET doc = $b WHERE hash = $a", ct, codeHash, Serialize(redeemed));
            return (redeemed, true);
        });
    }

    public async Task SaveRefreshTokenAsync(string tokenHash, RefreshToken token, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = Open();
        await NonQuery(connection, "DELETE FROM refresh_tokens WHERE expires < $a", ct, now.ToUnixTimeSeconds());
        await NonQuery(connection, "INSERT INTO refresh_tokens(hash, family, expires, doc) VALUES($a, $b, $c, $d)", ct,
            tokenHash, token.Family, token.Expires.ToUnixTimeSeconds(), Serialize(token));
    }

    public Task<RefreshToken?> GetRefreshTokenAsync(string tokenHash, CancellationToken ct) =>
        One<RefreshToken>("SELECT doc FROM refresh_tokens WHERE hash = $a", ct, tokenHash);

    public async Task<bool> TryConsumeRefreshTokenAsync(string tokenHash, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = Open();
        return await InTransaction(connection, async () =>
        {
            var doc = await Scalar<string>(connection, "SELECT doc FROM refresh_tokens WHERE hash = $a", ct, tokenHash);
            if (doc is null) return false;
            var token = Deserialize<RefreshToken>(doc);
            if (token.Consumed is not null || token.Revoked) return false;
            await NonQuery(connection, "UPDATE refresh_tokens SET doc = $b WHERE hash = $a", ct, tokenHash, Serialize(token with { Consumed = now }));
            return true;
        });
    }

    public async Task RevokeFamilyAsync(string family, DateTimeOffset keepUntil, CancellationToken ct)
    {
        await using var connection = Open();
        await InTransaction(connection, async () =>
        {
            await NonQuery(connection, "UPDATE refresh_tokens SET doc = json_set(doc, '$.revoked', json('true')) WHERE family = $a", ct, family);
            var expires = await Scalar<long?>(connection, "SELECT max(expires) FROM refresh_tokens WHERE family = $a", ct, family);
            await NonQuery(connection, "INSERT OR REPLACE INTO revoked_families(family, expires) VALUES($a, $b)", ct, family,
                Math.Max(expires ?? 0, keepUntil.ToUnixTimeSeconds()));
            return true;
        });
        Raise(IdentityChangeKind.Revocation, family);
    }

    public async Task RecordGrantAsync(string family, string accountId, DateTimeOffset accessTokensExpire, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = Open();
        await NonQuery(connection, "DELETE FROM account_grants WHERE expires < $a", ct, now.ToUnixTimeSeconds());
        await NonQuery(connection, "INSERT OR REPLACE INTO account_grants(family, account, expires) VALUES($a, $b, $c)", ct,
            family, accountId, accessTokensExpire.ToUnixTimeSeconds());
    }

    public async Task RevokeAccountAsync(string accountId, DateTimeOffset keepUntil, CancellationToken ct)
    {
        await using var connection = Open();
        await InTransaction(connection, async () =>
        {
            await NonQuery(connection, """
                INSERT OR REPLACE INTO revoked_families(family, expires)
                SELECT family, max($b, expires) FROM account_grants WHERE account = $a
                UNION SELECT family, max($b, max(expires)) FROM refresh_tokens WHERE json_extract(doc, '$.accountId') = $a GROUP BY family
                """, ct, accountId, keepUntil.ToUnixTimeSeconds());
            await NonQuery(connection, "UPDATE refresh_tokens SET doc = json_set(doc, '$.revoked', json('true')) WHERE json_extract(doc, '$.accountId') = $a", ct, accountId);
            await NonQuery(connection, "UPDATE sessions SET doc = json_set(doc, '$.ended', json('true')) WHERE json_extract(doc, '$.accountId') = $a", ct, accountId);
            // Redeemed codes stay: a replay of one must still be recognised.
            await NonQuery(connection, "DELETE FROM codes WHERE json_extract(doc, '$.accountId') = $a AND json_extract(doc, '$.issuedFamily') IS NULL", ct, accountId);
            return true;
        });
        Raise(IdentityChangeKind.Revocation, accountId);
    }

    public async Task RevokeAccessTokenAsync(string jti, DateTimeOffset expires, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = Open();
        await NonQuery(connection, "DELETE FROM revoked_access_tokens WHERE expires < $a", ct, now.ToUnixTimeSeconds());
        await NonQuery(connection, "DELETE FROM revoked_families WHERE expires < $a", ct, now.ToUnixTimeSeconds());
        await NonQuery(connection, "INSERT OR REPLACE INTO revoked_access_tokens(jti, expires) VALUES($a, $b)", ct, jti, expires.ToUnixTimeSeconds());
        Raise(IdentityChangeKind.Revocation, jti);
    }

    public async Task<bool> IsRevokedAsync(string jti, string? family, CancellationToken ct)
    {
        await using var connection = Open();
        if (await Scalar<long?>(connection, "SELECT 1 FROM revoked_access_tokens WHERE jti = $a", ct, jti) is not null) return true;
        return family is not null && await Scalar<long?>(connection, "SELECT 1 FROM revoked_families WHERE family = $a", ct, family) is not null;
    }

    public Task<IReadOnlyList<SigningKey>> ListSigningKeysAsync(CancellationToken ct) => Many<SigningKey>("SELECT doc FROM signing_keys", ct);

    public async Task SaveSigningKeyAsync(SigningKey key, CancellationToken ct)
    {
        await using var connection = Open();
        await NonQuery(connection, "INSERT OR REPLACE INTO signing_keys(kid, doc) VALUES($a, $b)", ct, key.Kid, Serialize(key));
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout=10000; PRAGMA synchronous=FULL;");
        return connection;
    }

    private static void Migrate(SqliteConnection connection) => global::CityOS.Storage.Sqlite.SqliteMigrations.Apply(connection, Migrations);

    /// <summary>BEGIN IMMEDIATE takes the write lock up front, so two redeemers of one code cannot both read it unredeemed.</summary>
    private static async Task<T> InTransaction<T>(SqliteConnection connection, Func<Task<T>> work)
    {
        Execute(connection, "BEGIN IMMEDIATE");
        try
        {
            var result = await work();
            Execute(connection, "COMMIT");
            return result;
        }
        catch
        {
            Execute(connection, "ROLLBACK");
            throw;
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, object?[] args)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < args.Length; i++) command.Parameters.AddWithValue("$" + (char)('a' + i), args[i] ?? DBNull.Value);
        return command;
    }

    private static async Task<int> NonQuery(SqliteConnection connection, string sql, CancellationToken ct, params object?[] args)
    {
        await using var command = Command(connection, sql, args);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T?> Scalar<T>(SqliteConnection connection, string sql, CancellationToken ct, params object?[] args)
    {
        await using var command = Command(connection, sql, args);
        var value = await command.ExecuteScalarAsync(ct);
        if (value is null or DBNull) return default;
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<T?> One<T>(string sql, CancellationToken ct, params object?[] args) where T : class
    {
        await using var connection = Open();
        var doc = await Scalar<string>(connection, sql, ct, args);
        return doc is null ? null : Deserialize<T>(doc);
    }

    private async Task<IReadOnlyList<T>> Many<T>(string sql, CancellationToken ct, params object?[] args)
    {
        await using var connection = Open();
        await using var command = Command(connection, sql, args);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var items = new List<T>();
        while (await reader.ReadAsync(ct)) items.Add(Deserialize<T>(reader.GetString(0)));
        return items;
    }

    private async Task<bool> Delete(string sql, CancellationToken ct, params object?[] args)
    {
        await using var connection = Open();
        return await NonQuery(connection, sql, ct, args) > 0;
    }

    /// <summary>Deletes by id and tells the listeners.</summary>
    private async Task<bool> Delete(string sql, CancellationToken ct, IdentityChangeKind kind, string id)
    {
        var deleted = await Delete(sql, ct, id);
        if (deleted) Raise(kind, id);
        return deleted;
    }

    private void Raise(IdentityChangeKind kind, string id) => Changed?.Invoke(new IdentityChange(kind, id));

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    private static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Json)
        ?? throw new InvalidDataException("identity.db holds a null record.");
}
