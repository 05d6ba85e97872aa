using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Context.JsonLd;

/// <summary>
/// A processed JSON-LD context (the user's contexts followed by the NGSI-LD core context) with the IRI
/// expansion and compaction NGSI-LD needs for attribute names, entity types and vocab values.
/// Immutable and thread-safe; results of rules that are not a plain term lookup are memoised.
/// </summary>
public sealed class LdContext : Model.ITermMapper
{
    public const string ContextRel = "http://www.w3.org/ns/json-ld#context";

    /// <summary>Bound on memoised names per context, so arbitrary client names cannot grow memory without limit.</summary>
    private const int MaxMemoisedNames = 10_000;

    private readonly FrozenDictionary<string, TermDefinition> terms;
    private readonly FrozenDictionary<string, string> iriByTerm;
    private readonly FrozenDictionary<string, string> termByIri;
    private readonly (string Term, string Iri)[] prefixes;
    private readonly string? vocab;
    private readonly string? baseIri;
    private readonly ConcurrentDictionary<string, string> expanded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> compacted = new(StringComparer.Ordinal);
    private readonly string responseContextText;
    private readonly bool responseContextIsString;

    internal LdContext(ActiveContextState state, JsonNode responseContext, string contextUrl, bool isCoreOnly, IReadOnlyList<string> usedUrls)
    {
        terms = state.Terms.ToFrozenDictionary(StringComparer.Ordinal);
        vocab = state.Vocab;
        baseIri = state.Base;
        iriByTerm = terms.Where(t => t.Value.Iri is not null)
            .ToFrozenDictionary(t => t.Key, t => t.Value.Iri!, StringComparer.Ordinal);
        termByIri = terms.Where(t => t.Value is { Iri: not null, Reverse: false })
            .GroupBy(t => t.Value.Iri!, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.OrderBy(t => CompactionRank(t.Value)).ThenBy(t => t.Key.Length)
                .ThenBy(t => t.Key, StringComparer.Ordinal).First().Key, StringComparer.Ordinal);
        prefixes = terms.Where(t => t.Value is { Prefix: true, Iri: not null, Reverse: false })
            .Select(t => (t.Key, t.Value.Iri!)).ToArray();
        responseContextIsString = responseContext.GetValueKind() == JsonValueKind.String;
        responseContextText = responseContextIsString ? responseContext.GetValue<string>() : responseContext.ToJsonString();
        ContextUrl = contextUrl;
        LinkHeader = $"<{contextUrl}>; rel=\"{ContextRel}\"; type=\"application/ld+json\"";
        IsCoreOnly = isCoreOnly;
        UsedUrls = usedUrls;
    }

    /// <summary>
    /// The "@context" member of an application/ld+json response: the context the client gave, or the core
    /// context URL. A new node on every call, so callers may attach it to their own documents.
    /// </summary>
    public JsonNode ResponseContext => responseContextIsString
        ? JsonValue.Create(responseContextText)
        : JsonNode.Parse(responseContextText)!;

    /// <summary>The Link header of an application/json response pointing at this context.</summary>
    public string LinkHeader { get; }

    /// <summary>The URL in <see cref="LinkHeader"/>: the client's URL, the core URL, or a hosted copy of an inline context.</summary>
    public string ContextUrl { get; }

    /// <summary>True when the client gave no context beyond the core context of this broker.</summary>
    public bool IsCoreOnly { get; }

    /// <summary>Remote and hosted context URLs this context was built from, for usage statistics.</summary>
    internal IReadOnlyList<string> UsedUrls { get; }

    /// <summary>
    /// Expands an attribute name, sub-attribute name or entity type: JSON-LD IRI expansion with vocab=true.
    /// A term the context explicitly maps to null has no IRI, and is returned unchanged.
    /// </summary>
    public string ExpandTerm(string term)
    {
        if (iriByTerm.TryGetValue(term, out var iri) || expanded.TryGetValue(term, out iri))
        {
            return iri;
        }
        iri = IriRules.Expand(terms, vocab, baseIri, term, vocabRelative: true, documentRelative: false) ?? term;
        Memoise(expanded, term, iri);
        return iri;
    }

    /// <summary>
    /// Expands a value of a term typed @vocab (VocabProperty "vocab", objectType, attrs lists). JSON-LD also
    /// resolves such values against the base IRI, but the core context always sets @vocab, which takes precedence.
    /// </summary>
    public string ExpandVocabValue(string value) => ExpandTerm(value);

    /// <summary>
    /// Compacts an IRI used as a property name or type (IRI compaction with vocab=true): a term mapped to
    /// the IRI, else a name relative to @vocab, else a compact IRI with the shortest prefix, else the IRI.
    /// </summary>
    public string CompactIri(string iri)
    {
        if (termByIri.TryGetValue(iri, out var term) || compacted.TryGetValue(iri, out term))
        {
            return term;
        }
        term = CompactWithoutTerm(iri);
        Memoise(compacted, iri, term);
        return term;
    }

    /// <summary>Compacts the IRI value of a term typed @vocab (the inverse of <see cref="ExpandVocabValue"/>).</summary>
    public string CompactVocabValue(string iri) => CompactIri(iri);

    private string CompactWithoutTerm(string iri)
    {
        if (vocab is not null && iri.Length > vocab.Length && iri.StartsWith(vocab, StringComparison.Ordinal))
        {
            var suffix = iri[vocab.Length..];
            if (!terms.ContainsKey(suffix))
            {
                return suffix;
            }
        }
        string? choice = null;
        foreach (var (prefixTerm, prefixIri) in prefixes)
        {
            if (iri.Length <= prefixIri.Length || !iri.StartsWith(prefixIri, StringComparison.Ordinal))
            {
                continue;
            }
            var candidate = string.Concat(prefixTerm, ":", iri.AsSpan(prefixIri.Length));
            var usable = !terms.TryGetValue(candidate, out var clash) || clash.Iri == iri;
            if (usable && (choice is null || candidate.Length < choice.Length
                || candidate.Length == choice.Length && string.CompareOrdinal(candidate, choice) < 0))
            {
                choice = candidate;
            }
        }
        return choice ?? iri;
    }

    /// <summary>
    /// Order of preference among terms sharing an IRI, after the term selection of JSON-LD compaction for a
    /// node value (an NGSI-LD attribute): @set before no container, @type @id before no type. Terms JSON-LD
    /// would not select for a node (typed literals, @list, @language maps) still beat a compact IRI here,
    /// because NGSI-LD names them by their term (observedAt, languageMap).
    /// </summary>
    private static int CompactionRank(TermDefinition definition)
    {
        var selectable = definition.Container is null or "@set" && definition.TypeMapping is null or "@id";
        if (!selectable)
        {
            return 4;
        }
        return (definition.Container == "@set" ? 0 : 2) + (definition.TypeMapping == "@id" ? 0 : 1);
    }

    private static void Memoise(ConcurrentDictionary<string, string> cache, string key, string value)
    {
        if (cache.Count < MaxMemoisedNames)
        {
            cache.TryAdd(key, value);
        }
    }
}
