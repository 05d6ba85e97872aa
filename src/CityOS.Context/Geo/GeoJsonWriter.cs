using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Geo;

/// <summary>Writes NTS geometries (lon/lat) as RFC 7946 geometry objects; the inverse of <see cref="GeoJsonReader"/>.</summary>
public static class GeoJsonWriter
{
    public static JsonObject Write(Geometry g)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (g is GeometryCollection { GeometryType: "GeometryCollection" } collection)
        {
            var members = new JsonArray();
            foreach (var part in collection.Geometries)
                members.Add(Write(part));
            return new JsonObject { ["type"] = "GeometryCollection", ["geometries"] = members };
        }
        return new JsonObject { ["type"] = TypeName(g), ["coordinates"] = Coordinates(g) };
    }

    /// <summary>The GeoJSON type name; a LinearRing has none of its own and is written as the LineString it is.</summary>
    private static string TypeName(Geometry g) => g switch
    {
        Point => "Point",
        LineString => "LineString",
        Polygon => "Polygon",
        MultiPoint => "MultiPoint",
        MultiLineString => "MultiLineString",
        MultiPolygon => "MultiPolygon",
        _ => throw new ArgumentException($"{g.GeometryType} has no GeoJSON representation", nameof(g)),
    };

    private static JsonArray Coordinates(Geometry g) => g switch
    {
        Point p when p.IsEmpty => throw new ArgumentException("an empty Point has no GeoJSON representation", nameof(g)),
        Point p => Position(p.Coordinate),
        LineString line => Positions(line.Coordinates),
        Polygon polygon => Rings(polygon),
        MultiPoint or MultiLineString or MultiPolygon => Parts((GeometryCollection)g),
        _ => throw new ArgumentException($"{g.GeometryType} has no GeoJSON representation", nameof(g)),
    };

    private static JsonArray Parts(GeometryCollection multi)
    {
        var parts = new JsonArray();
        foreach (var part in multi.Geometries)
            parts.Add(Coordinates(part));
        return parts;
    }

    private static JsonArray Rings(Polygon polygon)
    {
        var rings = new JsonArray { Positions(polygon.ExteriorRing.Coordinates) };
        foreach (var hole in polygon.InteriorRings)
            rings.Add(Positions(hole.Coordinates));
        return rings;
    }

    private static JsonArray Positions(Coordinate[] coordinates)
    {
        var positions = new JsonArray();
        foreach (var c in coordinates)
            positions.Add(Position(c));
        return positions;
    }

    private static JsonArray Position(Coordinate c) => double.IsNaN(c.Z)
        ? new JsonArray(c.X, c.Y)
        : new JsonArray(c.X, c.Y, c.Z);
}
