using System.Globalization;
using System.Text.Json.Nodes;
using CityOS.Core.Context;

namespace CityOS.NgsiV2;

/// <summary>Orion's simple location formats (geo:point "lat, lon", geo:line, geo:box, geo:polygon) and geo-queries, as GeoJSON.</summary>
public static class V2Geo
{
    /// <summary>The GeoJSON geometry of a simple location attribute value.</summary>
    public static JsonObject FromSimple(string type, JsonNode? value)
    {
        if (type == "geo:point")
        {
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw V2Exception.BadRequest("geo:point needs a string \"lat, lon\"");
            return Geometry("Point", Position(Point(text)));
        }
        var points = value is JsonArray a && a.All(p => p is JsonValue pv && pv.TryGetValue<string>(out _))
            ? a.Select(p => Point(p!.GetValue<string>())).ToList()
            : throw V2Exception.BadRequest($"{type} needs an array of \"lat, lon\" strings");
        switch (type)
        {
            case "geo:line" when points.Count >= 2:
                return Geometry("LineString", new JsonArray([.. points.Select(Position)]));
            case "geo:box" when points.Count == 2:
                var (s1, w1) = points[0];
                var (n2, e2) = points[1];
                return Geometry("Polygon", new JsonArray(new JsonArray(
                    Position((s1, w1)), Position((s1, e2)), Position((n2, e2)), Position((n2, w1)), Position((s1, w1)))));
            case "geo:polygon" when points.Count >= 4 && points[0] == points[^1]:
                return Geometry("Polygon", new JsonArray(new JsonArray([.. points.Select(Position)])));
            default:
                throw V2Exception.BadRequest($"invalid number of points for {type}");
        }
    }

    /// <summary>The simple location value of a GeoJSON geometry written as <paramref name="type"/>.</summary>
    public static JsonNode? ToSimple(string type, JsonNode? geometry)
    {
        var coordinates = geometry?["coordinates"];
        return type switch
        {
            "geo:point" => Text(coordinates!),
            "geo:line" => new JsonArray([.. coordinates!.AsArray().Select(p => (JsonNode)Text(p!))]),
            "geo:box" => new JsonArray(Text(coordinates![0]![0]!), Text(coordinates[0]![2]!)),
            _ => new JsonArray([.. coordinates![0]!.AsArray().Select(p => (JsonNode)Text(p!))]),
        };
    }

    /// <summary>The NGSI-LD geo-query of Orion's georel, geometry and coords parameters (all three or none).</summary>
    public static ContextGeoQuery? Query(string? georel, string? geometry, string? coords)
    {
        if (georel is null && geometry is null && coords is null) return null;
        if (georel is null || geometry is null || coords is null)
        {
            throw V2Exception.BadRequest("Missing one of the geo parameters: georel, geometry, coords");
        }
        var parts = georel.Split(';');
        var relation = parts[0] switch
        {
            "near" => "near",
            "coveredBy" => "within",
            "intersects" or "disjoint" or "equals" => parts[0],
            _ => throw V2Exception.BadRequest("Invalid georel: " + parts[0]),
        };
        foreach (var modifier in parts.Skip(1))
        {
            var pair = modifier.Split(':');
            if (relation != "near" || pair.Length != 2 || pair[0] is not ("maxDistance" or "minDistance")
                || !double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                throw V2Exception.BadRequest("Invalid georel modifier: " + modifier);
            }
            relation += $";{pair[0]}=={pair[1]}";
        }
        if (relation == "near" && parts.Length == 1) throw V2Exception.BadRequest("georel near needs maxDistance or minDistance");
        var points = coords.Split(';').Select(Point).ToList();
        var (type, coordinates) = geometry switch
        {
            "point" when points.Count == 1 => ("Point", Position(points[0])),
            "line" when points.Count >= 2 => ("LineString", new JsonArray([.. points.Select(Position)])),
            "polygon" when points.Count >= 4 => ("Polygon", new JsonArray(new JsonArray([.. points.Select(Position)]))),
            "box" when points.Count == 2 => ("Polygon", FromSimple("geo:box", new JsonArray([.. points.Select(p => (JsonNode)Text(Position(p)))]))["coordinates"]!.DeepClone()),
            "point" or "line" or "polygon" or "box" => throw V2Exception.BadRequest($"Invalid number of coordinates for geometry {geometry}"),
            _ => throw V2Exception.BadRequest("Invalid geometry: " + geometry),
        };
        if (relation.StartsWith("near", StringComparison.Ordinal) && type != "Point") throw V2Exception.BadRequest("georel near needs a point geometry");
        return new ContextGeoQuery(relation, type, coordinates.ToJsonString());
    }

    private static JsonObject Geometry(string type, JsonArray coordinates) => new() { ["type"] = type, ["coordinates"] = coordinates };

    private static (double Lat, double Lon) Point(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon)
            && lat is >= -90 and <= 90 && lon is >= -180 and <= 180)
        {
            return (lat, lon);
        }
        throw V2Exception.BadRequest($"invalid point: '{text}' is not \"lat, lon\"");
    }

    private static JsonArray Position((double Lat, double Lon) p) => new(p.Lon, p.Lat);

    private static JsonValue Text(JsonNode position)
    {
        var lon = position[0]!.GetValue<double>();
        var lat = position[1]!.GetValue<double>();
        return JsonValue.Create(string.Create(CultureInfo.InvariantCulture, $"{lat}, {lon}"));
    }
}
