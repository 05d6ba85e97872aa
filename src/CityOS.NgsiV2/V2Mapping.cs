using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.NgsiV2;

/// <summary>
/// The one mapping between NGSI-v2 and the broker's NGSI-LD data (README, "NGSI-v2"):
/// <list type="bullet">
/// <item>ids: a v2 id that is an absolute URI is the NGSI-LD id; any other id <c>X</c> is <c>urn:ngsi-v2:X</c> (and a URI that
/// already starts with that prefix gets it once more), so the mapping is reversible.</item>
/// <item>types: the v2 entity type is the NGSI-LD type (a short name under the core @context).</item>
/// <item>attributes: Relationship ↔ Relationship (the object id mapped as above); geo:json ↔ GeoProperty; geo:point, geo:line,
/// geo:box, geo:polygon ↔ GeoProperty with the GeoJSON geometry; DateTime ↔ Property whose value is
/// <c>{"@type": "DateTime", "@value": ...}</c>; StructuredValue (objects and arrays) ↔ JsonProperty; every other value ↔ Property.
/// A v2 type other than the one the NGSI-LD form implies (Number, Text, Boolean, StructuredValue, geo:json...) is kept in the
/// sub-property <c>valueType</c>.</item>
/// <item>null (NGSI-LD has no null value) ↔ Property whose value is the string <c>urn:ngsi-v2:null</c> (<see cref="NullValue"/>),
/// which a v2 value may not be.</item>
/// <item>metadata ↔ sub-attributes (mapped as attributes are); <c>unitCode</c> (Text) and <c>observedAt</c> (DateTime) ↔ the NGSI-LD
/// members of those names.</item>
/// </list>
/// </summary>
public static class V2Mapping
{
    public const string IdPrefix = "urn:ngsi-v2:";
    public const string ValueTypeMember = "valueType";

    /// <summary>The NGSI-LD value of a v2 null.</summary>
    public const string NullValue = "urn:ngsi-v2:null";

    private static readonly HashSet<string> ReservedMetadata = ["dateCreated", "dateModified", "previousValue", "actionType"];

    private static readonly HashSet<string> NotMetadata =
    [
        "type", "value", "object", "objectList", "json", "languageMap", "valueList", "vocab", ValueTypeMember,
        "createdAt", "modifiedAt", "deletedAt", "datasetId", "instanceId", "objectType", "lang",
    ];

    public static string ToLdId(string v2Id) =>
        !v2Id.StartsWith(IdPrefix, StringComparison.Ordinal) && v2Id.IndexOf(':') > 0 && Uri.TryCreate(v2Id, UriKind.Absolute, out _)
            ? v2Id
            : IdPrefix + v2Id;

    public static string FromLdId(string ldId) => ldId.StartsWith(IdPrefix, StringComparison.Ordinal) ? ldId[IdPrefix.Length..] : ldId;

    /// <summary>The NGSI-LD entity of a v2 entity (normalized, or key-values with <paramref name="keyValues"/>); id and type are checked.</summary>
    public static JsonObject ToLdEntity(JsonObject v2, bool keyValues, string defaultType = "Thing")
    {
        var id = StringMember(v2, "id", "entity id");
        V2Syntax.CheckName(id, "entity id");
        var type = v2.ContainsKey("type") ? StringMember(v2, "type", "entity type") : defaultType;
        V2Syntax.CheckName(type, "entity type");
        var ld = new JsonObject { ["id"] = ToLdId(id!), ["type"] = type };
        foreach (var (name, attr) in ToLdAttributes(v2, keyValues)) ld[name] = attr?.DeepClone();
        return ld;
    }

    /// <summary>The NGSI-LD attributes of a v2 attribute set (members "id" and "type" are not attributes).</summary>
    public static JsonObject ToLdAttributes(JsonObject v2, bool keyValues)
    {
        var ld = new JsonObject();
        foreach (var (name, node) in v2)
        {
            if (name is "id" or "type") continue;
            V2Syntax.CheckName(name, "attribute name");
            ld[name] = ToLdAttribute(node, keyValues);
        }
        return ld;
    }

