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
/// This runs for every stored GeoProperty when entities are indexed. It reads a
/// <see cref="JsonNode"/> (what the entity model holds) or a <see cref="JsonElement"/> (cheaper
/// when the GeoJSON comes straight from stored text: no node tree is built), with one validation
/// code path specialised for each; the location paths of messages are only built on failure.
/// </remarks>
public static class GeoJsonReader
{
    /// <summary>The factory of every geometry we create: floating precision, WGS 84 lon/lat.</summary>
    public static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    internal const string ErrorPrefix = "Invalid GeoJSON geometry: ";

    public static Geometry Read(JsonNode? node) => Reader<JsonNode?, NodeAccess>.Read(node, depth: 0, path: "");

    public static Geometry Read(JsonElement element) => Reader<JsonElement, ElementAccess>.Read(element, depth: 0, path: "");

    /// <summary>
    /// Reads the coordinates of a geometry whose type is known separately, as in an NGSI-LD
    /// geo-query (geometry + coordinates members). Errors name the member as <c>coordinates…</c>.
    /// </summary>
    public static Geometry ReadCoordinates(string type, JsonNode? coordinates)
    {
        if (coordinates is not JsonArray)
            throw Bad("coordinates", "must be a JSON array");
        if (!IsQueryGeometryType(type))
            throw Bad("type", $"'{type}' is not one of Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon");
        return Reader<JsonNode?, NodeAccess>.ReadTyped(type, coordinates, "");
    }

    /// <summary>The GeoJSON type names of the geometries NGSI-LD geo-queries accept (no GeometryCollection).</summary>
    public static bool IsQueryGeometryType(string type) => type is
        "Point" or "MultiPoint" or "LineString" or "MultiLineString" or "Polygon" or "MultiPolygon";

    private static NgsiLdException Bad(string where, string what) =>
        NgsiLdException.BadRequest(ErrorPrefix + where + " " + what);

    /// <summary>The few questions the reader asks of a JSON value, answered without allocating.</summary>
    private interface IJsonAccess<TNode>
    {
        static abstract JsonValueKind Kind(TNode node);
        static abstract bool TryGetProperty(TNode obj, string name, out TNode value);
        static abstract int Count(TNode array);
        static abstract TNode Item(TNode array, int index);
        static abstract bool TryGetDouble(TNode number, out double value);
        static abstract string GetString(TNode text);
    }

    private readonly struct NodeAccess : IJsonAccess<JsonNode?>
    {
        public static JsonValueKind Kind(JsonNode? node) => node is null ? JsonValueKind.Null : node.GetValueKind();

        public static bool TryGetProperty(JsonNode? obj, string name, out JsonNode? value) =>
            ((JsonObject)obj!).TryGetPropertyValue(name, out value);

        public static int Count(JsonNode? array) => ((JsonArray)array!).Count;

        public static JsonNode? Item(JsonNode? array, int index) => ((JsonArray)array!)[index];

        /// <summary>
        /// Values parsed from text are backed by a JsonElement and convert to double directly;
        /// values built in code keep their CLR type, so integral and decimal ones are converted here.
        /// </summary>
        public static bool TryGetDouble(JsonNode? number, out double value)
        {
            var v = (JsonValue)number!;
            if (v.TryGetValue(out value))
                return true;
            if (v.TryGetValue(out long l)) { value = l; return true; }
            if (v.TryGetValue(out int i)) { value = i; return true; }
            if (v.TryGetValue(out decimal m)) { value = (double)m; return true; }
            if (v.TryGetValue(out float f)) { value = f; return true; }
            if (v.TryGetValue(out ulong u)) { value = u; return true; }
            return false;
        }

        public static string GetString(JsonNode? text) => text!.GetValue<string>();
    }

    private readonly struct ElementAccess : IJsonAccess<JsonElement>
    {
        public static JsonValueKind Kind(JsonElement node) => node.ValueKind;
        public static bool TryGetProperty(JsonElement obj, string name, out JsonElement value) => obj.TryGetProperty(name, out value);
        public static int Count(JsonElement array) => array.GetArrayLength();
        public static JsonElement Item(JsonElement array, int index) => array[index];
        public static bool TryGetDouble(JsonElement number, out double value) => number.TryGetDouble(out value);
        public static string GetString(JsonElement text) => text.GetString()!;
    }

    private static class Reader<TNode, TAccess> where TAccess : struct, IJsonAccess<TNode>
    {
        /// <summary>GeometryCollections may nest (RFC 7946 3.1.8 discourages it); this bounds the recursion.</summary>
        private const int MaxCollectionDepth = 8;

