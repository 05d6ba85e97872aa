using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using Microsoft.Extensions.Options;

namespace CityOS.Context.JsonLd;

public interface ILdContextResolver
{
    /// <summary>The context of a request that gives none: the NGSI-LD core context only.</summary>
    LdContext Core { get; }

    /// <summary>
    /// The processed context for a request's @context value (URL, inline object or array; null for the core
    /// context). Processed contexts are kept, so repeated values cost one dictionary lookup. The contexts this keeps
    /// (the hosted copy of an inline context, fetched remote contexts) belong to <paramref name="tenant"/>
    /// (NGSILD-Tenant, null for the default tenant) and count against its quota.
    /// </summary>
    ValueTask<LdContext> ResolveAsync(JsonNode? context, string? tenant, CancellationToken ct) =>
        ResolveAsync(context, tenant, new ContextFetchBudget(), ct);

    /// <summary>
    /// As <see cref="ResolveAsync(JsonNode?, string?, CancellationToken)"/>, with the remote documents fetched counted in
    /// <paramref name="budget"/>, shared by all contexts of one request (e.g. every entity of a batch).
    /// </summary>
    ValueTask<LdContext> ResolveAsync(JsonNode? context, string? tenant, ContextFetchBudget budget, CancellationToken ct);

    /// <summary>As <see cref="ResolveAsync(JsonNode?, string?, CancellationToken)"/> in the default tenant (system settings such as the policy context).</summary>
    ValueTask<LdContext> ResolveAsync(JsonNode? context, CancellationToken ct) => ResolveAsync(context, null, ct);
}

