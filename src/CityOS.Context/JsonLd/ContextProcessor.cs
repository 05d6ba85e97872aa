using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;

namespace CityOS.Context.JsonLd;

/// <summary>Where remote context documents come from (built-in core contexts, the context store, HTTP).</summary>
internal interface IContextDocumentSource
{
    /// <summary>The parsed JSON document at <paramref name="url"/>; throws <see cref="NgsiLdException"/> when it cannot be had.</summary>
    ValueTask<JsonNode?> LoadAsync(string url, CancellationToken ct);
}

/// <summary>The active context while contexts are being processed.</summary>
internal sealed class ActiveContextState
{
    public Dictionary<string, TermDefinition> Terms { get; } = new(StringComparer.Ordinal);
    public string? Vocab { get; set; }
    public string? Base { get; set; }

    /// <summary>Remote context URLs processed into this state, for usage statistics.</summary>
    public HashSet<string> RemoteUrls { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The context processing algorithm of JSON-LD 1.1 (4.1) and term definition creation (4.2), limited to
/// what decides IRIs: @id, @type, @container, @prefix, @protected, @vocab, @base, @import, arrays, null
/// and remote contexts. Scoped contexts (@context inside a term definition) are accepted and not applied:
/// NGSI-LD names are expanded with the top-level context only.
/// </summary>
internal sealed class ContextProcessor(IContextDocumentSource source)
{
    /// <summary>Bound on nested remote contexts, the "context overflow" limit JSON-LD leaves to processors.</summary>
    public const int MaxRemoteDepth = 16;

    private static readonly HashSet<string> ContextKeywords = new(StringComparer.Ordinal)
    {
        "@base", "@direction", "@import", "@language", "@propagate", "@protected", "@version", "@vocab",
    };

    private static readonly HashSet<string> TermDefinitionKeys = new(StringComparer.Ordinal)
    {
        "@id", "@reverse", "@container", "@context", "@direction", "@index", "@language", "@nest", "@prefix",
        "@protected", "@type",
    };

    private static readonly HashSet<string> ContainerKeywords = new(StringComparer.Ordinal)
    {
        "@list", "@set", "@index", "@language", "@graph", "@id", "@type",
    };

    /// <param name="overrideProtected">True for the NGSI-LD core context applied after the user's contexts: it wins.</param>
    public ValueTask ProcessAsync(ActiveContextState state, JsonNode? localContext, bool overrideProtected, CancellationToken ct) =>
        ProcessAsync(state, localContext, baseUrl: null, remoteChain: [], overrideProtected, fromCore: overrideProtected, ct);

    private async ValueTask ProcessAsync(
        ActiveContextState state, JsonNode? localContext, string? baseUrl, List<string> remoteChain,
        bool overrideProtected, bool fromCore, CancellationToken ct)
    {
        var items = localContext is JsonArray array ? array.ToArray() : [localContext];
        // A malformed item is the client's error whatever the other items are: it is found before any remote item is fetched.
        if (items.FirstOrDefault(i => i is not (null or JsonObject) && i.GetValueKind() != JsonValueKind.String) is { } malformed)
        {
            throw Invalid("invalid local context", $"a context must be null, a string, an object or an array of those, not {malformed.GetValueKind()}");
        }
        foreach (var item in items)
        {
            switch (item)
            {
                case null:
                    Nullify(state, overrideProtected);
                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    await ProcessRemoteAsync(state, value.GetValue<string>(), baseUrl, remoteChain, overrideProtected, fromCore, ct);
                    break;
                case JsonObject obj:
                    await ProcessObjectAsync(state, obj, baseUrl, remoteChain, overrideProtected, fromCore, ct);
                    break;
                default:
                    throw Invalid("invalid local context", $"a context must be null, a string, an object or an array of those, not {item.GetValueKind()}");
            }
        }
    }

    private static void Nullify(ActiveContextState state, bool overrideProtected)
    {
        // Core terms come back when the core context is applied last, so only a user's own protected terms block a reset.
        if (!overrideProtected && state.Terms.Values.Any(t => t.Protected && !t.FromCore))
        {
            throw Invalid("invalid context nullification", "null cannot clear a context that has protected terms");
        }
        state.Terms.Clear();
        state.Vocab = null;
        state.Base = null;
    }

    private async ValueTask ProcessRemoteAsync(
        ActiveContextState state, string reference, string? baseUrl, List<string> remoteChain,
        bool overrideProtected, bool fromCore, CancellationToken ct)
    {
        var url = ResolveContextUrl(reference, baseUrl);
        if (remoteChain.Contains(url, StringComparer.Ordinal))
        {
            throw Invalid("recursive context inclusion", $"the context {url} includes itself");
        }
        if (remoteChain.Count >= MaxRemoteDepth)
        {
            throw Invalid("context overflow", $"more than {MaxRemoteDepth} nested remote contexts");
        }
        var document = await source.LoadAsync(url, ct);
        if (document is not JsonObject obj || !obj.TryGetPropertyValue("@context", out var context))
        {
            throw Invalid("invalid remote context", $"the document at {url} is not a JSON object with an @context member");
        }
        state.RemoteUrls.Add(url);
        remoteChain.Add(url);
        try
        {
            await ProcessAsync(state, context, url, remoteChain, overrideProtected, fromCore || CoreContexts.IsCoreUrl(url), ct);
        }
        finally
        {
            remoteChain.RemoveAt(remoteChain.Count - 1);
        }
    }

    private static string ResolveContextUrl(string reference, string? baseUrl)
    {
        if (Uri.TryCreate(reference, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            return WithoutCredentials(absolute, reference);
        }
        // The URL of a context hosted here when no public base URL is configured (CityOS:PublicBaseUrl): the path alone.
        if (reference.StartsWith(JsonLdContextStore.ApiPath + "/", StringComparison.Ordinal))
        {
            return reference;
        }
        if (baseUrl is not null && Uri.TryCreate(new Uri(baseUrl), reference, out var resolved) && resolved.Scheme is "http" or "https")
        {
            return WithoutCredentials(resolved, resolved.AbsoluteUri);
        }
        throw Invalid("loading remote context failed", $"'{reference}' is not an http(s) URL of a context");
    }

    /// <summary>
    /// Refuses a context URL with user credentials: the broker keeps and lists the URLs of the contexts it fetched, and
    /// credentials must never be kept or listed. The refusal does not repeat them.
    /// </summary>
    private static string WithoutCredentials(Uri uri, string url) => uri.UserInfo.Length == 0
        ? url
        : throw Invalid("loading remote context failed",
            $"the @context URL {uri.Scheme}://***@{uri.Authority}{uri.PathAndQuery} carries user credentials, which the broker does not send or keep");

    private async ValueTask ProcessObjectAsync(
        ActiveContextState state, JsonObject obj, string? baseUrl, List<string> remoteChain,
        bool overrideProtected, bool fromCore, CancellationToken ct)
    {
        var local = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (obj.TryGetPropertyValue("@import", out var import))
        {
            if (import is not JsonValue importValue || importValue.GetValueKind() != JsonValueKind.String)
            {
                throw Invalid("invalid @import value", "@import must be a string");
            }
            var url = ResolveContextUrl(importValue.GetValue<string>(), baseUrl);
            var document = await source.LoadAsync(url, ct);
            if (document is not JsonObject importedDocument || importedDocument["@context"] is not JsonObject imported)
            {
                throw Invalid("invalid remote context", $"the document imported from {url} has no @context object");
            }
            if (imported.ContainsKey("@import"))
            {
                throw Invalid("invalid context entry", "an imported context cannot itself contain @import");
            }
            foreach (var (key, value) in imported)
            {
                local[key] = value;
            }
        }
        foreach (var (key, value) in obj)
        {
            local[key] = value;
        }

        if (local.TryGetValue("@version", out var version)
            && (version is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || v.GetValue<double>() != 1.1))
        {
            throw Invalid("invalid @version value", "@version must be the number 1.1");
        }
        if (remoteChain.Count == 0 && local.TryGetValue("@base", out var baseValue))
        {
            state.Base = baseValue switch
            {
                null => null,
                JsonValue b when b.GetValueKind() == JsonValueKind.String => ResolveBase(state.Base, b.GetValue<string>()),
                _ => throw Invalid("invalid base IRI", "@base must be a string or null"),
            };
        }
        if (local.TryGetValue("@vocab", out var vocab))
        {
            state.Vocab = vocab switch
            {
                null => null,
                JsonValue s when s.GetValueKind() == JsonValueKind.String => ExpandVocabMapping(state, s.GetValue<string>()),
                _ => throw Invalid("invalid vocab mapping", "@vocab must be a string or null"),
            };
        }
        if (local.TryGetValue("@language", out var language) && language is not null
            && (language is not JsonValue l || l.GetValueKind() != JsonValueKind.String))
        {
            throw Invalid("invalid default language", "@language must be a string or null");
        }
        if (local.TryGetValue("@propagate", out var propagate) && !IsBoolean(propagate))
        {
            throw Invalid("invalid @propagate value", "@propagate must be true or false");
        }
        var protectedDefault = false;
        if (local.TryGetValue("@protected", out var protectedValue))
        {
            protectedDefault = IsBoolean(protectedValue)
                ? protectedValue!.GetValue<bool>()
                : throw Invalid("invalid @protected value", "@protected must be true or false");
        }

        var creation = new TermCreation(state, local, protectedDefault, overrideProtected, fromCore);
        foreach (var key in local.Keys)
        {
            if (!ContextKeywords.Contains(key))
            {
                creation.Define(key);
            }
        }
    }

    private static string? ResolveBase(string? current, string value)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out _))
        {
            return value;
        }
        if (current is not null && Uri.TryCreate(new Uri(current), value, out var resolved))
        {
            return resolved.AbsoluteUri;
        }
        throw Invalid("invalid base IRI", $"'{value}' is relative and there is no base IRI to resolve it against");
    }

