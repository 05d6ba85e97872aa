using System.Text.Json.Nodes;
using CityOS.Context.Access;
using CityOS.Context.Broker;
using CityOS.Context.Broker.Http;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Context.Representation;
using CityOS.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Snapshots;

/// <summary>
/// The Snapshot operations (GS CIM 009 1.9.1, 5.16): create runs the snapshotQueries (as Query Entities does, 5.7.2) and
/// stores what they matched as a frozen copy; queries and retrievals with NGSILD-Snapshot read that copy (6.3.22); clone
/// copies it; update changes the priority; delete and purge drop it.
/// </summary>
public sealed class SnapshotService(EntityBroker broker, ISnapshotStore store, TimeProvider time, IOptions<ContextOptions> settings)
{
    /// <summary>The header that scopes a query or retrieval to a snapshot (6.3.22).</summary>
    public const string Header = "NGSILD-Snapshot";

    /// <summary>Members a client may set (5.2.41); the others are the broker's.</summary>
    private static readonly HashSet<string> Writable = new(StringComparer.Ordinal) { "type", "snapshotPriority", "@context" };

    public async Task<Snapshot> CreateAsync(string? tenant, JsonObject body, ITermMapper terms, EntityAccess access, CancellationToken ct)
    {
        RequireType(body);
        var queries = body["snapshotQueries"] is JsonArray { Count: > 0 } given
            ? given
            : throw NgsiLdException.BadRequest("A Snapshot needs snapshotQueries: a non-empty array of Query (5.2.41).");
        var requests = queries.Select(Request).ToList();
        var priority = Priority(body) ?? Snapshot.DefaultPriority;
        var copies = new Dictionary<string, Entity>(StringComparer.Ordinal);
        var results = new List<int>(requests.Count);
        foreach (var request in requests)
        {
            var matched = await AllAsync(tenant, request, terms, access, ct);
            results.Add(matched.Count);
            foreach (var entity in matched) copies.TryAdd(entity.Id, entity);
        }
        var now = time.GetUtcNow();
        var snapshot = new Snapshot($"urn:ngsi-ld:Snapshot:{Guid.NewGuid():N}", tenant, Snapshot.NewStoreTenant(), (JsonArray)queries.DeepClone(),
            priority, results, copies.Count, now, now, now);
        await broker.CopyAsync(snapshot.StoreTenant, [.. copies.Values], ct);
        store.Put(snapshot);
        return snapshot;
    }

    public Snapshot Find(string? tenant, string id)
    {
        if (!NgsiLdSyntax.IsAbsoluteIri(id)) throw NgsiLdException.BadRequest($"'{id}' is not a valid snapshot id: it must be a URI.");
        return store.Find(tenant, id) ?? throw NgsiLdException.NotFound($"Snapshot {id} does not exist.");
    }

    /// <summary>Update Snapshot (5.16.4): only snapshotPriority may change; the other members are the broker's (400).</summary>
    public Snapshot Update(string? tenant, string id, JsonObject fragment)
    {
        var snapshot = Find(tenant, id);
        if (fragment.Select(m => m.Key).FirstOrDefault(k => !Writable.Contains(k)) is { } readOnly)
        {
            throw NgsiLdException.BadRequest($"'{readOnly}' cannot be changed: an update may only set snapshotPriority (5.16.4).");
        }
        RequireType(fragment);
        var updated = snapshot with { Priority = Priority(fragment) ?? snapshot.Priority, ModifiedAt = time.GetUtcNow() };
        store.Put(updated);
        return updated;
    }

    /// <summary>Clone Snapshot (5.16.2): a new snapshot holding the same frozen copy; the fragment may set its priority.</summary>
    public async Task<Snapshot> CloneAsync(string? tenant, string id, JsonObject fragment, ITermMapper terms, CancellationToken ct)
    {
        var original = Find(tenant, id);
        if (fragment.Select(m => m.Key).FirstOrDefault(k => !Writable.Contains(k)) is { } readOnly)
        {
            throw NgsiLdException.BadRequest($"'{readOnly}' cannot be set on a clone: it may only set snapshotPriority (5.16.2).");
        }
        RequireType(fragment);
        var now = time.GetUtcNow();
        var clone = original with
        {
            Id = $"urn:ngsi-ld:Snapshot:{Guid.NewGuid():N}", StoreTenant = Snapshot.NewStoreTenant(),
            Priority = Priority(fragment) ?? original.Priority, CreatedAt = now, ModifiedAt = now, LastUsedAt = now,
        };
        if (original.EntityCount > 0)
        {
            await broker.CopyAsync(clone.StoreTenant, await AllAsync(original.StoreTenant, new QueryRequest(), terms, EntityAccess.Everything, ct), ct);
        }
        store.Put(clone);
        return clone;
    }

