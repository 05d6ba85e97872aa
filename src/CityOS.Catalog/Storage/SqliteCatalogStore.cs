using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Catalog.Ckan;
using CityOS.Catalog.Search;
using CityOS.Core.Hosting;
using CityOS.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace CityOS.Catalog.Storage;

/// <summary>
/// The catalog in one SQLite file per tenant (catalog/&lt;tenant&gt;.db in the data directory), the store of record. Searches
/// are answered by a <see cref="CatalogIndex"/> per tenant derived from it: each write gives the package's (or the
/// organization's) row the next revision, and before a search the index reads the rows of revisions it has not seen, so it
/// follows every write to the file. Title, description and tags are kept in an FTS5 table with the trigram tokenizer, so
/// the file itself can be searched for any run of characters, Japanese (which has no spaces between words) as well as English.
/// </summary>
public sealed class SqliteCatalogStore(DataDirectory data) : ICatalogStore
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE packages (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE,
            owner_org TEXT,
            private INTEGER NOT NULL,
            state TEXT NOT NULL,
            metadata_modified TEXT NOT NULL,
            metadata_created TEXT NOT NULL,
            license_id TEXT,
            title TEXT NOT NULL,
            json TEXT NOT NULL);
        CREATE INDEX packages_modified ON packages(metadata_modified);
        CREATE TABLE package_tags (package_seq INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (package_seq, tag)) WITHOUT ROWID;
        CREATE INDEX package_tags_tag ON package_tags(tag);
        CREATE TABLE package_formats (package_seq INTEGER NOT NULL, format TEXT NOT NULL COLLATE NOCASE, PRIMARY KEY (package_seq, format)) WITHOUT ROWID;
        CREATE TABLE resources (id TEXT PRIMARY KEY, package_seq INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX resources_package ON resources(package_seq);
        CREATE VIRTUAL TABLE package_text USING fts5(title, notes, tags, tokenize = 'trigram');
        CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, json TEXT NOT NULL) WITHOUT ROWID;
        """,
        """
        ALTER TABLE packages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
        UPDATE packages SET rev = seq;
        CREATE INDEX packages_rev ON packages(rev);
        ALTER TABLE organizations ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
        UPDATE organizations SET rev = 1;
        CREATE INDEX organizations_rev ON organizations(rev);
        """,
    ];

    private readonly ConcurrentDictionary<string, Lazy<string>> _databases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _writers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CatalogIndex> _indexes = new(StringComparer.Ordinal);

    public async ValueTask<bool> PingAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(null, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct)) == 1;
    }

    public async Task<JsonObject?> FindPackageAsync(string? tenant, string idOrName, CancellationToken ct)
    {
        await using var connection = await OpenAsync(tenant, ct);
        return await ReadJsonAsync(connection, "SELECT json FROM packages WHERE id = $v OR name = $v LIMIT 1", idOrName, ct);
    }

    public async Task<string?> PackageIdOfNameAsync(string? tenant, string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(tenant, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM packages WHERE name = $v";
        command.Parameters.AddWithValue("$v", name);
        return await command.ExecuteScalarAsync(ct) as string;
    }

    public async Task SavePackageAsync(string? tenant, IndexedPackage package, CancellationToken ct)
    {
        var writer = _writers.GetOrAdd(TenantKey(tenant), _ => new SemaphoreSlim(1, 1));
        await writer.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(tenant, ct);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            long seq;
            await using (var upsert = connection.CreateCommand())
            {
                upsert.CommandText = """
                    INSERT INTO packages (id, name, owner_org, private, state, metadata_modified, metadata_created, license_id, title, json, rev)
                    VALUES ($id, $name, $org, $private, $state, $modified, $created, $license, $title, $json, (SELECT coalesce(max(rev), 0) + 1 FROM packages))
                    ON CONFLICT (id) DO UPDATE SET name = $name, owner_org = $org, private = $private, state = $state,
                        metadata_modified = $modified, license_id = $license, title = $title, json = $json, rev = excluded.rev
                    RETURNING seq
                    """;
                upsert.Parameters.AddWithValue("$id", package.Id);
                upsert.Parameters.AddWithValue("$name", package.Name);
                upsert.Parameters.AddWithValue("$org", (object?)package.OwnerOrg ?? DBNull.Value);
                upsert.Parameters.AddWithValue("$private", package.Private ? 1 : 0);
                upsert.Parameters.AddWithValue("$state", package.State);
                upsert.Parameters.AddWithValue("$modified", package.MetadataModified);
                upsert.Parameters.AddWithValue("$created", package.Package["metadata_created"]?.GetValue<string>() ?? package.MetadataModified);
                upsert.Parameters.AddWithValue("$license", (object?)package.LicenseId ?? DBNull.Value);
                upsert.Parameters.AddWithValue("$title", package.Title);
                upsert.Parameters.AddWithValue("$json", package.Package.ToJsonString());
                seq = Convert.ToInt64(await upsert.ExecuteScalarAsync(ct));
            }
            await ExecuteAsync(connection, "DELETE FROM package_tags WHERE package_seq = $s; DELETE FROM package_formats WHERE package_seq = $s; DELETE FROM resources WHERE package_seq = $s; DELETE FROM package_text WHERE rowid = $s", seq, ct);
            foreach (var tag in package.Tags.Distinct(StringComparer.Ordinal))
            {
                await ExecuteAsync(connection, "INSERT INTO package_tags (package_seq, tag) VALUES ($s, $v)", seq, ct, tag);
            }
            foreach (var format in package.Formats.Where(f => f.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                await ExecuteAsync(connection, "INSERT OR IGNORE INTO package_formats (package_seq, format) VALUES ($s, $v)", seq, ct, format);
            }
            foreach (var resource in package.ResourceIds)
            {
                await ExecuteAsync(connection, "INSERT INTO resources (id, package_seq) VALUES ($v, $s)", seq, ct, resource);
            }
            await using (var text = connection.CreateCommand())
            {
                text.CommandText = "INSERT INTO package_text (rowid, title, notes, tags) VALUES ($s, $title, $notes, $tags)";
                text.Parameters.AddWithValue("$s", seq);
                text.Parameters.AddWithValue("$title", package.Title);
                text.Parameters.AddWithValue("$notes", package.Notes);
                text.Parameters.AddWithValue("$tags", string.Join('\n', package.Tags));
                await text.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
        }
        finally
        {
            writer.Release();
        }
        await IndexAsync(tenant, CancellationToken.None);
    }

    public async Task<IReadOnlyList<string>> ListPackageNamesAsync(string? tenant, int? limit, int offset, CancellationToken ct)
    {
        await using var connection = await OpenAsync(tenant, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM packages WHERE state = 'active' AND private = 0 ORDER BY name LIMIT $limit OFFSET $offset";
        command.Parameters.AddWithValue("$limit", limit ?? -1);
        command.Parameters.AddWithValue("$offset", offset);
        return await ReadStringsAsync(command, ct);
    }

    public async Task<SearchPage> SearchAsync(string? tenant, CatalogSearch search, CancellationToken ct)
    {
        var index = await IndexAsync(tenant, ct);
        var page = index.Search(search);
        return new SearchPage(page.Count, page.Results,
            page.OrganizationJson.ToDictionary(o => o.Key, o => JsonNode.Parse(o.Value)!.AsObject(), StringComparer.Ordinal), page.Facets);
    }

    /// <summary>
    /// The tenant's search index, with every write committed to the file before this call. Each write brings it up to date
    /// at once (whatever the writer's cancellation: the write is committed), so that searches rarely have rows to read.
    /// </summary>
    private async Task<CatalogIndex> IndexAsync(string? tenant, CancellationToken ct)
    {
        var index = _indexes.GetOrAdd(TenantKey(tenant), _ => new CatalogIndex());
        await using var connection = await OpenAsync(tenant, ct);
        var (packages, organizations) = await RevisionsAsync(connection, ct);
        if (packages <= index.PackageRevision && organizations <= index.OrganizationRevision) return index;
        await index.Refreshing.WaitAsync(ct);
        try
        {
            if (packages > index.PackageRevision || organizations > index.OrganizationRevision)
            {
                index.Apply(await ReadOrganizationsAsync(connection, index.OrganizationRevision, ct), await ReadPackagesAsync(connection, index.PackageRevision, ct));
            }
        }
        finally
        {
            index.Refreshing.Release();
        }
        return index;
    }

    private static async Task<(long Packages, long Organizations)> RevisionsAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT coalesce(max(rev), 0) FROM packages), (SELECT coalesce(max(rev), 0) FROM organizations)";
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<IReadOnlyList<IndexedOrganization>> ReadOrganizationsAsync(SqliteConnection connection, long after, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT rev, id, name, json FROM organizations WHERE rev > $rev ORDER BY rev";
        command.Parameters.AddWithValue("$rev", after);
        var organizations = new List<IndexedOrganization>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) organizations.Add(new IndexedOrganization(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        return organizations;
    }

    /// <summary>The packages written after revision <paramref name="after"/>, with what their other tables index of them.</summary>
    private static async Task<IReadOnlyList<IndexedEntry>> ReadPackagesAsync(SqliteConnection connection, long after, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT p.rev, p.seq, p.id, p.name, p.owner_org, p.private, p.state, p.metadata_modified, p.metadata_created, p.license_id, p.title, p.json,
                t.notes, t.tags,
                (SELECT json_group_array(tag) FROM package_tags WHERE package_seq = p.seq),
                (SELECT json_group_array(format) FROM package_formats WHERE package_seq = p.seq)
            FROM packages p LEFT JOIN package_text t ON t.rowid = p.seq
            WHERE p.rev > $rev ORDER BY p.rev
            """;
        command.Parameters.AddWithValue("$rev", after);
        var packages = new List<IndexedEntry>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            packages.Add(new IndexedEntry(
                Revision: reader.GetInt64(0),
                Seq: reader.GetInt64(1),
                Id: reader.GetString(2),
                Name: reader.GetString(3),
                OwnerOrg: reader.IsDBNull(4) ? null : reader.GetString(4),
                Private: reader.GetInt64(5) != 0,
                State: reader.GetString(6),
                MetadataModified: reader.GetString(7),
                MetadataCreated: reader.GetString(8),
                LicenseId: reader.IsDBNull(9) ? null : reader.GetString(9),
                Title: reader.GetString(10),
                Notes: reader.IsDBNull(12) ? "" : reader.GetString(12),
                TagText: reader.IsDBNull(13) ? "" : reader.GetString(13),
                Tags: JsonSerializer.Deserialize<string[]>(reader.GetString(14)) ?? [],
                Formats: JsonSerializer.Deserialize<string[]>(reader.GetString(15)) ?? [],
                Json: PackageJson.Of(JsonNode.Parse(reader.GetString(11))!.AsObject())));
        }
        return packages;
    }

    public async Task<string?> PackageIdOfResourceAsync(string? tenant, string resourceId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(tenant, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT p.id FROM resources r JOIN packages p ON p.seq = r.package_seq WHERE r.id = $v";
        command.Parameters.AddWithValue("$v", resourceId);
        return await command.ExecuteScalarAsync(ct) as string;
    }

    public async Task<JsonObject?> FindOrganizationAsync(string? tenant, string idOrName, CancellationToken ct)
    {
        await using var connection = await OpenAsync(tenant, ct);
        return await ReadJsonAsync(connection, "SELECT json FROM organizations WHERE id = $v OR name = $v LIMIT 1", idOrName, ct);
    }

    public async Task SaveOrganizationAsync(string? tenant, string id, string name, JsonObject organization, CancellationToken ct)
    {
        await using var connection = await OpenAsync(tenant, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO organizations (id, name, json, rev) VALUES ($id, $name, $json, (SELECT coalesce(max(rev), 0) + 1 FROM organizations))
            ON CONFLICT (id) DO UPDATE SET name = $name, json = $json, rev = excluded.rev
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$json", organization.ToJsonString());
        await command.ExecuteNonQueryAsync(ct);
        await IndexAsync(tenant, CancellationToken.None);
    }

    public async Task<IReadOnlyList<JsonObject>> ListOrganizationsAsync(string? tenant, CancellationToken ct)
    {
        await using var connection = await OpenAsync(tenant, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT json FROM organizations ORDER BY name";
        return (await ReadStringsAsync(command, ct)).Select(json => JsonNode.Parse(json)!.AsObject()).ToArray();
    }

    public async Task<IReadOnlyList<string>> ListTagsAsync(string? tenant, string? contains, CancellationToken ct)
    {
        await using var connection = await OpenAsync(tenant, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT DISTINCT t.tag FROM package_tags t JOIN packages p ON p.seq = t.package_seq
            WHERE p.state = 'active' AND p.private = 0 AND ($q IS NULL OR instr(lower(t.tag), lower($q)) > 0) ORDER BY t.tag
            """;
        command.Parameters.AddWithValue("$q", (object?)contains ?? DBNull.Value);
        return await ReadStringsAsync(command, ct);
    }

    private static string TenantKey(string? tenant) => tenant ?? "";

    private async Task<SqliteConnection> OpenAsync(string? tenant, CancellationToken ct)
    {
        var connectionString = _databases.GetOrAdd(TenantKey(tenant), key => new Lazy<string>(() => Create(key))).Value;
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private string Create(string tenant)
    {
        var folder = data.Combine("catalog");
        Directory.CreateDirectory(folder);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(folder, (tenant.Length == 0 ? "default" : tenant) + ".db"),
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";
            wal.ExecuteNonQuery();
        }
        SqliteMigrations.Apply(connection, Migrations);
        return connectionString;
    }

    private static async Task<JsonObject?> ReadJsonAsync(SqliteConnection connection, string sql, string value, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$v", value);
        return await command.ExecuteScalarAsync(ct) is string json ? JsonNode.Parse(json)!.AsObject() : null;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, long seq, CancellationToken ct, string? value = null)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$s", seq);
        if (value is not null) command.Parameters.AddWithValue("$v", value);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<IReadOnlyList<string>> ReadStringsAsync(SqliteCommand command, CancellationToken ct)
    {
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) values.Add(reader.GetString(0));
        return values;
    }
}
