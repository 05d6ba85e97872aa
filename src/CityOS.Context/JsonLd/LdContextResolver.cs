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
    /// context). Processed contexts are kept, so repeated values cost one dictionary lookup.
    /// </summary>
    ValueTask<LdContext> ResolveAsync(JsonNode? context, CancellationToken ct);
}

/// <summary>
/// Processes @context values (user contexts first, the core context last so that it wins) and keeps the
/// results keyed by the JSON text of the value. Remote documents come from the built-in core contexts,
/// the <see cref="JsonLdContextStore"/>, or are fetched once and stored there.
/// </summary>
internal sealed class LdContextResolver : ILdContextResolver, IContextDocumentSource
{
    private readonly ConcurrentDictionary<string, LdContext> processed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> fetches = new(StringComparer.Ordinal);
    private readonly JsonLdContextStore store;
    private readonly ContextFetcher fetcher;
    private readonly ContextProcessor processor;
    private readonly int maxCachedContexts;

    public LdContextResolver(JsonLdContextStore store, ContextFetcher fetcher, IOptions<JsonLdOptions> options)
    {
        this.store = store;
        this.fetcher = fetcher;
        maxCachedContexts = options.Value.MaxCachedContexts;
        processor = new ContextProcessor(this);
        store.Changed += processed.Clear;
        var coreState = new ActiveContextState();
        ApplyCore(coreState);
        Core = new LdContext(coreState, JsonValue.Create(CoreContexts.CoreUrl), CoreContexts.CoreUrl, isCoreOnly: true, []);
    }

    public LdContext Core { get; }

    public ValueTask<LdContext> ResolveAsync(JsonNode? context, CancellationToken ct)
    {
        if (context is null)
        {
            return ValueTask.FromResult(Core);
        }
        var url = context.GetValueKind() == JsonValueKind.String ? context.GetValue<string>() : null;
        var key = url is null ? "j:" + context.ToJsonString() : "u:" + url;
        if (processed.TryGetValue(key, out var found))
        {
            store.RecordUse(found.UsedUrls);
            return ValueTask.FromResult(found);
        }
        return new ValueTask<LdContext>(BuildAsync(key, context, url, ct));
    }

    /// <summary>Checks that a context can be processed, without keeping anything (used before hosting it).</summary>
    public async ValueTask ValidateAsync(JsonNode? context, CancellationToken ct)
    {
        await store.EnsureLoadedAsync(ct);
        await processor.ProcessAsync(new ActiveContextState(), context, overrideProtected: false, ct);
    }

    /// <summary>Fetches a cached remote context again and replaces the stored copy.</summary>
    public async Task ReloadAsync(StoredLdContext entry, CancellationToken ct)
    {
        var text = await fetcher.FetchAsync(entry.Url, ct);
        ParseContextDocument(entry.Url, text);
        await store.PutCachedAsync(entry.Url, text, ct);
    }

    async ValueTask<JsonNode?> IContextDocumentSource.LoadAsync(string url, CancellationToken ct)
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
        var fetch = fetches.GetOrAdd(url, u => new Lazy<Task<string>>(() => FetchAndStoreAsync(u)));
        try
        {
            return JsonNode.Parse(await fetch.Value.WaitAsync(ct));
        }
        finally
        {
            fetches.TryRemove(KeyValuePair.Create(url, fetch));
        }
    }

    private async Task<LdContext> BuildAsync(string key, JsonNode context, string? url, CancellationToken ct)
    {
        await store.EnsureLoadedAsync(ct);
        var state = new ActiveContextState();
        await processor.ProcessAsync(state, context, overrideProtected: false, ct);
        ApplyCore(state);
        var usedUrls = state.RemoteUrls.ToList();
        string contextUrl;
        if (url is not null)
        {
            contextUrl = url;
        }
        else
        {
            var hostedCopy = await store.EnsureImplicitAsync(context.ToJsonString(), ct);
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
        if (processed.Count < maxCachedContexts)
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
        var processing = processor.ProcessAsync(state, coreContext, overrideProtected: true, CancellationToken.None);
        if (!processing.IsCompletedSuccessfully)
        {
            processing.AsTask().GetAwaiter().GetResult();
        }
    }

    private async Task<string> FetchAndStoreAsync(string url)
    {
        // Shared by concurrent requests for the same URL, so not bound to one request's cancellation; the fetch has its own timeout.
        var text = await fetcher.FetchAsync(url, CancellationToken.None);
        ParseContextDocument(url, text);
        await store.PutCachedAsync(url, text, CancellationToken.None);
        return text;
    }

    private static void ParseContextDocument(string url, string text)
    {
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw ContextProcessor.Invalid("invalid remote context", $"the document at {url} is not JSON: {e.Message}");
        }
        if (document is not JsonObject obj || !obj.ContainsKey("@context"))
        {
            throw ContextProcessor.Invalid("invalid remote context", $"the document at {url} is not a JSON object with an @context member");
        }
    }
}
