using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
using CityOS.Context.Model;
using CityOS.Core;
using CityOS.Core.Outbound;
using CityOS.Core.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Subscriptions;

/// <summary>
/// The subscriptions of every tenant, cached in memory as immutable per-tenant snapshots (rebuilt on each change,
/// read without locks by the notifier) and indexed by entity type; writes go to <see cref="ISubscriptionStore"/> first.
/// </summary>
public sealed class SubscriptionRegistry(ISubscriptionStore store, ILdContextResolver resolver, OutboundPolicy outbound, TimeProvider time,
    IOptions<SubscriptionOptions> options, ILogger<SubscriptionRegistry> logger)
{
    private readonly ConcurrentDictionary<string, TenantSubscriptions> _tenants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Tenant, string Id), SubscriptionState> _states = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private volatile bool _loaded;

    /// <summary>Raised after a subscription is created, updated or deleted (periodic notifications reschedule on it).</summary>
    public event Action? Changed;

    public async Task EnsureLoadedAsync(CancellationToken ct)
    {
        if (_loaded) return;
        await _loadGate.WaitAsync(ct);
        try
        {
            if (_loaded) return;
            var byTenant = new Dictionary<string, List<Subscription>>(StringComparer.Ordinal);
            foreach (var stored in await store.LoadSubscriptionsAsync(ct))
            {
                try
                {
                    var terms = await resolver.ResolveAsync(stored.Context, stored.Tenant, ct);
                    LdContext? jsonldTerms = null;
                    try
                    {
                        jsonldTerms = await JsonldTermsAsync(stored.Document, stored.Tenant, ct);
                    }
                    catch (NgsiLdException e)
                    {
                        logger.LogWarning("The jsonldContext of subscription {Id} of tenant '{Tenant}' cannot be resolved; its notifications use its own @context: {Reason}", stored.Id, stored.Tenant, e.Detail);
                    }
                    var subscription = SubscriptionParser.Parse(stored.Document, stored.Context, terms, stored.Tenant, stored.Id, stored.ModifiedAt, stored.CreatedAt, checkExpiry: false, stored.Owner, jsonldTerms);
                    var key = ISubscriptionStore.KeyOf(stored.Tenant);
                    if (!byTenant.TryGetValue(key, out var list)) byTenant[key] = list = [];
                    list.Add(subscription);
                    _states[(key, stored.Id)] = new SubscriptionState(stored.TimesSent, stored.TimesFailed, stored.LastNotification, stored.LastSuccess, stored.LastFailure);
                }
                catch (NgsiLdException e)
                {
                    logger.LogError("Subscription {Id} of tenant '{Tenant}' cannot be loaded and is inactive: {Reason}", stored.Id, stored.Tenant, e.Detail);
                }
            }
            foreach (var (key, list) in byTenant) _tenants[key] = new TenantSubscriptions(list);
            _loaded = true;
        }
        finally
        {
            _loadGate.Release();
        }
    }

    public TenantSubscriptions For(string? tenant) =>
        _tenants.TryGetValue(ISubscriptionStore.KeyOf(tenant), out var found) ? found : TenantSubscriptions.Empty;

    public bool HasTenant(string? tenant) => _tenants.TryGetValue(ISubscriptionStore.KeyOf(tenant), out var found) && found.ById.Count > 0;

    public IEnumerable<TenantSubscriptions> All => _tenants.Values;

    public SubscriptionState State(string? tenant, string id) =>
        _states.GetOrAdd((ISubscriptionStore.KeyOf(tenant), id), _ => new SubscriptionState());

    public bool TryGetState(string? tenant, string id, out SubscriptionState state) =>
        _states.TryGetValue((ISubscriptionStore.KeyOf(tenant), id), out state!);

    public IEnumerable<(string? Tenant, string Id, SubscriptionState State)> States =>
        _states.Select(s => (s.Key.Tenant.Length == 0 ? null : s.Key.Tenant, s.Key.Id, s.Value));

    public async Task<Subscription> CreateAsync(string? tenant, JsonObject body, LdContext terms, CallerIdentity? owner, CancellationToken ct)
    {
        await EnsureLoadedAsync(ct);
        var id = SubscriptionParser.IdFor(body);
        var now = time.GetUtcNow();
        var subscription = SubscriptionParser.Parse(body, ContextOf(terms), terms, tenant, id, now, now, checkExpiry: true, owner,
            await JsonldTermsAsync(body, tenant, ct));
        await RequireAllowedEndpointAsync(subscription, ct);
        CheckTimeInterval(subscription);
        await _writeGate.WaitAsync(ct);
        try
        {
            if (For(tenant).ById.ContainsKey(id)) throw new NgsiLdException(NgsiLdErrorType.AlreadyExists, $"Subscription {id} already exists.");
            await store.SaveSubscriptionAsync(StoredSubscription.Of(subscription));
            _states[(ISubscriptionStore.KeyOf(tenant), id)] = new SubscriptionState();
            Replace(tenant, subscription, null);
        }
        finally
        {
            _writeGate.Release();
        }
        Changed?.Invoke();
        return subscription;
    }

    /// <summary>
    /// Update (5.8.2): the fragment's members replace the subscription's; notification and notification.endpoint are
    /// merged member by member, and a member set to null is removed. A fragment with its own @context brings it along.
    /// </summary>
    public async Task<Subscription> UpdateAsync(string? tenant, string id, JsonObject fragment, LdContext terms, CancellationToken ct)
    {
        await EnsureLoadedAsync(ct);
        if (fragment.Count == 0) throw NgsiLdException.BadRequest("The subscription fragment is empty.");
        SubscriptionParser.CheckType(fragment);
        if (fragment["id"] is { } givenId && givenId.ToJsonString() != JsonValue.Create(id).ToJsonString())
        {
            throw NgsiLdException.BadRequest("The fragment's id differs from the subscription id in the URL.");
        }
        await _writeGate.WaitAsync(ct);
        Subscription updated;
        try
        {
            var current = Get(tenant, id);
            var document = (JsonObject)current.Document.DeepClone();
            Merge(document, fragment, depth: 0);
            var context = terms.IsCoreOnly ? current.Context : ContextOf(terms);
            var contextTerms = terms.IsCoreOnly ? current.Terms : terms;
            var jsonldTerms = fragment.ContainsKey("jsonldContext") ? await JsonldTermsAsync(document, tenant, ct) : current.JsonldTerms;
            updated = SubscriptionParser.Parse(document, context, contextTerms, tenant, id, time.GetUtcNow(), current.CreatedAt,
                checkExpiry: fragment.ContainsKey("expiresAt"), current.Owner, jsonldTerms);
            await RequireAllowedEndpointAsync(updated, ct);
            if (fragment.ContainsKey("timeInterval")) CheckTimeInterval(updated);
            await store.SaveSubscriptionAsync(StoredSubscription.Of(updated));
            Replace(tenant, updated, id);
        }
        finally
        {
            _writeGate.Release();
        }
        Changed?.Invoke();
        return updated;
    }

    /// <summary>
    /// The @context of the document's jsonldContext member (5.2.12), fetched now: one that cannot be retrieved is a 504
    /// LdContextNotAvailable at creation or update (5.8.1), not a subscription that silently notifies with another context.
    /// </summary>
    private async Task<LdContext?> JsonldTermsAsync(JsonObject document, string? tenant, CancellationToken ct) =>
        SubscriptionParser.JsonldContextUrl(document) is { } url ? await resolver.ResolveAsync(JsonValue.Create(url), tenant, ct) : null;

    /// <summary>
    /// Refuses a notification endpoint the outbound policy does not allow (e.g. this broker itself, whose notifications
    /// would make changes that notify again); deliveries are checked again on connecting.
    /// </summary>
    private async Task RequireAllowedEndpointAsync(Subscription subscription, CancellationToken ct)
    {
        var endpoint = subscription.Endpoint;
        var refusal = endpoint.Mqtt is { } mqtt
            ? await outbound.RefusalAsync(mqtt.Host, mqtt.Port, ct)
            : await outbound.RefusalAsync(endpoint.Uri, ct);
        if (refusal is not null)
        {
            throw NgsiLdException.BadRequest($"notification.endpoint.uri is not allowed by the outbound policy (CityOS:Outbound): {refusal}.");
        }
    }

    public async Task DeleteAsync(string? tenant, string id, CancellationToken ct)
    {
        await EnsureLoadedAsync(ct);
        await _writeGate.WaitAsync(ct);
        try
        {
            Get(tenant, id);
            await store.DeleteSubscriptionAsync(tenant, id);
            Replace(tenant, null, id);
            _states.TryRemove((ISubscriptionStore.KeyOf(tenant), id), out _);
        }
        finally
        {
            _writeGate.Release();
        }
        Changed?.Invoke();
    }

    public Subscription Get(string? tenant, string id) =>
        For(tenant).ById.TryGetValue(id, out var found) ? found : throw NgsiLdException.NotFound($"Subscription {id} does not exist.");

    /// <summary>Refuses a timeInterval below CityOS:Subscriptions:MinTimeInterval (a stored one is kept as it is when reloaded).</summary>
    private void CheckTimeInterval(Subscription subscription)
    {
        var minimum = options.Value.MinTimeInterval;
        if (subscription.TimeInterval is { } interval && interval < minimum)
        {
            throw NgsiLdException.BadRequest(
                $"timeInterval must be at least {minimum.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} seconds on this broker (CityOS:Subscriptions:MinTimeInterval).");
        }
    }

    /// <summary>The context to store: null when the request used the core context only.</summary>
    private static JsonNode? ContextOf(LdContext terms) => terms.IsCoreOnly ? null : terms.ResponseContext;

    private void Replace(string? tenant, Subscription? added, string? removedId)
    {
        var key = ISubscriptionStore.KeyOf(tenant);
        var list = For(tenant).Ordered.Where(s => s.Id != removedId && s.Id != added?.Id).ToList();
        if (added is not null)
        {
            var index = list.FindIndex(s => s.CreatedAt > added.CreatedAt);
            list.Insert(index < 0 ? list.Count : index, added);
        }
        _tenants[key] = new TenantSubscriptions(list);
    }

    private static void Merge(JsonObject target, JsonObject fragment, int depth)
    {
        foreach (var (name, value) in fragment)
        {
            if (name is "@context" or "id" or "type") continue;
            if (value is null)
            {
                target.Remove(name);
            }
            else if (depth < 2 && name is "notification" or "endpoint" && value is JsonObject inner && target[name] is JsonObject existing)
            {
                Merge(existing, inner, depth + 1);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }
}

/// <summary>An immutable snapshot of one tenant's subscriptions with the index the notifier uses.</summary>
public sealed class TenantSubscriptions
{
    public static readonly TenantSubscriptions Empty = new([]);

    private readonly Dictionary<string, Subscription[]> _byType;
    private readonly Subscription[] _unindexed;

    public TenantSubscriptions(IReadOnlyList<Subscription> ordered)
    {
        Ordered = ordered;
        ById = ordered.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var byType = new Dictionary<string, List<Subscription>>(StringComparer.Ordinal);
        var unindexed = new List<Subscription>();
        foreach (var subscription in ordered)
        {
            if (subscription.TimeInterval is not null) continue;
            if (subscription.IndexTypes is not { } types)
            {
                unindexed.Add(subscription);
                continue;
            }
            foreach (var type in types)
            {
                if (!byType.TryGetValue(type, out var list)) byType[type] = list = [];
                list.Add(subscription);
            }
        }
        _byType = byType.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
        _unindexed = [.. unindexed];
        Periodic = ordered.Where(s => s.TimeInterval is not null).ToArray();
    }

    public IReadOnlyList<Subscription> Ordered { get; }
    public IReadOnlyDictionary<string, Subscription> ById { get; }
    public IReadOnlyList<Subscription> Periodic { get; }
    public bool IsEmpty => Ordered.Count == 0;

    /// <summary>The change-driven subscriptions that may concern an entity with these types (before or after the change), each once.</summary>
    public IEnumerable<Subscription> Candidates(Entity? before, Entity? after)
    {
        foreach (var subscription in _unindexed) yield return subscription;
        if (_byType.Count == 0) yield break;
        HashSet<string>? seen = null;
        foreach (var entity in new[] { after, before })
        {
            if (entity is null) continue;
            foreach (var type in entity.Types)
            {
                if (!_byType.TryGetValue(type, out var list)) continue;
                foreach (var subscription in list)
                {
                    seen ??= new HashSet<string>(StringComparer.Ordinal);
                    if (seen.Add(subscription.Id)) yield return subscription;
                }
            }
        }
    }
}
