using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Valid;

namespace CityOS.Context.Geo;

/// <summary>
/// Reads an RFC 7946 geometry object into an NTS geometry in lon/lat (SRID 4326), validating it
/// fully. Every rejection is a <see cref="NgsiLdException"/> of type BadRequestData whose detail
/// names the offending member as a path relative to the geometry object, e.g.
/// <c>coordinates[0][3]</c>.
/// </summary>
/// <remarks>
/// This runs for every stored GeoProperty when entities are indexed, so the point path allocates
/// nothing beyond the geometry itself and the location paths of messages are only built on failure.
/// </remarks>
public static class GeoJsonReader
{
    /// <summary>The factory of every geometry we create: floating precision, WGS 84 lon/lat.</summary>
    public static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    /// <summary>GeometryCollections may nest (RFC 7946 3.1.8 discourages it); this bounds the recursion.</summary>
    private const int MaxCollectionDepth = 8;

    public static Geometry Read(JsonNode? node) => Read(node, depth: 0, path: "");

    /// <summary>
    /// Reads the coordinates of a geometry whose type is known separately, as in an NGSI-LD
    /// geo-query (geometry + coordinates members). Errors name the member as <c>coordinates…</c>.
    /// </summary>
    public static Geometry ReadCoordinates(string type, JsonNode? coordinates)
    {
        if (coordinates is not JsonArray array)
            throw Bad("coordinates", "must be a JSON array");
        return ReadTyped(type, array, "");
    }

    /// <summary>The GeoJSON type names of the geometries NGSI-LD geo-queries accept (no GeometryCollection).</summary>
    public static bool IsQueryGeometryType(string type) => type is
        "Point" or "MultiPoint" or "LineString" or "MultiLineString" or "Polygon" or "MultiPolygon";

    private static Geometry Read(JsonNode? node, int depth, string path)
    {
        if (node is not JsonObject obj)
            throw Bad(path.Length == 0 ? "the geometry" : path, "must be a GeoJSON geometry object");

        var typeNode = obj["type"];
        if (typeNode is null)
            throw Bad(Member(path, "type"), "is missing");
        if (typeNode.GetValueKind() != JsonValueKind.String)
            throw Bad(Member(path, "type"), "must be a string");
        var type = typeNode.GetValue<string>();

        if (type == "GeometryCollection")
            return ReadCollection(obj, depth, path);

        if (!IsQueryGeometryType(type))
            throw Bad(Member(path, "type"), $"'{type}' is not a GeoJSON geometry type (Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon, GeometryCollection)");

        var coordinates = obj["coordinates"];
        if (coordinates is null)
            throw Bad(Member(path, "coordinates"), "is missing");
        if (coordinates is not JsonArray array)
            throw Bad(Member(path, "coordinates"), "must be an array");
        return ReadTyped(type, array, path);
    }

    private static Geometry ReadTyped(string type, JsonArray coordinates, string path)
    {
        var at = Member(path, "coordinates");
        return type switch
        {
            "Point" => Factory.CreatePoint(ReadPosition(coordinates, at, -1)),
            "MultiPoint" => ReadMultiPoint(coordinates, at),
            "LineString" => ReadLineString(coordinates, at),
            "MultiLineString" => ReadMultiLineString(coordinates, at),
            "Polygon" => Validated(ReadPolygon(coordinates, at), at),
            "MultiPolygon" => Validated(ReadMultiPolygon(coordinates, at), at),
            _ => throw Bad(Member(path, "type"), $"'{type}' is not a GeoJSON geometry type"),
        };
    }

    private static Geometry ReadCollection(JsonObject obj, int depth, string path)
    {
        if (depth >= MaxCollectionDepth)
            throw Bad(path.Length == 0 ? "the geometry" : path, $"GeometryCollections nest deeper than {MaxCollectionDepth} levels");
        var at = Member(path, "geometries");
        if (obj["geometries"] is not JsonArray members)
            throw Bad(at, obj.ContainsKey("geometries") ? "must be an array" : "is missing");
        if (members.Count == 0)
            throw Bad(at, "a GeometryCollection needs at least one geometry");
        var parts = new Geometry[members.Count];
        for (var i = 0; i < parts.Length; i++)
            parts[i] = Read(members[i], depth + 1, Index(at, i));
        return Factory.CreateGeometryCollection(parts);
    }

    private static MultiPoint ReadMultiPoint(JsonArray positions, string at)
    {
        if (positions.Count == 0)
            throw Bad(at, "a MultiPoint needs at least one position");
        var points = new Point[positions.Count];
        for (var i = 0; i < points.Length; i++)
            points[i] = Factory.CreatePoint(ReadPosition(positions[i], at, i));
        return Factory.CreateMultiPoint(points);
    }

    private static LineString ReadLineString(JsonNode? node, string at)
    {
        if (node is not JsonArray positions || HoldsNumbers(positions))
            throw Bad(at, "must be an array of positions" + ShallowHint(node));
        var coordinates = ReadPositions(positions, at);
        if (coordinates.Length < 2)
            throw Bad(at, $"a LineString needs at least 2 positions, got {coordinates.Length}");
        return Factory.CreateLineString(coordinates);
    }

    private static MultiLineString ReadMultiLineString(JsonArray lines, string at)
    {
        if (lines.Count == 0)
            throw Bad(at, "a MultiLineString needs at least one LineString");
        var parts = new LineString[lines.Count];
        for (var i = 0; i < parts.Length; i++)
            parts[i] = ReadLineString(lines[i], Index(at, i));
        return Factory.CreateMultiLineString(parts);
    }

