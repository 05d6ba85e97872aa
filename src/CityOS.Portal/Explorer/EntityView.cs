using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Portal.Explorer;

/// <summary>One attribute of an entity as a page shows it: its name, NGSI-LD kind, value as text, and observedAt.</summary>
public sealed record AttributeView(string Name, string Kind, string Value, string? ObservedAt, string? Object);

/// <summary>A point of a numeric attribute's history.</summary>
public sealed record HistoryPoint(DateTimeOffset At, double Value);

/// <summary>How the explorer reads the NGSI-LD normalized form of an entity and of its temporal evolution.</summary>
public static class EntityView
{
    private static readonly HashSet<string> Members = ["id", "type", "@context", "scope", "createdAt", "modifiedAt", "deletedAt"];

    public static string Types(JsonObject entity) => entity["type"] switch
    {
        JsonArray many => string.Join(", ", many.Select(t => t?.ToString())),
        { } one => one.ToString(),
        _ => "",
    };

    public static IReadOnlyList<AttributeView> Attributes(JsonObject entity)
    {
        var list = new List<AttributeView>();
        foreach (var (name, node) in entity)
        {
            if (Members.Contains(name)) continue;
            foreach (var instance in node is JsonArray multi ? [.. multi] : new[] { node })
            {
                if (instance is not JsonObject attribute) continue;
                list.Add(Attribute(name, attribute));
            }
        }
        return list;
    }

    /// <summary>One attribute as text (its value in the form a person reads: numbers and strings bare, structures as JSON).</summary>
    public static AttributeView Attribute(string name, JsonObject attribute)
    {
        var kind = attribute["type"]?.ToString() ?? "Property";
        var observedAt = attribute["observedAt"]?.ToString();
        var target = attribute["object"];
        var value = kind switch
        {
            "Relationship" => target?.ToString() ?? "",
            "LanguageProperty" => Text(attribute["languageMap"]),
            "VocabProperty" => Text(attribute["vocab"]),
            "ListProperty" => Text(attribute["valueList"]),
            "ListRelationship" => Text(attribute["objectList"]),
            "JsonProperty" => Text(attribute["json"]),
            _ => Text(attribute["value"]),
        };
        return new AttributeView(name, kind, value, observedAt, kind == "Relationship" && target is JsonValue ? target.ToString() : null);
    }

    public static string Text(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => value.ToJsonString(),
    };

    /// <summary>The GeoJSON geometries of the entity's GeoProperties (location first).</summary>
    public static IReadOnlyList<(string Attribute, JsonObject Geometry)> Geometries(JsonObject entity) =>
        [.. entity.Where(p => p.Value is JsonObject { } a && a["type"]?.ToString() == "GeoProperty" && a["value"] is JsonObject)
            .OrderBy(p => p.Key == "location" ? 0 : 1)
            .Select(p => (p.Key, (JsonObject)p.Value!["value"]!))];

    /// <summary>Every position ([longitude, latitude]) of a GeoJSON geometry.</summary>
    public static IEnumerable<(double Lon, double Lat)> Positions(JsonNode? coordinates)
    {
        if (coordinates is not JsonArray array) yield break;
        if (array.Count >= 2 && array[0] is JsonValue lon && array[1] is JsonValue lat && lon.TryGetValue<double>(out var x) && lat.TryGetValue<double>(out var y))
        {
            yield return (x, y);
            yield break;
        }
        foreach (var inner in array)
        {
            foreach (var position in Positions(inner)) yield return position;
        }
    }

    /// <summary>The numeric series of a temporal entity (normalized temporal representation, 4.5.8): attribute name to its points in time order.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<HistoryPoint>> NumericHistory(JsonObject temporal)
    {
        var series = new SortedDictionary<string, IReadOnlyList<HistoryPoint>>(StringComparer.Ordinal);
        foreach (var (name, node) in temporal)
        {
            if (Members.Contains(name) || node is not JsonArray instances) continue;
            var points = new List<HistoryPoint>();
            foreach (var instance in instances.OfType<JsonObject>())
            {
                if (instance["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
                    && DateTimeOffset.TryParse((instance["observedAt"] ?? instance["modifiedAt"] ?? instance["createdAt"])?.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                {
                    points.Add(new HistoryPoint(at, v.GetValue<double>()));
                }
            }
            if (points.Count > 0) series[name] = [.. points.OrderBy(p => p.At)];
        }
        return series;
    }
}
