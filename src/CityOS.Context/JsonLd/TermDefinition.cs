namespace CityOS.Context.JsonLd;

/// <summary>
/// One term definition of an active context (JSON-LD 1.1, 4.2.2), reduced to what IRI expansion and
/// compaction of NGSI-LD names need.
/// </summary>
/// <param name="Iri">The IRI mapping; null when the term is explicitly mapped to null.</param>
/// <param name="TypeMapping">@type of the definition, expanded (@id, @vocab, @json, @none or an IRI).</param>
/// <param name="Container">The @container values, sorted and concatenated ("@list", "@index@set", ...).</param>
/// <param name="FromCore">Defined by an NGSI-LD core context: user contexts cannot redefine it.</param>
internal sealed record TermDefinition(
    string? Iri,
    string? TypeMapping,
    string? Container,
    bool Protected,
    bool Prefix,
    bool Reverse,
    bool FromCore)
{
    /// <summary>Equality of the definitions ignoring the protected and provenance flags (JSON-LD 1.1, 4.2.2 step 27).</summary>
    public bool SameMeaningAs(TermDefinition other) =>
        Iri == other.Iri && TypeMapping == other.TypeMapping && Container == other.Container
        && Prefix == other.Prefix && Reverse == other.Reverse;
}
