using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Context.Representation;

/// <summary>Recognises a GeoJSON geometry (RFC 7946 3.1) in concise input; validation is <see cref="Geo.GeoJsonReader"/>'s.</summary>
internal static class GeoJsonGeometryCheck
{
    public static bool IsGeometryType(string? type) => type is "Point" or "MultiPoint" or "LineString" or "MultiLineString"
        or "Polygon" or "MultiPolygon" or "GeometryCollection";

    /// <summary>True when <paramref name="node"/> is an object whose "type" member names a GeoJSON geometry type.</summary>
    public static bool LooksLikeGeometry(JsonNode? node) =>
        node is JsonObject o && o.TryGetPropertyValue("type", out var t) && t is JsonValue v
        && v.TryGetValue<string>(out var s) && IsGeometryType(s);
}