        public static Geometry Read(TNode node, int depth, string path)
        {
            if (TAccess.Kind(node) != JsonValueKind.Object)
                throw Bad(path.Length == 0 ? "the geometry" : path, "must be a GeoJSON geometry object");

            if (!TAccess.TryGetProperty(node, "type", out var typeNode))
                throw Bad(Member(path, "type"), "is missing");
            if (TAccess.Kind(typeNode) != JsonValueKind.String)
                throw Bad(Member(path, "type"), "must be a string");
            var type = TAccess.GetString(typeNode);

            if (type == "GeometryCollection")
                return ReadCollection(node, depth, path);

            if (!IsQueryGeometryType(type))
                throw Bad(Member(path, "type"), $"'{type}' is not a GeoJSON geometry type (Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon, GeometryCollection)");

            if (!TAccess.TryGetProperty(node, "coordinates", out var coordinates))
                throw Bad(Member(path, "coordinates"), "is missing");
            if (TAccess.Kind(coordinates) != JsonValueKind.Array)
                throw Bad(Member(path, "coordinates"), "must be an array");
            return ReadTyped(type, coordinates, path);
        }

        /// <summary>Reads coordinates already known to be an array, for a type already known to be valid.</summary>
        public static Geometry ReadTyped(string type, TNode coordinates, string path)
        {
            var at = Member(path, "coordinates");
            return type switch
            {
                "Point" => Factory.CreatePoint(ReadPosition(coordinates, at, -1)),
                "MultiPoint" => ReadMultiPoint(coordinates, at),
                "LineString" => ReadLineString(coordinates, at),
                "MultiLineString" => ReadMultiLineString(coordinates, at),
                "Polygon" => Validated(ReadPolygon(coordinates, at), at),
                _ => Validated(ReadMultiPolygon(coordinates, at), at),
            };
        }

        private static Geometry ReadCollection(TNode obj, int depth, string path)
        {
            if (depth >= MaxCollectionDepth)
                throw Bad(path.Length == 0 ? "the geometry" : path, $"GeometryCollections nest deeper than {MaxCollectionDepth} levels");
            var at = Member(path, "geometries");
            if (!TAccess.TryGetProperty(obj, "geometries", out var members))
                throw Bad(at, "is missing");
            if (TAccess.Kind(members) != JsonValueKind.Array)
                throw Bad(at, "must be an array");
            var count = TAccess.Count(members);
            if (count == 0)
                throw Bad(at, "a GeometryCollection needs at least one geometry");
            var parts = new Geometry[count];
            for (var i = 0; i < parts.Length; i++)
                parts[i] = Read(TAccess.Item(members, i), depth + 1, Index(at, i));
            return Factory.CreateGeometryCollection(parts);
        }

        private static MultiPoint ReadMultiPoint(TNode positions, string at)
        {
            var count = TAccess.Count(positions);
            if (count == 0)
                throw Bad(at, "a MultiPoint needs at least one position");
            var points = new Point[count];
            for (var i = 0; i < points.Length; i++)
                points[i] = Factory.CreatePoint(ReadPosition(TAccess.Item(positions, i), at, i));
            return Factory.CreateMultiPoint(points);
        }

        private static LineString ReadLineString(TNode positions, string at)
        {
            if (!IsArrayOfArrays(positions))
                throw Bad(at, "must be an array of positions" + ShallowHint(positions));
            var coordinates = ReadPositions(positions, at);
            if (coordinates.Length < 2)
                throw Bad(at, $"a LineString needs at least 2 positions, got {coordinates.Length}");
            return Factory.CreateLineString(coordinates);
        }

        private static MultiLineString ReadMultiLineString(TNode lines, string at)
        {
            var count = TAccess.Count(lines);
            if (count == 0)
                throw Bad(at, "a MultiLineString needs at least one LineString");
            var parts = new LineString[count];
            for (var i = 0; i < parts.Length; i++)
                parts[i] = ReadLineString(TAccess.Item(lines, i), Index(at, i));
            return Factory.CreateMultiLineString(parts);
        }

        private static Polygon ReadPolygon(TNode rings, string at)
        {
            if (TAccess.Kind(rings) != JsonValueKind.Array)
                throw Bad(at, "must be an array of linear rings");
            var count = TAccess.Count(rings);
            if (count == 0)
                throw Bad(at, "a Polygon needs at least its exterior ring");
            var shell = ReadRing(TAccess.Item(rings, 0), Index(at, 0));
            var holes = new LinearRing[count - 1];
            for (var i = 1; i < count; i++)
                holes[i - 1] = ReadRing(TAccess.Item(rings, i), Index(at, i));
            return Factory.CreatePolygon(shell, holes);
        }

