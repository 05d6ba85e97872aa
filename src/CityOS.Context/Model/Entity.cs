using System.Text.Json.Nodes;

namespace CityOS.Context.Model;

/// <summary>The kinds of attribute of NGSI-LD (4.5), each with the member that carries its value.</summary>
public enum AttributeKind
{
    Property,
    Relationship,
    GeoProperty,
    LanguageProperty,
    ListProperty,
    ListRelationship,
    VocabProperty,
    JsonProperty,
}

/// <summary>
/// One instance of an attribute (one datasetId), in expanded form: every name that JSON-LD
/// expands (attribute names, sub-attribute names, <see cref="ObjectType"/>, vocab values) is a
/// full IRI here. Values themselves are kept as the client sent them.
/// </summary>
public sealed class NgsiAttribute
{
    public AttributeKind Kind { get; set; }

    /// <summary>
    /// value (Property), the GeoJSON geometry (GeoProperty), languageMap (LanguageProperty),
    /// valueList (ListProperty), object (Relationship: an IRI or an array of IRIs),
    /// objectList (ListRelationship), vocab (VocabProperty: expanded IRI or array), json (JsonProperty).
    /// </summary>
    public JsonNode? Value { get; set; }

    /// <summary>objectType of a Relationship or ListRelationship, expanded.</summary>
    public JsonNode? ObjectType { get; set; }

    public DateTimeOffset? ObservedAt { get; set; }

    /// <summary>Whether the client wrote observedAt with a fraction of a second: it is rendered as written, "...:00.000Z" or "...:00Z".</summary>
    public bool ObservedAtFraction { get; set; }
    public string? UnitCode { get; set; }
    public string? DatasetId { get; set; }

    /// <summary>When this instance stops being stored (4.22, transient attributes); null for a durable one.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ModifiedAt { get; set; }

    /// <summary>Sub-attributes, keyed by expanded name.</summary>
    public Dictionary<string, NgsiAttribute> SubAttributes { get; set; } = new(StringComparer.Ordinal);

    public NgsiAttribute Clone() => new()
    {
        Kind = Kind,
        Value = Value?.DeepClone(),
        ObjectType = ObjectType?.DeepClone(),
        ObservedAt = ObservedAt,
        ObservedAtFraction = ObservedAtFraction,
        UnitCode = UnitCode,
        DatasetId = DatasetId,
        ExpiresAt = ExpiresAt,
        CreatedAt = CreatedAt,
        ModifiedAt = ModifiedAt,
        SubAttributes = SubAttributes.ToDictionary(kv => kv.Key, kv => kv.Value.Clone(), StringComparer.Ordinal),
    };
}

/// <summary>An NGSI-LD entity in expanded form (see <see cref="NgsiAttribute"/>).</summary>
public sealed class Entity
{
    public required string Id { get; set; }

    /// <summary>Expanded entity types; at least one.</summary>
    public List<string> Types { get; set; } = [];

    /// <summary>Scopes (4.18), e.g. "/Madrid/Gardens".</summary>
    public List<string>? Scopes { get; set; }

    /// <summary>When the entity stops being stored (4.22, transient entities); null for a durable one.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ModifiedAt { get; set; }

    /// <summary>Attributes keyed by expanded name; each holds one instance per datasetId (the default instance has none).</summary>
    public Dictionary<string, List<NgsiAttribute>> Attributes { get; set; } = new(StringComparer.Ordinal);

    public Entity Clone() => new()
    {
        Id = Id,
        Types = [.. Types],
        Scopes = Scopes is null ? null : [.. Scopes],
        ExpiresAt = ExpiresAt,
        CreatedAt = CreatedAt,
        ModifiedAt = ModifiedAt,
        Attributes = Attributes.ToDictionary(kv => kv.Key, kv => kv.Value.Select(a => a.Clone()).ToList(), StringComparer.Ordinal),
    };
}
