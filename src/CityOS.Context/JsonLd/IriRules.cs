using System.Text.RegularExpressions;

namespace CityOS.Context.JsonLd;

/// <summary>The IRI expansion rules of JSON-LD 1.1 (5.2.2) over a finished set of term definitions, and the keyword tests.</summary>
internal static partial class IriRules
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit", "@graph", "@id",
        "@import", "@included", "@index", "@json", "@language", "@list", "@nest", "@none", "@omitDefault",
        "@prefix", "@preserve", "@propagate", "@protected", "@requireAll", "@reverse", "@set", "@type",
        "@value", "@version", "@vocab",
    };

    public static bool IsKeyword(string value) => Keywords.Contains(value);

    /// <summary>Strings of the keyword form that are not keywords are reserved and ignored by JSON-LD 1.1.</summary>
    public static bool LooksLikeKeyword(string value) => value.Length > 1 && value[0] == '@' && KeywordForm().IsMatch(value);

    /// <summary>The absolute-IRI test that the reference processor (jsonld.js) uses; blank node identifiers pass too.</summary>
    public static bool IsAbsoluteIriOrBlankNode(string value) => AbsoluteIri().IsMatch(value);

    /// <summary>The gen-delim characters of RFC 3986 that make a simple term usable as a prefix (JSON-LD 1.1, 4.2.2 step 14.2.3).</summary>
    public static bool EndsWithGenDelim(string iri) => iri.Length > 0 && ":/?#[]@".Contains(iri[^1]);

    public static string? Expand(
        IReadOnlyDictionary<string, TermDefinition> terms, string? vocab, string? baseIri,
        string value, bool vocabRelative, bool documentRelative)
    {
        if (IsKeyword(value))
        {
            return value;
        }
        if (LooksLikeKeyword(value))
        {
            return null;
        }
        if (terms.TryGetValue(value, out var definition))
        {
            if (definition.Iri is { } iri && IsKeyword(iri))
            {
                return iri;
            }
            if (vocabRelative)
            {
                return definition.Iri;
            }
        }
        var colon = value.Length > 1 ? value.IndexOf(':', 1) : -1;
        if (colon > 0)
        {
            var prefix = value[..colon];
            var suffix = value.AsSpan(colon + 1);
            if (prefix == "_" || suffix.StartsWith("//"))
            {
                return value;
            }
            if (terms.TryGetValue(prefix, out var prefixDefinition) && prefixDefinition is { Iri: not null, Prefix: true })
            {
                return string.Concat(prefixDefinition.Iri, suffix);
            }
            if (IsAbsoluteIriOrBlankNode(value))
            {
                return value;
            }
        }
        if (vocabRelative && vocab is not null)
        {
            return vocab + value;
        }
        if (documentRelative && baseIri is not null && Uri.TryCreate(baseIri, UriKind.Absolute, out var baseUri)
            && Uri.TryCreate(baseUri, value, out var resolved))
        {
            return resolved.AbsoluteUri;
        }
        return value;
    }

    [GeneratedRegex("^@[a-zA-Z]+$")]
    private static partial Regex KeywordForm();

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")]
    private static partial Regex AbsoluteIri();
}
