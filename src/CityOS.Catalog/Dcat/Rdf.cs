using System.Text;

namespace CityOS.Catalog.Dcat;

/// <summary>A term of an RDF triple: an IRI, a blank node or a literal.</summary>
public abstract record RdfTerm;

public sealed record RdfIri(string Value) : RdfTerm;

/// <summary>A blank node, by its label in the graph (unique within one <see cref="RdfGraph"/>).</summary>
public sealed record RdfBlank(string Label) : RdfTerm;

/// <summary>A literal: a plain string, a language-tagged string, or a typed value (the datatype's IRI).</summary>
public sealed record RdfLiteral(string Value, string? Language = null, string? Datatype = null) : RdfTerm;

public readonly record struct RdfTriple(RdfTerm Subject, RdfIri Predicate, RdfTerm Object);

/// <summary>The namespaces of DCAT-AP 3 / DCAT 3 and their usual prefixes (in the order the exports declare them).</summary>
public static class Ns
{
    public const string Rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    public const string Xsd = "http://www.w3.org/2001/XMLSchema#";
    public const string Dcat = "http://www.w3.org/ns/dcat#";
    public const string Dct = "http://purl.org/dc/terms/";
    public const string Foaf = "http://xmlns.com/foaf/0.1/";
    public const string Vcard = "http://www.w3.org/2006/vcard/ns#";
    public const string Owl = "http://www.w3.org/2002/07/owl#";
    public const string Spdx = "http://spdx.org/rdf/terms#";
    public const string Hydra = "http://www.w3.org/ns/hydra/core#";
    public const string Locn = "http://www.w3.org/ns/locn#";
    public const string Gsp = "http://www.opengis.net/ont/geosparql#";
    public const string Adms = "http://www.w3.org/ns/adms#";

    public static readonly IReadOnlyList<KeyValuePair<string, string>> Prefixes =
    [
        new("rdf", Rdf), new("xsd", Xsd), new("dcat", Dcat), new("dct", Dct), new("foaf", Foaf), new("vcard", Vcard),
        new("owl", Owl), new("spdx", Spdx), new("hydra", Hydra), new("locn", Locn), new("gsp", Gsp), new("adms", Adms),
    ];
}

/// <summary>A small RDF graph built in the order its triples are added; blank nodes are numbered as they are made.</summary>
public sealed class RdfGraph
{
    private readonly List<RdfTriple> _triples = [];
    private int _blanks;

    public IReadOnlyList<RdfTriple> Triples => _triples;

    public RdfBlank NewBlank() => new("b" + _blanks++);

    public void Add(RdfTerm subject, string predicate, RdfTerm? value)
    {
        if (value is not null) _triples.Add(new RdfTriple(subject, new RdfIri(predicate), value));
    }

    /// <summary>Adds a literal unless it is null or empty.</summary>
    public void Add(RdfTerm subject, string predicate, string? text, string? language = null, string? datatype = null)
    {
        if (!string.IsNullOrEmpty(text)) Add(subject, predicate, new RdfLiteral(text, language, datatype));
    }

    public void Type(RdfTerm subject, string type) => Add(subject, Ns.Rdf + "type", new RdfIri(type));

    /// <summary>
    /// The IRI of an absolute URL, with the characters an IRI may not hold (spaces, quotes, angle brackets...) percent-encoded;
    /// null for anything that is not an absolute URL.
    /// </summary>
    public static RdfIri? Iri(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out _)) return null;
        var text = new StringBuilder();
        foreach (var c in url.Trim())
        {
            if (c <= ' ' || c is '<' or '>' or '"' or '{' or '}' or '|' or '^' or '`' or '\\') text.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            else text.Append(c);
        }
        return new RdfIri(text.ToString());
    }

    /// <summary>The subjects in the order they first appear, each with its predicates (in order) and their objects.</summary>
    internal IEnumerable<(RdfTerm Subject, IEnumerable<IGrouping<string, RdfTerm>> Properties)> BySubject() =>
        _triples.GroupBy(t => t.Subject).Select(s => (s.Key, s.GroupBy(t => t.Predicate.Value, t => t.Object)));
}