    public static JsonObject ToLdAttribute(JsonNode? node, bool keyValues)
    {
        if (keyValues)
        {
            V2Syntax.CheckValue(node);
            return ToLdAttribute(null, node, null);
        }
        if (node is not JsonObject attr) throw V2Exception.BadRequest("attribute must be a JSON object, unless keyValues option is used");
        var type = attr.ContainsKey("type") ? StringMember(attr, "type", "attribute type") : null;
        if (type is not null) V2Syntax.CheckName(type, "attribute type");
        if (attr["metadata"] is { } md && md is not JsonObject) throw V2Exception.BadRequest("metadata must be a JSON object");
        var value = attr["value"];
        V2Syntax.CheckValue(value);
        return ToLdAttribute(type, value, attr["metadata"] as JsonObject);
    }

    private static JsonObject ToLdAttribute(string? type, JsonNode? value, JsonObject? metadata)
    {
        type ??= Infer(value);
        if (value is JsonValue reserved && reserved.TryGetValue<string>(out var text) && text == NullValue)
        {
            throw V2Exception.BadRequest($"the value {NullValue} is reserved: it is the NGSI-LD form of null");
        }
        JsonObject ld = type switch
        {
            "Relationship" when value is JsonValue v && v.TryGetValue<string>(out var target) => new() { ["type"] = "Relationship", ["object"] = ToLdId(target) },
            "geo:json" => new() { ["type"] = "GeoProperty", ["value"] = value is JsonObject ? value.DeepClone() : throw V2Exception.BadRequest("geo:json needs a GeoJSON geometry") },
            "geo:point" or "geo:line" or "geo:box" or "geo:polygon" => new() { ["type"] = "GeoProperty", ["value"] = V2Geo.FromSimple(type, value) },
            "DateTime" when value is JsonValue d && d.TryGetValue<string>(out var at) && V2Values.IsDateTime(at) =>
                new() { ["type"] = "Property", ["value"] = new JsonObject { ["@type"] = "DateTime", ["@value"] = at } },
            "DateTime" => throw V2Exception.BadRequest("date has invalid format"),
            _ when value is null => new() { ["type"] = "Property", ["value"] = NullValue },
            _ when value is JsonObject or JsonArray => new() { ["type"] = "JsonProperty", ["json"] = value.DeepClone() },
            _ => new() { ["type"] = "Property", ["value"] = value.DeepClone() },
        };
        if (type != ImpliedType(ld)) ld[ValueTypeMember] = new JsonObject { ["type"] = "Property", ["value"] = type };
        foreach (var (name, md) in metadata ?? [])
        {
            V2Syntax.CheckName(name, "metadata name");
            if (ReservedMetadata.Contains(name)) continue;
            if (md is not JsonObject m) throw V2Exception.BadRequest("metadata must be a JSON object");
            var mdType = m.ContainsKey("type") ? StringMember(m, "type", "metadata type") : null;
            var mdValue = m["value"];
            V2Syntax.CheckValue(mdValue, "metadata value");
            if (name == "unitCode" && mdType is null or "Text" && mdValue is JsonValue u && u.TryGetValue<string>(out var unit)) ld["unitCode"] = unit;
            else if (name == "observedAt" && mdType is "DateTime" && mdValue is JsonValue o && o.TryGetValue<string>(out var observed)) ld["observedAt"] = observed;
            else ld[name] = ToLdAttribute(mdType, mdValue, null);
        }
        return ld;
    }

    /// <summary>The v2 type an NGSI-LD attribute implies when it keeps no <c>valueType</c>.</summary>
    private static string ImpliedType(JsonObject ld) => ld["type"]?.GetValue<string>() switch
    {
        "Relationship" => "Relationship",
        "GeoProperty" => "geo:json",
        "JsonProperty" => Infer(ld["json"]),
        "Property" when V2Values.TypedDateTime(ld["value"]) is not null => "DateTime",
        "Property" when IsNull(ld["value"]) => "None",
        "Property" => Infer(ld["value"]),
        var other => other ?? "Property",
    };

