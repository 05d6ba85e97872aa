using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Context.Representation;

/// <summary>
/// Structural check of a GeoJSON geometry (RFC 7946 3.1) for GeoProperty values: the geometry type,
/// the nesting depth of the coordinates, the minimum number of positions and closed polygon rings.
/// Geometric validity (self-intersections, ring orientation) is the geo block's concern.
/// </summary>
internal static class GeoJsonGeometryCheck
{
    public static bool IsGeometryType(string? type) => type is "Point" or "MultiPoint" or "LineString" or "MultiLineString"
        or "Polygon" or "MultiPolygon" or "GeometryCollection";

    /// <summary>True when <paramref name="node"/> is an object whose "type" member names a GeoJSON geometry type.</summary>
    public static bool LooksLikeGeometry(JsonNode? node) =>
        node is JsonObject o && o.TryGetPropertyValue("type", out var t) && t is JsonValue v
        && v.TryGetValue<string>(out var s) && IsGeometryType(s);

    /// <summary>Null when <paramref name="node"/> is a valid geometry, otherwise why it is not.</summary>
    public static string? Validate(JsonNode? node)
    {
        if (node is not JsonObject geometry)
        {
            return "a GeoJSON geometry must be a JSON object";
        }
        if (!geometry.TryGetPropertyValue("type", out var typeNode) || typeNode is not JsonValue typeValue
            || !typeValue.TryGetValue<string>(out var type))
        {
            return "a GeoJSON geometry needs a string \"type\"";
        }
        if (type == "GeometryCollection")
        {
            if (!geometry.TryGetPropertyValue("geometries", out var members) || members is not JsonArray array)
            {
                return "a GeometryCollection needs a \"geometries\" array";
            }
            foreach (var member in array)
            {
                if (Validate(member) is { } problem)
                {
                    return problem;
                }
            }
            return null;
        }
        if (!IsGeometryType(type))
        {
            return $"\"{type}\" is not a GeoJSON geometry type";
        }
        if (!geometry.TryGetPropertyValue("coordinates", out var coordinates) || coordinates is null)
        {
            return $"a {type} needs \"coordinates\"";
        }
        var ok = type switch
        {
            "Point" => IsPosition(coordinates),
            "MultiPoint" => IsArrayOf(coordinates, 0, IsPosition),
            "LineString" => IsLineString(coordinates),
            "MultiLineString" => IsArrayOf(coordinates, 0, IsLineString),
            "Polygon" => IsPolygon(coordinates),
            _ => IsArrayOf(coordinates, 0, IsPolygon),
        };
        return ok ? null : $"the coordinates of a {type} are malformed";
    }

    private static bool IsPosition(JsonNode? node)
    {
        if (node is not JsonArray a || a.Count is < 2 or > 3)
        {
            return false;
        }
        foreach (var n in a)
        {
            if (n is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsArrayOf(JsonNode? node, int minimum, Func<JsonNode?, bool> element)
    {
        if (node is not JsonArray a || a.Count < minimum)
        {
            return false;
        }
        foreach (var n in a)
        {
            if (!element(n))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsLineString(JsonNode? node) => IsArrayOf(node, 2, IsPosition);

    private static bool IsPolygon(JsonNode? node) => IsArrayOf(node, 1, IsLinearRing);

    private static bool IsLinearRing(JsonNode? node)
    {
        if (!IsArrayOf(node, 4, IsPosition))
        {
            return false;
        }
        var ring = (JsonArray)node!;
        return JsonNode.DeepEquals(ring[0], ring[^1]);
    }
}