/// <summary>
/// The remote @context documents one request made the broker fetch, bounded by CityOS:JsonLd:MaxFetchesPerRequest.
/// Not thread-safe: a request processes its contexts one after the other.
/// </summary>
public sealed class ContextFetchBudget
{
    internal HashSet<string> Fetched { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Processes @context values (user contexts first, the core context last so that it wins) and keeps the
/// results keyed by the JSON text of the value (and the tenant, for inline contexts, whose hosted copies are the
/// tenant's). Remote documents come from the built-in core contexts, the <see cref="JsonLdContextStore"/>, or are
/// fetched once and stored there: at most MaxFetchesPerRequest for one request, and a URL that could not be
/// retrieved is not fetched again for FailureCacheDuration.
/// </summary>
internal sealed class LdContextResolver : ILdContextResolver
{
    private readonly ConcurrentDictionary<string, LdContext> processed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> fetches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> failedUntil = new(StringComparer.Ordinal);
    private readonly JsonLdContextStore store;
    private readonly ContextFetcher fetcher;
    private readonly ContextProcessor coreProcessor;
    private readonly JsonLdOptions options;
    private readonly TimeProvider time;

    public LdContextResolver(JsonLdContextStore store, ContextFetcher fetcher, IOptions<JsonLdOptions> options, TimeProvider time)
    {
        this.store = store;
        this.fetcher = fetcher;
        this.options = options.Value;
        this.time = time;
        coreProcessor = new ContextProcessor(new RequestDocuments(this, tenant: null, new ContextFetchBudget()));
        store.Changed += processed.Clear;
        var coreState = new ActiveContextState();
        ApplyCore(coreState);
        Core = new LdContext(coreState, JsonValue.Create(CoreContexts.CoreUrl), CoreContexts.CoreUrl, isCoreOnly: true, []);
    }

    public LdContext Core { get; }

    public ValueTask<LdContext> ResolveAsync(JsonNode? context, string? tenant, ContextFetchBudget budget, CancellationToken ct)
    {
        if (context is null)
        {
            return ValueTask.FromResult(Core);
        }
        var url = context.GetValueKind() == JsonValueKind.String ? context.GetValue<string>() : null;
        var key = url is null ? $"j:{tenant}\n{context.ToJsonString()}" : "u:" + url;
        if (processed.TryGetValue(key, out var found))
        {
            store.RecordUse(found.UsedUrls);
            return ValueTask.FromResult(found);
        }
        return new ValueTask<LdContext>(BuildAsync(key, context, url, tenant, budget, ct));
    }

    /// <summary>Checks that a context can be processed, without keeping anything (used before hosting it).</summary>
    public async ValueTask ValidateAsync(JsonNode? context, string? tenant, CancellationToken ct)
    {
        await store.EnsureLoadedAsync(ct);
        await new ContextProcessor(new RequestDocuments(this, tenant, new ContextFetchBudget())).ProcessAsync(new ActiveContextState(), context, overrideProtected: false, ct);
    }

    /// <summary>Fetches a cached remote context again and replaces the stored copy.</summary>
    public async Task ReloadAsync(StoredLdContext entry, CancellationToken ct)
    {
        var text = await fetcher.FetchAsync(entry.Url, ct);
        await store.PutCachedAsync(entry.Tenant, entry.Url, text, ct);
    }

    private async Task<LdContext> BuildAsync(string key, JsonNode context, string? url, string? tenant, ContextFetchBudget budget, CancellationToken ct)
    {
        await store.EnsureLoadedAsync(ct);
        var state = new ActiveContextState();
        await new ContextProcessor(new RequestDocuments(this, tenant, budget)).ProcessAsync(state, context, overrideProtected: false, ct);
        ApplyCore(state);
        var usedUrls = state.RemoteUrls.ToList();
        string contextUrl;
        if (url is not null)
        {
            contextUrl = url;
        }
        else
        {
            var hostedCopy = await store.EnsureImplicitAsync(tenant, context.ToJsonString(), ct);
            contextUrl = hostedCopy.Url;
            usedUrls.Add(hostedCopy.Url);
        }
        var isCoreOnly = context switch
        {
            JsonValue => CoreContexts.IsCurrentCoreUrl(url!),
            JsonArray items => items.All(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String
                && CoreContexts.IsCurrentCoreUrl(v.GetValue<string>())),
            _ => false,
        };
        var result = new LdContext(state, context, contextUrl, isCoreOnly, usedUrls);
        if (processed.Count < options.MaxCachedContexts)
        {
            processed.TryAdd(key, result);
        }
        store.RecordUse(usedUrls);
        return result;
    }

    /// <summary>The core context is applied after the user's and overrides protected user terms (GS CIM 009, 5.5.7).</summary>
    private void ApplyCore(ActiveContextState state)
    {
        var coreContext = CoreContexts.TryLoad(CoreContexts.CoreUrl)!["@context"];
        // Processing the built-in core document loads nothing remote, so it completes synchronously.
        var processing = coreProcessor.ProcessAsync(state, coreContext, overrideProtected: true, CancellationToken.None);
        if (!processing.IsCompletedSuccessfully)
        {
            processing.AsTask().GetAwaiter().GetResult();
        }
    }

    private async Task<JsonNode?> LoadAsync(string url, string? tenant, ContextFetchBudget budget, CancellationToken ct)
    {
        if (CoreContexts.TryLoad(url) is { } core)
        {
            return core;
        }
        await store.EnsureLoadedAsync(ct);
        if (store.FindByUrl(url) is { } stored)
        {
            return JsonNode.Parse(stored.Document);
        }
        if (url.StartsWith(JsonLdContextStore.ApiPath + "/", StringComparison.Ordinal))
        {
            // A path of this broker's own /jsonldContexts naming no context it keeps: there is nothing to fetch.
            throw ContextFetcher.NotAvailable(url);
        }
        if (failedUntil.TryGetValue(url, out var until) && time.GetUtcNow() < until)
        {
            throw ContextFetcher.NotAvailable(url);
        }
        if (budget.Fetched.Add(url) && budget.Fetched.Count > options.MaxFetchesPerRequest)
        {
            throw NgsiLdException.BadRequest(
                $"The @context needs more than {options.MaxFetchesPerRequest} remote documents the broker does not keep yet, the most one request "
                + "may make it fetch (CityOS:JsonLd:MaxFetchesPerRequest); host them with POST /ngsi-ld/v1/jsonldContexts or use fewer.");
        }
        store.RequireRoom(tenant);
        var fetch = fetches.GetOrAdd(url, u => new Lazy<Task<string>>(() => FetchAndStoreAsync(u, tenant)));
        try
        {
            return JsonNode.Parse(await fetch.Value.WaitAsync(ct));
        }
        finally
        {
            fetches.TryRemove(KeyValuePair.Create(url, fetch));
        }
    }

    private async Task<string> FetchAndStoreAsync(string url, string? tenant)
    {
        // Shared by concurrent requests for the same URL, so not bound to one request's cancellation; the fetch has its own timeout.
        string text;
        try
        {
            text = await fetcher.FetchAsync(url, CancellationToken.None);
        }
        catch (NgsiLdException)
        {
            RememberFailure(url);
            throw;
        }
        await store.PutCachedAsync(tenant, url, text, CancellationToken.None);
        return text;
    }

    private void RememberFailure(string url)
    {
        var now = time.GetUtcNow();
        if (failedUntil.Count >= options.MaxCachedContexts)
        {
            foreach (var (expired, _) in failedUntil.Where(f => f.Value <= now))
            {
                failedUntil.TryRemove(expired, out _);
            }
        }
        failedUntil[url] = now + options.FailureCacheDuration;
    }

    /// <summary>
    /// The documents of one request's processing: counts what it makes the broker fetch, and gives what is fetched to
    /// the tenant it is processed for.
    /// </summary>
    private sealed class RequestDocuments(LdContextResolver resolver, string? tenant, ContextFetchBudget budget) : IContextDocumentSource
    {
        public async ValueTask<JsonNode?> LoadAsync(string url, CancellationToken ct) => await resolver.LoadAsync(url, tenant, budget, ct);
    }
}
