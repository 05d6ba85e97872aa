using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Catalog.Search;
using CityOS.Core.Hosting;
using CityOS.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace CityOS.Catalog.Storage;

/// <summary>
/// The catalog in one SQLite file per tenant (catalog/&lt;tenant&gt;.db in the data directory). Title, description and
/// tags are indexed by an FTS5 table with the trigram tokenizer, so a search finds any run of characters, Japanese
/// (which has no spaces between words) as well as English.
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
    ];

    private readonly ConcurrentDictionary<string, Lazy<string>> _databases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _writers = new(StringComparer.Ordinal);

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
                    INSERT INTO packages (id, name, owner_org, private, state, metadata_modified, metadata_created, license_id, title, json)
                    VALUES ($id, $name, $org, $private, $state, $modified, $created, $license, $title, $json)
                    ON CONFLICT (id) DO UPDATE SET name = $name, owner_org = $org, private = $private, state = $state,
                        metadata_modified = $modified, license_id = $license, title = $title, json = $json
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
        await using var connection = await OpenAsync(tenant, ct);
        var sql = new SqlBuilder();
        var where = new StringBuilder("p.state = 'active'");
        if (!search.IncludePrivate) where.Append(" AND p.private = 0");
        else if (search.PrivateOrgs is { } orgs)
        {
            where.Append(" AND (p.private = 0 OR p.owner_org IN (SELECT value FROM json_each(").Append(sql.Add(new JsonArray([.. orgs.Select(o => JsonValue.Create(o))]).ToJsonString())).Append(")))");
        }
        where.Append(" AND ").Append(sql.Condition(search.Query));
        foreach (var filter in search.Filters) where.Append(" AND ").Append(sql.Condition(filter));

        var score = sql.Score(search.Query);
        // Without words to score every dataset scores the same: the other keys decide (a constant would be read as a column number).
        var order = string.Join("", search.Sort.Where(key => key.Field != "score" || score != "0")
            .Select(key => (key.Field == "score" ? score : "p." + key.Field) + (key.Descending ? " DESC, " : " ASC, ")));
        await using var count = connection.CreateCommand();
        count.CommandText = $"SELECT count(*) FROM packages p WHERE {where}";
        sql.Bind(count);
        var total = Convert.ToInt64(await count.ExecuteScalarAsync(ct));

        var results = new List<JsonObject>();
        if (search.Rows > 0 && total > search.Start)
        {
            // The page's rows are chosen and ordered first, then only their dictionaries are read: sorting with the
            // dictionaries (kilobytes each) would make SQLite sort every matching document.
            var seqs = new List<long>();
            await using (var page = connection.CreateCommand())
            {
                page.CommandText = $"SELECT p.seq FROM packages p WHERE {where} ORDER BY {order}p.seq LIMIT $rows OFFSET $start";
                sql.Bind(page);
                page.Parameters.AddWithValue("$rows", search.Rows);
                page.Parameters.AddWithValue("$start", search.Start);
                await using var reader = await page.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) seqs.Add(reader.GetInt64(0));
            }
            var documents = new Dictionary<long, JsonObject>(seqs.Count);
            await using (var read = connection.CreateCommand())
            {
                read.CommandText = "SELECT seq, json FROM packages WHERE seq IN (SELECT value FROM json_each($seqs))";
                read.Parameters.AddWithValue("$seqs", "[" + string.Join(",", seqs) + "]");
                await using var reader = await read.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) documents[reader.GetInt64(0)] = JsonNode.Parse(reader.GetString(1))!.AsObject();
            }
            results.AddRange(seqs.Select(seq => documents[seq]));
        }

        var facets = new Dictionary<string, IReadOnlyList<KeyValuePair<string, long>>>(StringComparer.Ordinal);
        foreach (var field in search.FacetFields.Distinct(StringComparer.Ordinal))
        {
            var select = field switch
            {
                "tags" => "SELECT t.tag, count(*) FROM package_tags t JOIN packages p ON p.seq = t.package_seq",
                "res_format" => "SELECT f.format, count(*) FROM package_formats f JOIN packages p ON p.seq = f.package_seq",
                "organization" => "SELECT o.name, count(*) FROM packages p JOIN organizations o ON o.id = p.owner_org",
                "license_id" => "SELECT p.license_id, count(*) FROM packages p",
                _ => throw new FormatException($"Facets are not available for the field '{field}'."),
            };
            await using var facet = connection.CreateCommand();
            facet.CommandText = $"{select} WHERE {where} AND {(field == "license_id" ? "p.license_id IS NOT NULL" : "1")} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $facetLimit";
            sql.Bind(facet);
            facet.Parameters.AddWithValue("$facetLimit", search.FacetLimit);
            var counts = new List<KeyValuePair<string, long>>();
            await using var reader = await facet.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) counts.Add(new(reader.GetString(0), reader.GetInt64(1)));
            facets[field] = counts;
        }
        return new SearchPage(total, results, facets);
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
        command.CommandText = "INSERT INTO organizations (id, name, json) VALUES ($id, $name, $json) ON CONFLICT (id) DO UPDATE SET name = $name, json = $json";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$json", organization.ToJsonString());
        await command.ExecuteNonQueryAsync(ct);
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

    /// <summary>Translates a parsed query into a SQL condition on <c>packages p</c>, with its parameters.</summary>
    private sealed class SqlBuilder
    {
        private readonly List<object> _values = [];

        public string Add(object value)
        {
            _values.Add(value);
            return "$q" + (_values.Count - 1);
        }

        public void Bind(SqliteCommand command)
        {
            for (var i = 0; i < _values.Count; i++) command.Parameters.AddWithValue("$q" + i, _values[i]);
        }

        public string Condition(QueryNode node) => node switch
        {
            AllNode => "1",
            TextNode text => Text(text.Text, null),
            FieldNode field => Field(field),
            RangeNode range => Range(range),
            AndNode and => "(" + string.Join(" AND ", and.Parts.Select(Condition)) + ")",
            OrNode or => "(" + string.Join(" OR ", or.Parts.Select(Condition)) + ")",
            NotNode not => "NOT " + Condition(not.Part),
            _ => throw new ArgumentOutOfRangeException(nameof(node)),
        };

        /// <summary>A relevance score: a term found in the title counts most, then in the tags, then in the description.</summary>
        public string Score(QueryNode node)
        {
            var terms = new List<string>();
            Collect(node, terms);
            if (terms.Count == 0) return "0";
            var parts = terms.Select(term =>
            {
                var like = Add(Like(term));
                return $"(CASE WHEN t.title LIKE {like} ESCAPE '\\' THEN 4 ELSE 0 END + CASE WHEN t.tags LIKE {like} ESCAPE '\\' THEN 2 ELSE 0 END + CASE WHEN t.notes LIKE {like} ESCAPE '\\' THEN 1 ELSE 0 END)";
            });
            return $"(SELECT {string.Join(" + ", parts)} FROM package_text t WHERE t.rowid = p.seq)";
        }

        private static void Collect(QueryNode node, List<string> terms)
        {
            switch (node)
            {
                case TextNode text: terms.Add(text.Text); break;
                case AndNode and: foreach (var part in and.Parts) Collect(part, terms); break;
                case OrNode or: foreach (var part in or.Parts) Collect(part, terms); break;
            }
        }

        private string Text(string text, string? column)
        {
            // The trigram index answers LIKE and MATCH for three characters or more; a shorter term (河川) is a scan of the text table.
            var columns = column is null ? ["title", "notes", "tags"] : new[] { column };
            var like = Add(Like(text));
            var likes = string.Join(" OR ", columns.Select(c => $"{c} LIKE {like} ESCAPE '\\'"));
            if (text.Length < 3) return $"p.seq IN (SELECT rowid FROM package_text WHERE {likes})";
            var match = Add((column is null ? "" : column + " : ") + "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"");
            return $"p.seq IN (SELECT rowid FROM package_text WHERE package_text MATCH {match})";
        }

        private static string Like(string text) =>
            "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";

        private string Range(RangeNode range)
        {
            var column = range.Field == "metadata_created" ? "p.metadata_created" : "p.metadata_modified";
            var from = range.From is null ? "1" : $"{column} {(range.FromInclusive ? ">=" : ">")} {Add(range.From)}";
            var to = range.To is null ? "1" : $"{column} {(range.ToInclusive ? "<=" : "<")} {Add(range.To)}";
            return $"({from} AND {to})";
        }

        private string Field(FieldNode field) => field.Field switch
        {
            "id" => $"p.id = {Add(field.Value)}",
            "name" => $"p.name = {Add(field.Value)}",
            "title" or "notes" => Text(field.Value, field.Field),
            "tags" => $"EXISTS (SELECT 1 FROM package_tags t WHERE t.package_seq = p.seq AND t.tag = {Add(field.Value)})",
            "organization" => $"p.owner_org IN (SELECT id FROM organizations WHERE name = {Add(field.Value)})",
            "owner_org" => $"p.owner_org = {Add(field.Value)}",
            "license_id" => $"p.license_id = {Add(field.Value)}",
            "res_format" => $"EXISTS (SELECT 1 FROM package_formats f WHERE f.package_seq = p.seq AND f.format = {Add(field.Value)})",
            "state" => $"p.state = {Add(field.Value)}",
            "groups" => "0",
            _ => throw new FormatException($"Unknown field '{field.Field}' in the query."),
        };
    }
}
