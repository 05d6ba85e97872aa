using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Import;

/// <summary>A record mapped: the entity to write, or why the record cannot become one.</summary>
public readonly record struct MappedRecord(long Line, JsonObject? Entity, string? Error)
{
    public string Id => (string)Entity!["id"]!;
}

/// <summary>Turns records into NGSI-LD entities (normalized) under an <see cref="ImportMapping"/>.</summary>
public sealed class RecordMapper
{
    private readonly ImportMapping _mapping;
    private readonly HashSet<string> _notUnmapped;
    private readonly IReadOnlyList<string> _templateFields;

    public RecordMapper(ImportMapping mapping)
    {
        _mapping = mapping;
        _templateFields = mapping.TemplateFields();
        _notUnmapped = new HashSet<string>(StringComparer.Ordinal) { "type", "@context" };
        if (mapping.IdTemplate is null) _notUnmapped.Add(mapping.EffectiveIdColumn);
        foreach (var field in _templateFields) _notUnmapped.Add(field);
        if (mapping.LatColumn is not null) _notUnmapped.Add(mapping.LatColumn);
        if (mapping.LonColumn is not null) _notUnmapped.Add(mapping.LonColumn);
        foreach (var attribute in mapping.Attributes) _notUnmapped.Add(attribute.Column);
    }

    public MappedRecord Map(ImportRecord record)
    {
        if (record.Error is not null) return new MappedRecord(record.Line, null, record.Error);
        try
        {
            return new MappedRecord(record.Line, ToEntity(record), null);
        }
        catch (RecordException error)
        {
            return new MappedRecord(record.Line, null, error.Message);
        }
    }

    private JsonObject ToEntity(ImportRecord record)
    {
        var fields = record.Fields!;
        var entity = new JsonObject { ["id"] = Id(fields), ["type"] = _mapping.Type };
        foreach (var attribute in _mapping.Attributes)
        {
            if (fields.TryGetValue(attribute.Column, out var value) && !IsEmpty(value)) entity[attribute.Name] = Attribute(attribute, value!, record.Textual);
        }
        if (_mapping.KeepsUnmapped)
        {
            foreach (var (name, value) in fields)
            {
                if (_notUnmapped.Contains(name) || IsEmpty(value) || entity.ContainsKey(name)) continue;
                entity[name] = new JsonObject { ["type"] = "Property", ["value"] = Inferred(value!, record.Textual) };
            }
        }
        var location = Location(fields, record.Geometry);
        if (location is not null) entity["location"] = new JsonObject { ["type"] = "GeoProperty", ["value"] = location };
        return entity;
    }

    private string Id(IReadOnlyDictionary<string, JsonNode?> fields)
    {
        string id;
        if (_mapping.IdTemplate is not null)
        {
            var built = new StringBuilder(_mapping.IdTemplate);
            foreach (var field in _templateFields) built.Replace("{" + field + "}", Required(fields, field));
            id = built.ToString();
        }
        else
        {
            var value = Required(fields, _mapping.EffectiveIdColumn);
            id = value.Contains(':', StringComparison.Ordinal) ? value : $"urn:ngsi-ld:{_mapping.Type}:{value}";
        }
        if (!Uri.TryCreate(id, UriKind.Absolute, out _) || id.Any(char.IsWhiteSpace)) throw new RecordException($"the id '{id}' is not a URI");
        return id;
    }

    private static string Required(IReadOnlyDictionary<string, JsonNode?> fields, string field)
    {
        if (!fields.TryGetValue(field, out var value) || IsEmpty(value)) throw new RecordException($"no id: field '{field}' is empty");
        var text = Text(value!);
        // Ids built from a field keep to characters a URI takes as they are.
        return Uri.EscapeDataString(text.Trim()).Replace("%3A", ":", StringComparison.Ordinal);
    }

    private static JsonObject Attribute(AttributeMapping mapping, JsonNode value, bool textual)
    {
        JsonObject attribute;
        if (mapping.Type == "Relationship")
        {
            var target = Text(value);
            if (!Uri.TryCreate(target, UriKind.Absolute, out _)) throw Bad(mapping, value, "is not a URI");
            attribute = new JsonObject { ["type"] = "Relationship", ["object"] = target };
        }
        else
        {
            attribute = new JsonObject { ["type"] = "Property", ["value"] = Value(mapping, value, textual) };
        }
        if (mapping.Unit is not null) attribute["unitCode"] = mapping.Unit;
        return attribute;
    }

