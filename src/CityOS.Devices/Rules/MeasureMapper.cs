using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Devices.Model;

namespace CityOS.Devices.Rules;

/// <summary>
/// Turns a device's measures into the NGSI-LD fragment of its entity: object_id → attribute name, the mapping's type
/// (Number, Integer, Boolean, Text, geo:json / geo:point, Relationship...), expressions, static attributes, and
/// <c>observedAt</c> from the measure's time (a TimeInstant member, a timestamped UltraLight group) or its arrival.
/// A value that does not fit its mapping refuses the whole measure (BAD_MEASURE), so nothing of it is written.
/// </summary>
public static class MeasureMapper
{
    public const string TimeInstant = "TimeInstant";

    public static JsonObject ToEntity(Device device, IReadOnlyList<MeasureGroup> groups, DateTimeOffset arrival)
    {
        var entity = new JsonObject
        {
            ["id"] = ProvisioningRules.EntityId(device.EntityType, device.DeviceId, device.EntityName),
            ["type"] = device.EntityType,
        };
        var byObjectId = device.Attributes.ToDictionary(a => a.MeasureName, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var observedAt = group.ObservedAt ?? TimeOf(group) ?? arrival;
            var variables = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            foreach (var attribute in device.StaticAttributes) variables[attribute.Name] = attribute.Value;
            foreach (var (key, value) in group.Values) variables[key] = value;
            foreach (var (key, value) in group.Values)
            {
                if (key == TimeInstant) continue;
                if (byObjectId.TryGetValue(key, out var mapping))
                {
                    var mapped = mapping.Expression is null ? value : MeasureExpressions.Evaluate(mapping.Expression, variables);
                    entity[mapping.Name] = Attribute(mapping.Name, mapping.Type, mapped, observedAt);
                }
                else if (!device.Commands.Any(c => c.Name == key))
                {
                    CheckName(key);
                    entity[key] = Attribute(key, TypeOf(value), value, observedAt);
                }
            }
        }
        foreach (var attribute in device.StaticAttributes) entity[attribute.Name] = Attribute(attribute.Name, attribute.Type, attribute.Value, null);
        return entity;
    }

    /// <summary>The NGSI-LD attribute of a mapped value.</summary>
    public static JsonObject Attribute(string name, string type, JsonNode? value, DateTimeOffset? observedAt)
    {
        JsonObject attribute = type switch
        {
            "Relationship" => new JsonObject { ["type"] = "Relationship", ["object"] = Text(name, value) },
            "geo:json" or "GeoProperty" => new JsonObject { ["type"] = "GeoProperty", ["value"] = GeoJson(name, value) },
            "geo:point" => new JsonObject { ["type"] = "GeoProperty", ["value"] = Point(name, value) },
            "Number" or "Float" or "Integer" => new JsonObject { ["type"] = "Property", ["value"] = Number(name, type, value) },
            "Boolean" => new JsonObject { ["type"] = "Property", ["value"] = Boolean(name, value) },
            _ => new JsonObject { ["type"] = "Property", ["value"] = value?.DeepClone() ?? throw Misfit(name, type, value) },
        };
        if (observedAt is { } time) attribute["observedAt"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return attribute;
    }

    private static DateTimeOffset? TimeOf(MeasureGroup group)
    {
        if (!group.Values.TryGetValue(TimeInstant, out var value)) return null;
        if (value is JsonValue text && text.TryGetValue<string>(out var s)
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }
        throw IotAgentException.BadMeasure($"{TimeInstant} must be an ISO 8601 date-time, not {value?.ToJsonString() ?? "null"}.");
    }

    private static JsonNode Number(string name, string type, JsonNode? value)
    {
        double number;
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number) number = v.GetValue<double>();
        else if (value is JsonValue s && s.TryGetValue<string>(out var text)
                 && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed))
        {
            number = parsed;
        }
        else throw Misfit(name, type, value);
        if (type == "Integer")
        {
            if (number != Math.Floor(number) || Math.Abs(number) > 9007199254740991) throw Misfit(name, type, value);
            return JsonValue.Create((long)number);
        }
        return number == Math.Floor(number) && Math.Abs(number) < 9007199254740991 ? JsonValue.Create((long)number) : JsonValue.Create(number);
    }

    private static JsonNode Boolean(string name, JsonNode? value) => value switch
    {
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => JsonValue.Create(v.GetValue<bool>()),
        JsonValue v when v.TryGetValue<string>(out var s) && s is "true" or "false" => JsonValue.Create(s == "true"),
        _ => throw Misfit(name, "Boolean", value),
    };

    private static string Text(string name, JsonNode? value) =>
        value is JsonValue v && v.TryGetValue<string>(out var s) && Uri.TryCreate(s, UriKind.Absolute, out _) ? s : throw Misfit(name, "Relationship", value);

    private static JsonNode GeoJson(string name, JsonNode? value)
    {
        if (value is JsonObject geo && geo["type"] is JsonValue && geo["coordinates"] is JsonArray) return geo.DeepClone();
        if (value is JsonValue v && v.TryGetValue<string>(out var s))
        {
            try
            {
                if (JsonNode.Parse(s) is JsonObject parsed) return GeoJson(name, parsed);
            }
            catch (JsonException)
            {
            }
            return Point(name, value);
        }
        throw Misfit(name, "geo:json", value);
    }

    /// <summary>"lat,lon" (the IoT Agents' geo:point) as a GeoJSON Point [lon, lat].</summary>
    private static JsonNode Point(string name, JsonNode? value)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var s))
        {
            var parts = s.Split(',');
            if (parts.Length == 2
                && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat) && lat is >= -90 and <= 90
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon) && lon is >= -180 and <= 180)
            {
                return new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) };
            }
        }
        throw Misfit(name, "geo:point", value);
    }

    private static string TypeOf(JsonNode? value) => value?.GetValueKind() switch
    {
        JsonValueKind.Number => "Number",
        JsonValueKind.True or JsonValueKind.False => "Boolean",
        _ => "Text",
    };

    private static void CheckName(string key)
    {
        if (key.Length == 0 || key.Length > 256 || key.Any(c => char.IsControl(c) || c is ' ' or '"' or '\'' or '<' or '>' or '=' or ';' or '(' or ')'))
        {
            throw IotAgentException.BadMeasure($"'{key}' is not a valid attribute name.");
        }
    }

    private static IotAgentException Misfit(string name, string type, JsonNode? value) =>
        IotAgentException.BadMeasure($"The measure of '{name}' ({value?.ToJsonString() ?? "null"}) does not fit its type {type}.");
}
