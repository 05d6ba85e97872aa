using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using CityOS.Core;

namespace CityOS.Devices.Import;

/// <summary>The formats a file import reads.</summary>
public enum ImportFormat
{
    /// <summary>Comma-separated values with a header line (RFC 4180).</summary>
    Csv,

    /// <summary>A JSON array of objects, or objects one after another (NDJSON, JSON Lines).</summary>
    Json,

    /// <summary>A GeoJSON FeatureCollection: each feature's properties are its fields, its geometry its location.</summary>
    GeoJson,
}

/// <summary>How one field of a record becomes an attribute: its NGSI-LD name, the kind of value and its unit (UN/CEFACT code).</summary>
/// <param name="Type">Number, Integer, Text, Boolean, DateTime, Json, Relationship; null to keep the value as the file gives it (numbers and true/false of a CSV as such).</param>
public sealed record AttributeMapping(string Column, string Name, string? Type = null, string? Unit = null);

/// <summary>
/// How the records of a file become entities: their type, their id (a field, or a template like
/// <c>urn:ngsi-ld:Sensor:{code}</c>), which fields become which attributes, and where the location is (lat/lon fields,
/// or the GeoJSON geometry). Without attribute mappings every other field becomes a Property of its own name.
/// </summary>
public sealed partial record ImportMapping
{
    public const int MaxAttributes = 256;

    public required string Type { get; init; }

    /// <summary>The field holding the id; a value that is not a URI becomes <c>urn:ngsi-ld:{Type}:{value}</c>. Default "id".</summary>
    public string? IdColumn { get; init; }

    /// <summary>An id with <c>{field}</c> placeholders, instead of <see cref="IdColumn"/>.</summary>
    public string? IdTemplate { get; init; }

    public IReadOnlyList<AttributeMapping> Attributes { get; init; } = [];

    /// <summary>Fields of latitude and longitude (WGS 84) that become the <c>location</c> GeoProperty.</summary>
    public string? LatColumn { get; init; }

    public string? LonColumn { get; init; }

    /// <summary>Whether fields without a mapping become attributes too (default: when no attribute is mapped).</summary>
    public bool? KeepUnmapped { get; init; }

    /// <summary>Whether an existing entity's attributes are replaced as a whole (false: the file's attributes are updated or added).</summary>
    public bool Replace { get; init; }

    public string? Delimiter { get; init; }

    public bool KeepsUnmapped => KeepUnmapped ?? Attributes.Count == 0;

    public string EffectiveIdColumn => IdColumn ?? "id";

    private static readonly string[] Types = ["Number", "Integer", "Text", "Boolean", "DateTime", "Json", "Relationship"];

