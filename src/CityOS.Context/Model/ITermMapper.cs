namespace CityOS.Context.Model;

/// <summary>
/// Maps between the terms a client uses and the IRIs the broker stores, under the JSON-LD
/// @context of one request. Implemented by <c>JsonLd.LdContext</c>; rule classes only see this.
/// </summary>
public interface ITermMapper
{
    /// <summary>IRI expansion with vocab=true: attribute names, sub-attribute names, entity types.</summary>
    string ExpandTerm(string term);

    /// <summary>IRI compaction with vocab=true, the inverse of <see cref="ExpandTerm"/>.</summary>
    string CompactIri(string iri);

    /// <summary>Expansion of a value of a term typed @vocab (the values of a VocabProperty).</summary>
    string ExpandVocabValue(string value);

    /// <summary>Compaction of a value of a term typed @vocab.</summary>
    string CompactVocabValue(string iri);
}
