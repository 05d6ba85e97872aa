using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using CityOS.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace CityOS.Context.JsonLd;

/// <summary>The kinds of @context the broker keeps (GS CIM 009, 5.13).</summary>
public enum LdContextKind
{
    /// <summary>Added by a client with POST /jsonldContexts.</summary>
    Hosted,

    /// <summary>A remote context fetched once and kept.</summary>
    Cached,

    /// <summary>An inline context a client sent, hosted so that responses can point at it in a Link header.</summary>
    ImplicitlyCreated,
}

/// <summary>One @context kept by the broker, with its usage statistics.</summary>
public sealed class StoredLdContext
{
    private long numberOfHits;
    private long lastUsageUnixMs;

    public required string Id { get; init; }
    public required string Url { get; init; }
    public required LdContextKind Kind { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// The tenant (NGSILD-Tenant, "" for the default tenant) that hosted it, used it inline, or had it fetched: only
    /// that tenant lists, inspects, reloads or deletes it.
    /// </summary>
    public required string Tenant { get; init; }

    /// <summary>The whole JSON-LD document, an object with an "@context" member.</summary>
    public required string Document { get; init; }

    /// <summary>The built-in NGSI-LD core context, which cannot be deleted or reloaded.</summary>
    public bool IsCore { get; init; }

    public long NumberOfHits => Interlocked.Read(ref numberOfHits);

    public DateTimeOffset? LastUsage => Interlocked.Read(ref lastUsageUnixMs) is var ms and > 0
        ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
        : null;

    internal void RecordUse(DateTimeOffset now)
    {
        Interlocked.Increment(ref numberOfHits);
        Interlocked.Exchange(ref lastUsageUnixMs, now.ToUnixTimeMilliseconds());
    }
}

/// <summary>
/// The hosted, cached and implicitly created @contexts: in memory for lookups on every request, and in a
/// SQLite file in the data directory so that a restart neither loses hosted contexts nor refetches remote ones.
/// Usage statistics are kept in memory only.
/// </summary>
public sealed class JsonLdContextStore
{
    public const string ApiPath = "/ngsi-ld/v1/jsonldContexts";

    private readonly ConcurrentDictionary<string, StoredLdContext> byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredLdContext> byUrl = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly JsonLdOptions options;
    private readonly TimeProvider time;
    private readonly string connectionString;
    private volatile bool loaded;

    public JsonLdContextStore(IOptions<JsonLdOptions> options, TimeProvider time)
    {
        this.options = options.Value;
        this.time = time;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(this.options.DataDirectory, "jsonld-contexts.db"),
            Pooling = false,
        }.ToString();
        var core = new StoredLdContext
        {
            Id = StableId(CoreContexts.CoreUrl),
            Url = CoreContexts.CoreUrl,
            Kind = LdContextKind.Cached,
            CreatedAt = time.GetUtcNow(),
            Tenant = "",
            Document = CoreContexts.CurrentCoreText,
            IsCore = true,
        };
        byId[core.Id] = core;
        byUrl[core.Url] = core;
    }

    /// <summary>Raised after a context was deleted or reloaded, so processed contexts built from it are dropped.</summary>
    public event Action? Changed;

    public string HostedUrl(string id) => $"{options.PublicBaseUrl?.TrimEnd('/')}{ApiPath}/{id}";