    /// <summary>Throws BadRequestData naming what is wrong; returns the mapping when it can work.</summary>
    public ImportMapping Validated()
    {
        if (string.IsNullOrWhiteSpace(Type) || Type.Any(c => char.IsWhiteSpace(c) || c is '<' or '>' or '"' or '{' or '}'))
        {
            throw NgsiLdException.BadRequest("The mapping needs an entity type (type=Building): a name without spaces.");
        }
        if (IdColumn is not null && IdTemplate is not null) throw NgsiLdException.BadRequest("Give the id as a field (id) or as a template (idTemplate), not both.");
        if (IdTemplate is not null && !Placeholder().IsMatch(IdTemplate))
        {
            throw NgsiLdException.BadRequest($"The id template '{IdTemplate}' names no field: write it like urn:ngsi-ld:{Type}:{{code}}.");
        }
        if ((LatColumn is null) != (LonColumn is null)) throw NgsiLdException.BadRequest("A location needs both lat and lon fields.");
        if (Attributes.Count > MaxAttributes) throw NgsiLdException.BadRequest($"At most {MaxAttributes} attribute mappings.");
        if (Delimiter is { Length: not 1 }) throw NgsiLdException.BadRequest("The CSV delimiter is one character (delimiter=; or delimiter=%09 for a tab).");
        foreach (var attribute in Attributes)
        {
            if (attribute.Column.Length == 0 || attribute.Name.Length == 0) throw NgsiLdException.BadRequest("An attribute mapping needs a field and a name (column:name:Type:unit).");
            if (attribute.Name is "id" or "type" or "@context" || attribute.Name.Any(c => char.IsWhiteSpace(c) || c is '<' or '>' or '"' or '=' or ';' or '(' or ')'))
            {
                throw NgsiLdException.BadRequest($"'{attribute.Name}' cannot be an attribute name.");
            }
            if (attribute.Type is not null && !Types.Contains(attribute.Type, StringComparer.Ordinal))
            {
                throw NgsiLdException.BadRequest($"Attribute '{attribute.Name}': unknown type '{attribute.Type}' (one of {string.Join(", ", Types)}).");
            }
        }
        var duplicate = Attributes.GroupBy(a => a.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw NgsiLdException.BadRequest($"Attribute '{duplicate.Key}' is mapped twice.");
        return this;
    }

    /// <summary>The fields an id template names.</summary>
    public IReadOnlyList<string> TemplateFields() => IdTemplate is null ? [] : [.. Placeholder().Matches(IdTemplate).Select(m => m.Groups[1].Value)];

    /// <summary>
    /// The mapping given as query parameters: <c>type</c>, <c>id</c> or <c>idTemplate</c>, <c>attr=column[:name[:Type[:unit]]]</c>
    /// (repeatable), <c>lat</c>, <c>lon</c>, <c>keepUnmapped</c>, <c>replace</c>, <c>delimiter</c>.
    /// </summary>
    public static ImportMapping FromParameters(Func<string, string?> single, Func<string, IReadOnlyList<string>> many) => new ImportMapping
    {
        Type = single("type") ?? "",
        IdColumn = single("id"),
        IdTemplate = single("idTemplate"),
        Attributes = [.. many("attr").Select(ParseAttribute)],
        LatColumn = single("lat"),
        LonColumn = single("lon"),
        KeepUnmapped = Flag(single("keepUnmapped"), "keepUnmapped"),
        Replace = Flag(single("replace"), "replace") ?? false,
        Delimiter = single("delimiter"),
    }.Validated();

    /// <summary>The mapping as JSON (<c>{"type", "id", "idTemplate", "attributes": [{"column", "name", "type", "unit"}], "lat", "lon"}</c>).</summary>
    public static ImportMapping FromJson(string json)
    {
        try
        {
            return (JsonSerializer.Deserialize(json, ImportJson.Default.ImportMappingDocument) ?? throw NgsiLdException.BadRequest("The mapping is null.")).ToMapping().Validated();
        }
        catch (JsonException error)
        {
            throw NgsiLdException.BadRequest($"The mapping is not valid JSON: {error.Message}");
        }
    }

    /// <summary><c>column[:name[:Type[:unit]]]</c>.</summary>
    public static AttributeMapping ParseAttribute(string text)
    {
        var parts = text.Split(':');
        if (parts.Length > 4 || parts[0].Length == 0) throw NgsiLdException.BadRequest($"attr '{text}': write column[:name[:Type[:unit]]].");
        string? Part(int i) => parts.Length > i && parts[i].Length > 0 ? parts[i] : null;
        return new AttributeMapping(parts[0], Part(1) ?? parts[0], Part(2), Part(3));
    }

    private static bool? Flag(string? value, string name) => value switch
    {
        null => null,
        "true" or "1" or "" => true,
        "false" or "0" => false,
        _ => throw NgsiLdException.BadRequest($"{name} is true or false."),
    };

    [GeneratedRegex(@"\{([^{}]+)\}")]
    private static partial Regex Placeholder();
}

/// <summary>The JSON form of a mapping.</summary>
public sealed record ImportMappingDocument
{
    public string? Type { get; init; }
    public string? Id { get; init; }
    public string? IdTemplate { get; init; }
    public List<AttributeMappingDocument>? Attributes { get; init; }
    public string? Lat { get; init; }
    public string? Lon { get; init; }
    public bool? KeepUnmapped { get; init; }
    public bool? Replace { get; init; }
    public string? Delimiter { get; init; }

    public ImportMapping ToMapping() => new()
    {
        Type = Type ?? "",
        IdColumn = Id,
        IdTemplate = IdTemplate,
        Attributes = [.. (Attributes ?? []).Select(a => new AttributeMapping(a.Column ?? "", a.Name ?? a.Column ?? "", a.Type, a.Unit))],
        LatColumn = Lat,
        LonColumn = Lon,
        KeepUnmapped = KeepUnmapped,
        Replace = Replace ?? false,
        Delimiter = Delimiter,
    };

    public static ImportMappingDocument From(ImportMapping mapping) => new()
    {
        Type = mapping.Type,
        Id = mapping.IdColumn,
        IdTemplate = mapping.IdTemplate,
        Attributes = [.. mapping.Attributes.Select(a => new AttributeMappingDocument { Column = a.Column, Name = a.Name, Type = a.Type, Unit = a.Unit })],
        Lat = mapping.LatColumn,
        Lon = mapping.LonColumn,
        KeepUnmapped = mapping.KeepUnmapped,
        Replace = mapping.Replace,
        Delimiter = mapping.Delimiter,
    };
}

public sealed record AttributeMappingDocument
{
    public string? Column { get; init; }
    public string? Name { get; init; }
    public string? Type { get; init; }
    public string? Unit { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImportMappingDocument))]
internal sealed partial class ImportJson : JsonSerializerContext;