    /// <summary>Orion's type for a value given without one.</summary>
    public static string Infer(JsonNode? value) => value switch
    {
        null => "None",
        JsonObject or JsonArray => "StructuredValue",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.Number => "Number",
            JsonValueKind.True or JsonValueKind.False => "Boolean",
            _ => "Text",
        },
        _ => "Text",
    };

    /// <summary>The v2 entity of an NGSI-LD entity (normalized, compacted under the core @context).</summary>
    public static JsonObject FromLdEntity(JsonObject ld)
    {
        var v2 = new JsonObject { ["id"] = FromLdId(ld["id"]!.GetValue<string>()), ["type"] = EntityType(ld) };
        foreach (var (name, node) in ld)
        {
            if (node is JsonObject attr && name is not ("id" or "type" or "@context")) v2[name] = FromLdAttribute(attr);
        }
        return v2;
    }

    public static string EntityType(JsonObject ld) => ld["type"] switch
    {
        JsonArray types => types[0]!.GetValue<string>(),
        var t => t!.GetValue<string>(),
    };

    /// <summary>The v2 attribute <c>{"type", "value", "metadata"}</c> of an NGSI-LD attribute.</summary>
    public static JsonObject FromLdAttribute(JsonObject ld)
    {
        var (type, value) = TypeAndValue(ld);
        var metadata = new JsonObject();
        foreach (var (name, mdType, mdValue) in Metadata(ld)) metadata[name] = new JsonObject { ["type"] = mdType, ["value"] = Own(mdValue) };
        return new JsonObject { ["type"] = type, ["value"] = Own(value), ["metadata"] = metadata };
    }

    /// <summary>The v2 value of an NGSI-LD attribute (key-values form), owned by the caller.</summary>
    public static JsonNode? ValueOf(JsonObject ld) => Own(TypeAndValue(ld).Value);

    /// <summary>
    /// The v2 type and value of an NGSI-LD attribute. The value may be a node of <paramref name="ld"/> itself (not copied,
    /// for writing it out); <see cref="Own"/> makes it a node of its own.
    /// </summary>
    public static (string Type, JsonNode? Value) TypeAndValue(JsonObject ld)
    {
        var kept = ld[ValueTypeMember] is JsonObject vt && vt["value"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : null;
        var type = kept ?? ImpliedType(ld);
        JsonNode? value = ld["type"]?.GetValue<string>() switch
        {
            "Relationship" => ld["object"] switch
            {
                JsonValue o when o.TryGetValue<string>(out var target) => FromLdId(target),
                var other => other,
            },
            "GeoProperty" => type is "geo:point" or "geo:line" or "geo:box" or "geo:polygon" ? V2Geo.ToSimple(type, ld["value"]) : ld["value"],
            "JsonProperty" => ld["json"],
            "LanguageProperty" => ld["languageMap"],
            "ListProperty" => ld["valueList"],
            "ListRelationship" => ld["objectList"],
            "VocabProperty" => ld["vocab"],
            _ when IsNull(ld["value"]) => null,
            _ => V2Values.TypedDateTime(ld["value"]) is { } at ? at : ld["value"],
        };
        return (type, value);
    }

    /// <summary>The v2 metadata (name, type, value) of an NGSI-LD attribute: its sub-attributes, observedAt and unitCode; values as <see cref="TypeAndValue"/>.</summary>
    public static IEnumerable<(string Name, string Type, JsonNode? Value)> Metadata(JsonObject ld)
    {
        foreach (var (name, node) in ld)
        {
            if (NotMetadata.Contains(name)) continue;
            if (name == "observedAt") yield return (name, "DateTime", node);
            else if (name == "unitCode") yield return (name, "Text", node);
            else if (node is JsonObject sub)
            {
                var (subType, subValue) = TypeAndValue(sub);
                yield return (name, subType, subValue);
            }
        }
    }

    /// <summary>The node itself when it belongs to no tree, else a copy.</summary>
    public static JsonNode? Own(JsonNode? node) => node?.Parent is null ? node : node.DeepClone();

    private static bool IsNull(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var text) && text == NullValue;

    private static string? StringMember(JsonObject o, string member, string what) => o[member] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw V2Exception.BadRequest($"Invalid JSON type for {what}"),
    };
}

/// <summary>Value helpers: DateTime literals.</summary>
public static class V2Values
{
    public static bool IsDateTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _) && text.Length >= 10 && char.IsAsciiDigit(text[0]);

    /// <summary>The date-time text of an NGSI-LD typed value <c>{"@type": "DateTime", "@value": ...}</c>, else null.</summary>
    public static string? TypedDateTime(JsonNode? value) =>
        value is JsonObject o && o.Count == 2 && o["@type"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "DateTime"
            && o["@value"] is JsonValue v && v.TryGetValue<string>(out var at)
            ? at
            : null;
}