    public async ValueTask EnsureLoadedAsync(CancellationToken ct)
    {
        if (loaded)
        {
            return;
        }
        await gate.WaitAsync(ct);
        try
        {
            if (loaded)
            {
                return;
            }
            Directory.CreateDirectory(options.DataDirectory);
            await using var connection = await OpenAsync(ct);
            await using (var create = connection.CreateCommand())
            {
                create.CommandText = """
                    PRAGMA journal_mode=WAL;
                    CREATE TABLE IF NOT EXISTS jsonld_context (
                        id TEXT PRIMARY KEY,
                        url TEXT NOT NULL UNIQUE,
                        kind TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        document TEXT NOT NULL);
                    """;
                await create.ExecuteNonQueryAsync(ct);
            }
            // Contexts kept before contexts belonged to tenants are the default tenant's.
            global::CityOS.Storage.Sqlite.SqliteMigrations.AddColumnIfMissing(connection, "jsonld_context", "tenant", "TEXT NOT NULL DEFAULT ''");
            await using (var select = connection.CreateCommand())
            {
                select.CommandText = "SELECT id, url, kind, created_at, document, tenant FROM jsonld_context";
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    Remember(new StoredLdContext
                    {
                        Id = reader.GetString(0),
                        Url = reader.GetString(1),
                        Kind = Enum.Parse<LdContextKind>(reader.GetString(2)),
                        CreatedAt = DateTimeOffset.Parse(reader.GetString(3), System.Globalization.CultureInfo.InvariantCulture),
                        Document = reader.GetString(4),
                        Tenant = reader.GetString(5),
                    });
                }
            }
            await ForgetCredentialUrlsAsync(connection, ct);
            loaded = true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The context kept under a URL. A URL of this broker's own /jsonldContexts endpoint is matched by its
    /// path, whatever host name the client used, so the broker never fetches its own hosted contexts.
    /// </summary>
    public StoredLdContext? FindByUrl(string url)
    {
        if (byUrl.TryGetValue(url, out var entry))
        {
            return entry;
        }
        var marker = url.IndexOf(ApiPath + "/", StringComparison.Ordinal);
        return marker >= 0 && byId.TryGetValue(Uri.UnescapeDataString(url[(marker + ApiPath.Length + 1)..]), out entry)
            && entry.Kind is LdContextKind.Hosted or LdContextKind.ImplicitlyCreated
            ? entry
            : null;
    }

    /// <summary>The context with a local id, or kept under a URL (the /jsonldContexts API accepts both).</summary>
    public StoredLdContext? Find(string idOrUrl) =>
        byId.TryGetValue(idOrUrl, out var entry) ? entry : FindByUrl(idOrUrl);

    /// <summary>The contexts a tenant sees: its own and the built-in core context.</summary>
    public IReadOnlyList<StoredLdContext> List(string? tenant, LdContextKind? kind) =>
        byId.Values.Where(e => VisibleIn(e, tenant) && (kind is null || e.Kind == kind))
            .OrderBy(e => e.CreatedAt).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();

    /// <summary>Whether a tenant (null for the default tenant) may list, inspect, reload or delete a context.</summary>
    public static bool VisibleIn(StoredLdContext entry, string? tenant) => entry.IsCore || entry.Tenant == TenantKey(tenant);

    /// <summary>Implicitly created and cached contexts a tenant keeps, counted against CityOS:JsonLd:MaxContextsPerTenant.</summary>
    public int CountImplicit(string? tenant)
    {
        var key = TenantKey(tenant);
        return byId.Values.Count(e => !e.IsCore && e.Tenant == key && e.Kind is LdContextKind.Cached or LdContextKind.ImplicitlyCreated);
    }

    public void RecordUse(IReadOnlyList<string> urls)
    {
        if (urls.Count == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        foreach (var url in urls)
        {
            FindByUrl(url)?.RecordUse(now);
        }
    }

    public async Task<StoredLdContext> AddHostedAsync(string? tenant, string document, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N");
        var entry = new StoredLdContext
        {
            Id = id, Url = HostedUrl(id), Kind = LdContextKind.Hosted, CreatedAt = time.GetUtcNow(), Tenant = TenantKey(tenant), Document = document,
        };
        await SaveAsync(entry, ct);
        return entry;
    }

    /// <summary>
    /// The hosted copy of an inline context of a tenant; the same context JSON always gets the same id in a tenant (in
    /// the default tenant the id it had before contexts belonged to tenants).
    /// </summary>
    public async Task<StoredLdContext> EnsureImplicitAsync(string? tenant, string contextJson, CancellationToken ct)
    {
        var key = TenantKey(tenant);
        var id = StableId(key.Length == 0 ? "inline:" + contextJson : $"inline:{key}\n{contextJson}");
        if (byId.TryGetValue(id, out var existing))
        {
            return existing;
        }
        RequireRoom(key);
        var entry = new StoredLdContext
        {
            Id = id,
            Url = HostedUrl(id),
            Kind = LdContextKind.ImplicitlyCreated,
            CreatedAt = time.GetUtcNow(),
            Tenant = key,
            Document = $$"""{"@context":{{contextJson}}}""",
        };
        await SaveAsync(entry, ct);
        return entry;
    }

    /// <summary>Keeps a fetched remote context; a reloaded one stays its tenant's.</summary>
    public async Task<StoredLdContext> PutCachedAsync(string? tenant, string url, string document, CancellationToken ct)
    {
        var entry = new StoredLdContext
        {
            Id = StableId(url), Url = url, Kind = LdContextKind.Cached, CreatedAt = time.GetUtcNow(),
            Tenant = byUrl.TryGetValue(url, out var kept) ? kept.Tenant : TenantKey(tenant), Document = document,
        };
        await SaveAsync(entry, ct);
        return entry;
    }

    public async Task DeleteAsync(StoredLdContext entry, CancellationToken ct)
    {
        if (entry.IsCore)
        {
            throw NgsiLdException.BadRequest("The NGSI-LD core @context cannot be deleted.");
        }
        await using (var connection = await OpenAsync(ct))
        await using (var delete = connection.CreateCommand())
        {
            delete.CommandText = "PRAGMA synchronous=FULL; DELETE FROM jsonld_context WHERE id = $id";
            delete.Parameters.AddWithValue("$id", entry.Id);
            await delete.ExecuteNonQueryAsync(ct);
        }
        byId.TryRemove(entry.Id, out _);
        byUrl.TryRemove(KeyValuePair.Create(entry.Url, entry));
        Changed?.Invoke();
    }

    private async Task SaveAsync(StoredLdContext entry, CancellationToken ct)
    {
        await EnsureLoadedAsync(ct);
        await using (var connection = await OpenAsync(ct))
        await using (var upsert = connection.CreateCommand())
        {
            upsert.CommandText = """
                PRAGMA synchronous=FULL;
                INSERT INTO jsonld_context (id, url, kind, created_at, document, tenant) VALUES ($id, $url, $kind, $created, $document, $tenant)
                ON CONFLICT(id) DO UPDATE SET url = excluded.url, kind = excluded.kind,
                    created_at = excluded.created_at, document = excluded.document, tenant = excluded.tenant
                """;
            upsert.Parameters.AddWithValue("$id", entry.Id);
            upsert.Parameters.AddWithValue("$url", entry.Url);
            upsert.Parameters.AddWithValue("$kind", entry.Kind.ToString());
            upsert.Parameters.AddWithValue("$created", entry.CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            upsert.Parameters.AddWithValue("$document", entry.Document);
            upsert.Parameters.AddWithValue("$tenant", entry.Tenant);
            await upsert.ExecuteNonQueryAsync(ct);
        }
        var replaced = byId.TryGetValue(entry.Id, out _);
        Remember(entry);
        if (replaced)
        {
            Changed?.Invoke();
        }
    }

    /// <summary>
    /// Refuses a new implicitly created or cached context beyond the tenant's quota, so that one tenant's clients cannot
    /// fill the broker's memory and disk with one-off contexts.
    /// </summary>
    public void RequireRoom(string? tenant)
    {
        if (CountImplicit(tenant) >= options.MaxContextsPerTenant)
        {
            throw new NgsiLdException(NgsiLdErrorType.Forbidden,
                $"This tenant keeps {options.MaxContextsPerTenant} implicitly created and cached @contexts, the most allowed "
                + "(CityOS:JsonLd:MaxContextsPerTenant); delete unused ones at /ngsi-ld/v1/jsonldContexts or host the context with POST.");
        }
    }

    /// <summary>Contexts kept under a URL with user credentials by an earlier version: credentials are never kept or listed.</summary>
    private async Task ForgetCredentialUrlsAsync(SqliteConnection connection, CancellationToken ct)
    {
        foreach (var entry in byId.Values.Where(e => HasUserInfo(e.Url)).ToList())
        {
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM jsonld_context WHERE id = $id";
            delete.Parameters.AddWithValue("$id", entry.Id);
            await delete.ExecuteNonQueryAsync(ct);
            byId.TryRemove(entry.Id, out _);
            byUrl.TryRemove(KeyValuePair.Create(entry.Url, entry));
        }
    }

    /// <summary>Whether a URL carries user credentials (http://user:secret@host/...).</summary>
    public static bool HasUserInfo(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0;

    private static string TenantKey(string? tenant) => tenant ?? "";

    private void Remember(StoredLdContext entry)
    {
        byId[entry.Id] = entry;
        byUrl[entry.Url] = entry;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private static string StableId(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
}
