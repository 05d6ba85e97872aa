using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;

namespace CityOS.Catalog.Dcat;

/// <summary>The serializations of the DCAT exports, as ckanext-dcat names them by file extension.</summary>
public sealed record RdfFormat(string Extension, string MediaType)
{
    public static readonly RdfFormat Turtle = new("ttl", "text/turtle");
    public static readonly RdfFormat N3 = new("n3", "text/n3");
    public static readonly RdfFormat JsonLd = new("jsonld", "application/ld+json");
    public static readonly RdfFormat RdfXml = new("xml", "application/rdf+xml");

    /// <summary>The format of an extension (<c>rdf</c> is RDF/XML too); null for any other.</summary>
    public static RdfFormat? OfExtension(string? extension) => extension?.ToLowerInvariant() switch
    {
        "ttl" => Turtle,
        "n3" => N3,
        "jsonld" => JsonLd,
        "xml" or "rdf" => RdfXml,
        _ => null,
    };

    /// <summary>The format an Accept header asks for first (by quality); RDF/XML, ckanext-dcat's fallback, when it names none of them.</summary>
    public static RdfFormat Negotiate(IEnumerable<Microsoft.Net.Http.Headers.MediaTypeHeaderValue> accept)
    {
        foreach (var type in accept.OrderByDescending(a => a.Quality ?? 1))
        {
            var media = type.MediaType.Value?.ToLowerInvariant();
            if (media is "text/turtle" or "application/x-turtle") return Turtle;
            if (media is "text/n3") return N3;
            if (media is "application/ld+json" or "application/json") return JsonLd;
            if (media is "application/rdf+xml" or "application/xml" or "text/xml") return RdfXml;
        }
        return RdfXml;
    }

    public string Write(RdfGraph graph) => this == JsonLd ? RdfWriters.JsonLd(graph) : this == RdfXml ? RdfWriters.RdfXml(graph) : RdfWriters.Turtle(graph);
}

/// <summary>Writes an <see cref="RdfGraph"/> as Turtle (also valid N3), JSON-LD (prefixes as the @context, one node object a subject) or RDF/XML.</summary>
public static class RdfWriters
{
    public static string Turtle(RdfGraph graph)
    {
        var text = new StringBuilder();
        foreach (var (prefix, ns) in Ns.Prefixes) text.Append("@prefix ").Append(prefix).Append(": <").Append(ns).Append("> .\n");
        foreach (var (subject, properties) in graph.BySubject())
        {
            text.Append('\n').Append(TurtleTerm(subject));
            var first = true;
            foreach (var property in properties)
            {
                text.Append(first ? "\n    " : " ;\n    ").Append(property.Key == Ns.Rdf + "type" ? "a" : TurtleIri(property.Key)).Append(' ');
                text.AppendJoin(", ", property.Select(TurtleTerm));
                first = false;
            }
            text.Append(" .\n");
        }
        return text.ToString();
    }

    private static string TurtleTerm(RdfTerm term) => term switch
    {
        RdfIri iri => TurtleIri(iri.Value),
        RdfBlank blank => "_:" + blank.Label,
        RdfLiteral literal => "\"" + EscapeString(literal.Value) + "\""
            + (literal.Language is { } language ? "@" + language : literal.Datatype is { } datatype ? "^^" + TurtleIri(datatype) : ""),
        _ => throw new ArgumentOutOfRangeException(nameof(term)),
    };

    private static string TurtleIri(string iri) => Compact(iri) is var (prefix, _, local) ? prefix + ":" + local : "<" + iri + ">";

    /// <summary>prefix, namespace and local name of an IRI in a known namespace whose local name is a plain name; null otherwise.</summary>
    private static (string Prefix, string Namespace, string Local)? Compact(string iri)
    {
        foreach (var (prefix, ns) in Ns.Prefixes)
        {
            if (!iri.StartsWith(ns, StringComparison.Ordinal)) continue;
            var local = iri[ns.Length..];
            if (local.Length > 0 && char.IsAsciiLetter(local[0]) && local.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) return (prefix, ns, local);
        }
        return null;
    }

    private static string EscapeString(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': text.Append("\\\\"); break;
                case '"': text.Append("\\\""); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else text.Append(c);
                    break;
            }
        }
        return text.ToString();
    }

    public static string JsonLd(RdfGraph graph)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("@context");
            foreach (var (prefix, ns) in Ns.Prefixes) json.WriteString(prefix, ns);
            json.WriteEndObject();
            json.WriteStartArray("@graph");
            foreach (var (subject, properties) in graph.BySubject())
            {
                json.WriteStartObject();
                json.WriteString("@id", JsonLdId(subject));
                foreach (var property in properties)
                {
                    if (property.Key == Ns.Rdf + "type")
                    {
                        json.WriteStartArray("@type");
                        foreach (var type in property) json.WriteStringValue(JsonLdIri(((RdfIri)type).Value));
                        json.WriteEndArray();
                        continue;
                    }
                    json.WriteStartArray(JsonLdIri(property.Key));
                    foreach (var value in property)
                    {
                        json.WriteStartObject();
                        if (value is RdfLiteral literal)
                        {
                            json.WriteString("@value", literal.Value);
                            if (literal.Language is { } language) json.WriteString("@language", language);
                            else if (literal.Datatype is { } datatype) json.WriteString("@type", JsonLdIri(datatype));
                        }
                        else
                        {
                            json.WriteString("@id", JsonLdId(value));
                        }
                        json.WriteEndObject();
                    }
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string JsonLdId(RdfTerm term) => term is RdfBlank blank ? "_:" + blank.Label : ((RdfIri)term).Value;

    private static string JsonLdIri(string iri) => Compact(iri) is var (prefix, _, local) ? prefix + ":" + local : iri;

    public static string RdfXml(RdfGraph graph)
    {
        using var stream = new MemoryStream();
        using (var xml = XmlWriter.Create(stream, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) }))
        {
            xml.WriteStartElement("rdf", "RDF", Ns.Rdf);
            foreach (var (prefix, ns) in Ns.Prefixes.Where(p => p.Key != "rdf")) xml.WriteAttributeString("xmlns", prefix, null, ns);
            foreach (var (subject, properties) in graph.BySubject())
            {
                xml.WriteStartElement("rdf", "Description", Ns.Rdf);
                if (subject is RdfBlank blank) xml.WriteAttributeString("rdf", "nodeID", Ns.Rdf, blank.Label);
                else xml.WriteAttributeString("rdf", "about", Ns.Rdf, ((RdfIri)subject).Value);
                foreach (var property in properties)
                {
                    var (prefix, ns, local) = Compact(property.Key) ?? throw new InvalidOperationException($"No prefix for the property {property.Key}.");
                    foreach (var value in property)
                    {
                        xml.WriteStartElement(prefix, local, ns);
                        switch (value)
                        {
                            case RdfIri iri: xml.WriteAttributeString("rdf", "resource", Ns.Rdf, iri.Value); break;
                            case RdfBlank node: xml.WriteAttributeString("rdf", "nodeID", Ns.Rdf, node.Label); break;
                            case RdfLiteral literal:
                                if (literal.Language is { } language) xml.WriteAttributeString("xml", "lang", null, language);
                                else if (literal.Datatype is { } datatype) xml.WriteAttributeString("rdf", "datatype", Ns.Rdf, datatype);
                                // XML 1.0 cannot hold most control characters, escaped or not.
                                xml.WriteString(new string([.. literal.Value.Select(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c) ? c : '\uFFFD')]));
                                break;
                        }
                        xml.WriteEndElement();
                    }
                }
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