        private static MultiPolygon ReadMultiPolygon(TNode polygons, string at)
        {
            var count = TAccess.Count(polygons);
            if (count == 0)
                throw Bad(at, "a MultiPolygon needs at least one Polygon");
            var parts = new Polygon[count];
            for (var i = 0; i < parts.Length; i++)
                parts[i] = ReadPolygon(TAccess.Item(polygons, i), Index(at, i));
            return Factory.CreateMultiPolygon(parts);
        }

        private static LinearRing ReadRing(TNode positions, string at)
        {
            if (!IsArrayOfArrays(positions))
                throw Bad(at, "must be an array of positions (a linear ring)" + ShallowHint(positions));
            var coordinates = ReadPositions(positions, at);
            if (coordinates.Length < 4)
                throw Bad(at, $"a linear ring needs at least 4 positions, got {coordinates.Length}");
            var first = coordinates[0];
            var last = coordinates[^1];
            if (!first.Equals2D(last) || !first.Z.Equals(last.Z))
                throw Bad(at, $"the linear ring is not closed: the first position {Describe(first)} differs from the last {Describe(last)}");
            return Factory.CreateLinearRing(coordinates);
        }

        private static Coordinate[] ReadPositions(TNode positions, string at)
        {
            var coordinates = new Coordinate[TAccess.Count(positions)];
            for (var i = 0; i < coordinates.Length; i++)
                coordinates[i] = ReadPosition(TAccess.Item(positions, i), at, i);
            return coordinates;
        }

        /// <summary>Reads one position; <paramref name="index"/> is its place in the parent array, or -1 when the position is the array at <paramref name="at"/> itself.</summary>
        private static Coordinate ReadPosition(TNode position, string at, int index)
        {
            if (TAccess.Kind(position) != JsonValueKind.Array)
                throw Bad(Position(at, index), "must be a position: an array of 2 or 3 numbers");
            var count = TAccess.Count(position);
            if (count > 0 && TAccess.Kind(TAccess.Item(position, 0)) == JsonValueKind.Array)
                throw Bad(Position(at, index), "must be a position: an array of 2 or 3 numbers, not of arrays (nested one level too deep for this geometry type?)");
            if (count is < 2 or > 3)
                throw Bad(Position(at, index), $"a position has 2 or 3 numbers (longitude, latitude, optional altitude), got {count}");

            var lon = ReadNumber(TAccess.Item(position, 0), at, index, 0);
            var lat = ReadNumber(TAccess.Item(position, 1), at, index, 1);
            if (lon is < -180 or > 180)
                throw Bad(Index(Position(at, index), 0), $"longitude {Format(lon)} is outside [-180, 180]");
            if (lat is < -90 or > 90)
                throw Bad(Index(Position(at, index), 1), $"latitude {Format(lat)} is outside [-90, 90]");
            if (count == 2)
                return new Coordinate(lon, lat);
            return new CoordinateZ(lon, lat, ReadNumber(TAccess.Item(position, 2), at, index, 2));
        }

        private static double ReadNumber(TNode node, string at, int index, int ordinate)
        {
            if (TAccess.Kind(node) == JsonValueKind.Number && TAccess.TryGetDouble(node, out var number) && double.IsFinite(number))
                return number;
            throw Bad(Index(Position(at, index), ordinate), "must be a finite number");
        }

        /// <summary>An array whose members are not plain values: what a list of positions must be, empty included.</summary>
        private static bool IsArrayOfArrays(TNode node) =>
            TAccess.Kind(node) == JsonValueKind.Array && (TAccess.Count(node) == 0 || !IsPlainValue(TAccess.Item(node, 0)));

        private static bool IsPlainValue(TNode node) => TAccess.Kind(node) is not (JsonValueKind.Array or JsonValueKind.Object or JsonValueKind.Null);

        private static string ShallowHint(TNode node) =>
            TAccess.Kind(node) == JsonValueKind.Array && TAccess.Count(node) > 0 && IsPlainValue(TAccess.Item(node, 0))
                ? ", not a single position (nested one level too shallow for this geometry type?)"
                : "";
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

    private static string Member(string path, string name) => path.Length == 0 ? name : path + "." + name;
    private static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";
    private static string Position(string at, int index) => index < 0 ? at : Index(at, index);
    private static string Format(double d) => d.ToString("R", CultureInfo.InvariantCulture);
    private static string Describe(Coordinate c) => "[" + Format(c.X) + ", " + Format(c.Y) + (double.IsNaN(c.Z) ? "" : ", " + Format(c.Z)) + "]";
}