    private static string ExpandVocabMapping(ActiveContextState state, string value)
    {
        var expanded = IriRules.Expand(state.Terms, state.Vocab, state.Base, value, vocabRelative: true, documentRelative: true);
        if (expanded is null || IriRules.IsKeyword(expanded) || !expanded.Contains(':'))
        {
            throw Invalid("invalid vocab mapping", $"@vocab '{value}' is not an IRI");
        }
        return expanded;
    }

    private static bool IsBoolean(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False;

    public static NgsiLdException Invalid(string jsonLdError, string detail) =>
        NgsiLdException.BadRequest($"Invalid JSON-LD @context ({jsonLdError}): {detail}");

    /// <summary>Create Term Definition (JSON-LD 1.1, 4.2.2) for the terms of one local context object.</summary>
    private sealed class TermCreation(
        ActiveContextState state, Dictionary<string, JsonNode?> local, bool protectedDefault, bool overrideProtected, bool fromCore)
    {
        private readonly Dictionary<string, bool> defined = new(StringComparer.Ordinal);

        public void Define(string term)
        {
            if (defined.TryGetValue(term, out var done))
            {
                if (done)
                {
                    return;
                }
                throw Invalid("cyclic IRI mapping", $"the definition of '{term}' depends on itself");
            }
            if (term.Length == 0)
            {
                throw Invalid("invalid term definition", "the empty string is not a term");
            }
            defined[term] = false;
            var value = local[term];
            if (term == "@type")
            {
                defined[term] = true;
                return;
            }
            if (IriRules.IsKeyword(term))
            {
                throw Invalid("keyword redefinition", $"'{term}' is a keyword");
            }
            if (IriRules.LooksLikeKeyword(term))
            {
                defined[term] = true;
                return;
            }
            state.Terms.Remove(term, out var previous);

            var simpleTerm = false;
            JsonObject definitionObject;
            switch (value)
            {
                case null:
                    definitionObject = new JsonObject { ["@id"] = null };
                    break;
                case JsonValue s when s.GetValueKind() == JsonValueKind.String:
                    definitionObject = new JsonObject { ["@id"] = s.GetValue<string>() };
                    simpleTerm = true;
                    break;
                case JsonObject o:
                    definitionObject = o;
                    break;
                default:
                    throw Invalid("invalid term definition", $"the definition of '{term}' must be a string, an object or null");
            }
            foreach (var (key, _) in definitionObject)
            {
                if (!TermDefinitionKeys.Contains(key))
                {
                    throw Invalid("invalid term definition", $"'{key}' is not allowed in the definition of '{term}'");
                }
            }

            var isProtected = protectedDefault;
            if (definitionObject.TryGetPropertyValue("@protected", out var protectedValue))
            {
                isProtected = IsBoolean(protectedValue)
                    ? protectedValue!.GetValue<bool>()
                    : throw Invalid("invalid @protected value", $"@protected of '{term}' must be true or false");
            }

            string? typeMapping = null;
            if (definitionObject.TryGetPropertyValue("@type", out var typeValue))
            {
                var type = AsString(typeValue) ?? throw Invalid("invalid type mapping", $"@type of '{term}' must be a string");
                typeMapping = Expand(type);
                if (typeMapping is not ("@id" or "@vocab" or "@json" or "@none")
                    && (typeMapping is null || IriRules.IsKeyword(typeMapping) || !IriRules.IsAbsoluteIriOrBlankNode(typeMapping)))
                {
                    throw Invalid("invalid type mapping", $"@type '{type}' of '{term}' is not @id, @vocab, @json, @none or an IRI");
                }
            }

            var container = ReadContainer(term, definitionObject);
            string? iri;
            var reverse = false;
            var prefix = false;
            if (definitionObject.TryGetPropertyValue("@reverse", out var reverseValue))
            {
                if (definitionObject.ContainsKey("@id") || definitionObject.ContainsKey("@nest"))
                {
                    throw Invalid("invalid reverse property", $"'{term}' has @reverse together with @id or @nest");
                }
                var reverseIri = AsString(reverseValue) ?? throw Invalid("invalid IRI mapping", $"@reverse of '{term}' must be a string");
                iri = Expand(reverseIri);
                if (iri is null || !iri.Contains(':'))
                {
                    throw Invalid("invalid IRI mapping", $"@reverse '{reverseIri}' of '{term}' is not an IRI");
                }
                reverse = true;
            }
            else if (definitionObject.TryGetPropertyValue("@id", out var idValue) && AsString(idValue) != term)
            {
                if (idValue is null)
                {
                    iri = null;
                }
                else
                {
                    var id = AsString(idValue) ?? throw Invalid("invalid IRI mapping", $"@id of '{term}' must be a string or null");
                    if (!IriRules.IsKeyword(id) && IriRules.LooksLikeKeyword(id))
                    {
                        defined[term] = true;
                        return;
                    }
                    iri = Expand(id);
                    if (iri is null || !(IriRules.IsKeyword(iri) || iri.Contains(':')))
                    {
                        throw Invalid("invalid IRI mapping", $"@id '{id}' of '{term}' is not an IRI, a blank node identifier or a keyword");
                    }
                    if (iri == "@context")
                    {
                        throw Invalid("invalid keyword alias", "@context cannot be aliased");
                    }
                    if (HasInnerColon(term) || term.Contains('/'))
                    {
                        defined[term] = true;
                        if (Expand(term) != iri)
                        {
                            throw Invalid("invalid IRI mapping", $"the term '{term}' looks like an IRI that differs from its @id");
                        }
                    }
                    prefix = !term.Contains(':') && !term.Contains('/') && simpleTerm
                        && (IriRules.EndsWithGenDelim(iri) || iri.StartsWith("_:", StringComparison.Ordinal));
                }
            }
            else if (term.Length > 1 && term.IndexOf(':', 1) is var colon and > 0)
            {
                var termPrefix = term[..colon];
                if (local.ContainsKey(termPrefix))
                {
                    Define(termPrefix);
                }
                iri = state.Terms.TryGetValue(termPrefix, out var prefixDefinition) && prefixDefinition.Iri is not null
                    ? prefixDefinition.Iri + term[(colon + 1)..]
                    : term;
            }
            else if (term.Contains('/'))
            {
                iri = Expand(term);
                if (iri is null || !IriRules.IsAbsoluteIriOrBlankNode(iri))
                {
                    throw Invalid("invalid IRI mapping", $"the term '{term}' is a relative IRI");
                }
            }
            else
            {
                iri = state.Vocab is not null
                    ? state.Vocab + term
                    : throw Invalid("invalid IRI mapping", $"'{term}' has no @id and there is no @vocab");
            }

            if (definitionObject.TryGetPropertyValue("@prefix", out var prefixValue))
            {
                if (term.Contains(':') || term.Contains('/'))
                {
                    throw Invalid("invalid term definition", $"'{term}' cannot be a prefix");
                }
                prefix = IsBoolean(prefixValue)
                    ? prefixValue!.GetValue<bool>()
                    : throw Invalid("invalid @prefix value", $"@prefix of '{term}' must be true or false");
            }

            var definition = new TermDefinition(iri, typeMapping, container, isProtected, prefix, reverse, fromCore);
            if (!overrideProtected && previous is { Protected: true })
            {
                // The NGSI-LD core context cannot be overridden (5.5.7), so a user redefinition of a core term is dropped.
                if (!previous.FromCore && !definition.SameMeaningAs(previous))
                {
                    throw Invalid("protected term redefinition", $"'{term}' is protected");
                }
                definition = previous;
            }
            state.Terms[term] = definition;
            defined[term] = true;
        }

        private string? Expand(string value)
        {
            if (IriRules.IsKeyword(value))
            {
                return value;
            }
            if (local.ContainsKey(value) && !(defined.TryGetValue(value, out var done) && done))
            {
                Define(value);
            }
            var colon = value.Length > 1 ? value.IndexOf(':', 1) : -1;
            if (colon > 0)
            {
                var prefix = value[..colon];
                if (local.ContainsKey(prefix) && !(defined.TryGetValue(prefix, out var prefixDone) && prefixDone))
                {
                    Define(prefix);
                }
            }
            return IriRules.Expand(state.Terms, state.Vocab, state.Base, value, vocabRelative: true, documentRelative: false);
        }

        private static bool HasInnerColon(string term)
        {
            var colon = term.IndexOf(':', 1);
            return colon > 0 && colon < term.Length - 1;
        }

        private static string? ReadContainer(string term, JsonObject definitionObject)
        {
            if (!definitionObject.TryGetPropertyValue("@container", out var containerValue) || containerValue is null)
            {
                return null;
            }
            var values = containerValue is JsonArray array ? array.Select(AsString).ToList() : [AsString(containerValue)];
            if (values.Count == 0 || values.Any(v => v is null || !ContainerKeywords.Contains(v)))
            {
                throw Invalid("invalid container mapping", $"@container of '{term}' has a value JSON-LD does not define");
            }
            return string.Concat(values.Order(StringComparer.Ordinal));
        }

        private static string? AsString(JsonNode? node) =>
            node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
    }
}