    private static JsonNode? Value(AttributeMapping mapping, JsonNode value, bool textual)
    {
        switch (mapping.Type)
        {
            case null:
                return Inferred(value, textual);
            case "Text":
                return Text(value);
            case "Number":
                if (value is JsonValue number && number.GetValueKind() == JsonValueKind.Number) return number.DeepClone();
                return double.TryParse(Text(value), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                    ? JsonValue.Create(d) : throw Bad(mapping, value, "is not a number");
            case "Integer":
                return long.TryParse(Text(value), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l) : throw Bad(mapping, value, "is not an integer");
            case "Boolean":
                return Text(value).ToLowerInvariant() switch
                {
                    "true" or "1" or "yes" => true,
                    "false" or "0" or "no" => false,
                    _ => throw Bad(mapping, value, "is not true or false"),
                };
            case "DateTime":
                return DateTimeOffset.TryParse(Text(value), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                    ? new JsonObject { ["@type"] = "DateTime", ["@value"] = time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) }
                    : throw Bad(mapping, value, "is not a date and time");
            default: // Json
                if (!textual) return value.DeepClone();
                try
                {
                    return JsonNode.Parse(Text(value));
                }
                catch (JsonException)
                {
                    throw Bad(mapping, value, "is not JSON");
                }
        }
    }

    /// <summary>A value as the file gives it: JSON as it is; text that reads as a number (without leading zeros) or true/false as such.</summary>
    private static JsonNode? Inferred(JsonNode value, bool textual)
    {
        if (!textual) return value.DeepClone();
        var text = Text(value);
        if (text is "true" or "false") return text == "true";
        if (LooksNumeric(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) ? JsonValue.Create(integer) : JsonValue.Create(number);
        }
        return text;
    }

    private static bool LooksNumeric(string text)
    {
        var digits = text.AsSpan().TrimStart('-');
        if (digits.Length == 0 || !char.IsAsciiDigit(digits[0])) return false;
        // "007" and "0123" are codes, not numbers.
        return !(digits.Length > 1 && digits[0] == '0' && char.IsAsciiDigit(digits[1]));
    }

    private JsonNode? Location(IReadOnlyDictionary<string, JsonNode?> fields, JsonNode? geometry)
    {
        if (_mapping.LatColumn is null || _mapping.LonColumn is null)
        {
            if (geometry is null) return null;
            if (geometry is not JsonObject g || g["type"] is not JsonValue || g["coordinates"] is null && g["geometries"] is null)
            {
                throw new RecordException("the geometry is not a GeoJSON geometry");
            }
            return geometry.DeepClone();
        }
        fields.TryGetValue(_mapping.LatColumn, out var latValue);
        fields.TryGetValue(_mapping.LonColumn, out var lonValue);
        if (IsEmpty(latValue) && IsEmpty(lonValue)) return null;
        var lat = Coordinate(latValue, _mapping.LatColumn, 90);
        var lon = Coordinate(lonValue, _mapping.LonColumn, 180);
        return new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) };
    }

    private static double Coordinate(JsonNode? value, string field, double limit)
    {
        if (IsEmpty(value)) throw new RecordException($"field '{field}' is empty: a location needs both coordinates");
        if (!double.TryParse(Text(value!), NumberStyles.Float, CultureInfo.InvariantCulture, out var coordinate) || Math.Abs(coordinate) > limit)
        {
            throw new RecordException($"field '{field}' = '{Text(value!)}' is not a coordinate between -{limit} and {limit}");
        }
        return coordinate;
    }

    private static bool IsEmpty(JsonNode? value) =>
        value is null || value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0;

    private static string Text(JsonNode value) => value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value.ToJsonString();

    private static RecordException Bad(AttributeMapping mapping, JsonNode value, string problem)
    {
        var text = Text(value);
        return new RecordException($"field '{mapping.Column}' = '{(text.Length > 40 ? text[..40] + "…" : text)}' {problem} ({mapping.Name}: {mapping.Type})");
    }

    private sealed class RecordException(string message) : Exception(message);
}