    public async Task DeleteAsync(string? tenant, string id, ITermMapper terms, CancellationToken ct)
    {
        var snapshot = Find(tenant, id);
        store.Delete(tenant, id);
        await DropCopyAsync(snapshot, terms, ct);
    }

    /// <summary>Purge Snapshots (5.16.7): every snapshot of the tenant the q matches; q may only name members of the Snapshot type.</summary>
    public async Task PurgeAsync(string? tenant, string? q, ITermMapper terms, CancellationToken ct)
    {
        var query = q is null ? null : QExpression.Parse(q);
        if (query?.AttributeNames.FirstOrDefault(n => !Snapshot.QueryableMembers.Contains(n)) is { } other)
        {
            throw NgsiLdException.BadRequest($"A purge q may only name members of the Snapshot data type ({string.Join(", ", Snapshot.QueryableMembers)}), not '{other}' (5.16.7).");
        }
        foreach (var snapshot in store.All(tenant).Where(s => query?.Matches(s.AsEntity()) != false).ToList())
        {
            store.Delete(tenant, snapshot.Id);
            await DropCopyAsync(snapshot, terms, ct);
        }
    }

    /// <summary>
    /// The store tenant a request reads when it names a snapshot in NGSILD-Snapshot (6.3.22), else the request's own tenant;
    /// an unknown snapshot is not found. Using a snapshot updates its lastUsedAt, and the header is echoed in the response.
    /// </summary>
    public Snapshot? Scope(HttpRequest request, string? tenant)
    {
        if (request.Headers[Header].ToString() is not { Length: > 0 } id) return null;
        var snapshot = Find(tenant, id) with { LastUsedAt = time.GetUtcNow() };
        store.Put(snapshot);
        request.HttpContext.Response.Headers[Header] = snapshot.Id;
        return snapshot;
    }

    private async Task DropCopyAsync(Snapshot snapshot, ITermMapper terms, CancellationToken ct)
    {
        if (snapshot.EntityCount == 0) return;
        await broker.PurgeAsync(snapshot.StoreTenant, new QueryRequest { Limit = settings.Value.MaxLimit }, null, null, terms, EntityAccess.Everything, ct);
    }

    /// <summary>Every entity the query matches, page after page.</summary>
    private async Task<List<Entity>> AllAsync(string? tenant, QueryRequest request, ITermMapper terms, EntityAccess access, CancellationToken ct)
    {
        var found = new List<Entity>();
        for (string? after = null; ;)
        {
            var page = await broker.QueryAsync(tenant, new QueryRequest
            {
                Selectors = request.Selectors, Attrs = request.Attrs, Q = request.Q, ScopeQ = request.ScopeQ, Geo = request.Geo,
                Limit = settings.Value.MaxLimit, After = after,
            }, terms, access, ct);
            found.AddRange(page.Entities);
            if (page.Next is null) return found;
            after = page.Next;
        }
    }

    /// <summary>One of the snapshotQueries: a Query (5.2.23) for Query Entities, so without temporalQ.</summary>
    private QueryRequest Request(JsonNode? node)
    {
        if (node is not JsonObject query) throw NgsiLdException.BadRequest("Each element of snapshotQueries must be a Query object (5.2.23).");
        if (query.ContainsKey("temporalQ")) throw NgsiLdException.BadRequest("A snapshot query cannot have temporalQ: snapshots freeze current entities (5.16.1).");
        return QueryPayload.Parse(query, QueryCollection.Empty, settings.Value);
    }

    private static int? Priority(JsonObject body) => body["snapshotPriority"] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var priority) && priority > 0 => priority,
        _ => throw NgsiLdException.BadRequest("snapshotPriority must be a positive integer (5.2.41)."),
    };

    private static void RequireType(JsonObject body)
    {
        if (body["type"] is { } type && !(type is JsonValue v && v.TryGetValue<string>(out var name) && name == "Snapshot"))
        {
            throw NgsiLdException.BadRequest("The type of a Snapshot is \"Snapshot\".");
        }
    }
}