    private static Polygon ReadPolygon(JsonNode? node, string at)
    {
        if (node is not JsonArray rings)
            throw Bad(at, "must be an array of linear rings");
        if (rings.Count == 0)
            throw Bad(at, "a Polygon needs at least its exterior ring");
        var shell = ReadRing(rings[0], Index(at, 0));
        var holes = new LinearRing[rings.Count - 1];
        for (var i = 1; i < rings.Count; i++)
            holes[i - 1] = ReadRing(rings[i], Index(at, i));
        return Factory.CreatePolygon(shell, holes);
    }

    private static MultiPolygon ReadMultiPolygon(JsonArray polygons, string at)
    {
        if (polygons.Count == 0)
            throw Bad(at, "a MultiPolygon needs at least one Polygon");
        var parts = new Polygon[polygons.Count];
        for (var i = 0; i < parts.Length; i++)
            parts[i] = ReadPolygon(polygons[i], Index(at, i));
        return Factory.CreateMultiPolygon(parts);
    }

    private static LinearRing ReadRing(JsonNode? node, string at)
    {
        if (node is not JsonArray positions || HoldsNumbers(positions))
            throw Bad(at, "must be an array of positions (a linear ring)" + ShallowHint(node));
        var coordinates = ReadPositions(positions, at);
        if (coordinates.Length < 4)
            throw Bad(at, $"a linear ring needs at least 4 positions, got {coordinates.Length}");
        var first = coordinates[0];
        var last = coordinates[^1];
        if (!first.Equals2D(last) || !first.Z.Equals(last.Z))
            throw Bad(at, $"the linear ring is not closed: the first position {Describe(first)} differs from the last {Describe(last)}");
        return Factory.CreateLinearRing(coordinates);
    }

    private static Coordinate[] ReadPositions(JsonArray positions, string at)
    {
        var coordinates = new Coordinate[positions.Count];
        for (var i = 0; i < coordinates.Length; i++)
            coordinates[i] = ReadPosition(positions[i], at, i);
        return coordinates;
    }

    /// <summary>Reads one position; <paramref name="index"/> is its place in the parent array, or -1 when the position is the array at <paramref name="at"/> itself.</summary>
    private static Coordinate ReadPosition(JsonNode? node, string at, int index)
    {
        if (node is not JsonArray position)
            throw Bad(Position(at, index), "must be a position: an array of 2 or 3 numbers");
        if (position.Count > 0 && position[0] is JsonArray)
            throw Bad(Position(at, index), "must be a position: an array of 2 or 3 numbers, not of arrays (nested one level too deep for this geometry type?)");
        if (position.Count is < 2 or > 3)
            throw Bad(Position(at, index), $"a position has 2 or 3 numbers (longitude, latitude, optional altitude), got {position.Count}");

        var lon = ReadNumber(position[0], at, index, 0);
        var lat = ReadNumber(position[1], at, index, 1);
        if (lon is < -180 or > 180)
            throw Bad(Index(Position(at, index), 0), $"longitude {Format(lon)} is outside [-180, 180]");
        if (lat is < -90 or > 90)
            throw Bad(Index(Position(at, index), 1), $"latitude {Format(lat)} is outside [-90, 90]");
        if (position.Count == 2)
            return new Coordinate(lon, lat);
        return new CoordinateZ(lon, lat, ReadNumber(position[2], at, index, 2));
    }

    private static double ReadNumber(JsonNode? node, string at, int index, int ordinate)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && TryGetDouble(value, out var number) && double.IsFinite(number))
            return number;
        throw Bad(Index(Position(at, index), ordinate), "must be a finite number");
    }

    /// <summary>
    /// Values parsed from text are backed by a JsonElement and convert to double directly; values
    /// built in code keep their CLR type, so integral and decimal ones are converted here.
    /// </summary>
    private static bool TryGetDouble(JsonValue value, out double number)
    {
        if (value.TryGetValue(out number))
            return true;
        if (value.TryGetValue(out long l)) { number = l; return true; }
        if (value.TryGetValue(out int i)) { number = i; return true; }
        if (value.TryGetValue(out decimal m)) { number = (double)m; return true; }
        if (value.TryGetValue(out float f)) { number = f; return true; }
        if (value.TryGetValue(out ulong u)) { number = u; return true; }
        return false;
    }

    /// <summary>
    /// Rejects areal geometries that are not valid simple features (self-intersecting rings,
    /// holes outside the shell, overlapping polygons): predicates on them are undefined.
    /// </summary>
    private static Geometry Validated(Geometry geometry, string at)
    {
        var error = new IsValidOp(geometry).ValidationError;
        if (error is null)
            return geometry;
        var where = error.Coordinate is { } c ? $" at {Describe(c)}" : "";
        throw Bad(at, $"the {geometry.GeometryType} is not valid: {error.Message}{where}");
    }

    private static bool HoldsNumbers(JsonArray array) => array.Count > 0 && array[0] is JsonValue;

    private static string ShallowHint(JsonNode? node) =>
        node is JsonArray array && HoldsNumbers(array) ? ", not a single position (nested one level too shallow for this geometry type?)" : "";

    private static string Member(string path, string name) => path.Length == 0 ? name : path + "." + name;
    private static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";
    private static string Position(string at, int index) => index < 0 ? at : Index(at, index);
    private static string Format(double d) => d.ToString("R", CultureInfo.InvariantCulture);
    private static string Describe(Coordinate c) => "[" + Format(c.X) + ", " + Format(c.Y) + (double.IsNaN(c.Z) ? "" : ", " + Format(c.Z)) + "]";

    internal const string ErrorPrefix = "Invalid GeoJSON geometry: ";

    private static NgsiLdException Bad(string where, string what) =>
        NgsiLdException.BadRequest(ErrorPrefix + where + " " + what);
}
