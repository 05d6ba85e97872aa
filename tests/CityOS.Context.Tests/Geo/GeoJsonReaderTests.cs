using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.Geo;
using CityOS.Core;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Tests.Geo;

public class GeoJsonReaderTests
{
    public static TheoryData<string, Type, int> ValidGeometries => new()
    {
        { """{"type":"Point","coordinates":[8.6935,49.4097]}""", typeof(Point), 1 },
        { """{"type":"Point","coordinates":[139.7671,35.6812,40.5]}""", typeof(Point), 1 },
        { """{"type":"Point","coordinates":[-180,-90]}""", typeof(Point), 1 },
        { """{"type":"Point","coordinates":[180,90]}""", typeof(Point), 1 },
        { """{"type":"MultiPoint","coordinates":[[8.69,49.40],[8.71,49.41]]}""", typeof(MultiPoint), 2 },
        { """{"type":"LineString","coordinates":[[8.68,49.412],[8.70,49.413],[8.72,49.414]]}""", typeof(LineString), 3 },
        { """{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3],[4,2]]]}""", typeof(MultiLineString), 5 },
        { """{"type":"Polygon","coordinates":[[[8.69,49.408],[8.72,49.408],[8.72,49.415],[8.69,49.415],[8.69,49.408]]]}""", typeof(Polygon), 5 },
        { """{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,4],[4,4],[4,2],[2,2]]]}""", typeof(Polygon), 10 },
        { """{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,3],[2,2]]]]}""", typeof(MultiPolygon), 10 },
        { """{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}""", typeof(GeometryCollection), 3 },
        { """{"type":"Point","coordinates":[1,2],"bbox":[1,2,1,2],"foreign":"member"}""", typeof(Point), 1 },
    };

    [Theory]
    [MemberData(nameof(ValidGeometries))]
    public void Reads_every_geometry_type(string json, Type expectedType, int expectedCoordinates)
    {
        var geometry = GeoJsonReader.Read(JsonNode.Parse(json));

        Assert.IsType(expectedType, geometry);
        Assert.Equal(expectedCoordinates, geometry.NumPoints);
        Assert.Equal(4326, geometry.SRID);
    }

    [Fact]
    public void Reads_longitude_first_and_keeps_altitude()
    {
        var point = (Point)GeoJsonReader.Read(JsonNode.Parse("""{"type":"Point","coordinates":[139.7671,35.6812,40.5]}"""));

        Assert.Equal(139.7671, point.X);
        Assert.Equal(35.6812, point.Y);
        Assert.Equal(40.5, point.Coordinate.Z);
    }

    [Fact]
    public void Reads_numbers_of_nodes_built_in_code()
    {
        var node = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(8, 49.5m) };

        var point = (Point)GeoJsonReader.Read(node);

        Assert.Equal(8, point.X);
        Assert.Equal(49.5, point.Y);
    }

    public static TheoryData<string?, string> InvalidGeometries => new()
    {
        { null, "the geometry must be a GeoJSON geometry object" },
        { "[1,2]", "the geometry must be a GeoJSON geometry object" },
        { """{"coordinates":[1,2]}""", "type is missing" },
        { """{"type":5,"coordinates":[1,2]}""", "type must be a string" },
        { """{"type":null,"coordinates":[1,2]}""", "type must be a string" },
        { """{"type":"Circle","coordinates":[1,2]}""", "type 'Circle' is not a GeoJSON geometry type" },
        { """{"type":"point","coordinates":[1,2]}""", "type 'point' is not a GeoJSON geometry type" },
        { """{"type":"Point"}""", "coordinates is missing" },
        { """{"type":"Point","coordinates":"8,49"}""", "coordinates must be an array" },
        { """{"type":"Point","coordinates":[8]}""", "coordinates a position has 2 or 3 numbers (longitude, latitude, optional altitude), got 1" },
        { """{"type":"Point","coordinates":[8,49,1,2]}""", "coordinates a position has 2 or 3 numbers (longitude, latitude, optional altitude), got 4" },
        { """{"type":"Point","coordinates":["8.6",49]}""", "coordinates[0] must be a finite number" },
        { """{"type":"Point","coordinates":[8.6,null]}""", "coordinates[1] must be a finite number" },
        { """{"type":"Point","coordinates":[8.6,49,true]}""", "coordinates[2] must be a finite number" },
        { """{"type":"Point","coordinates":[180.5,49]}""", "coordinates[0] longitude 180.5 is outside [-180, 180]" },
        { """{"type":"Point","coordinates":[49,-90.01]}""", "coordinates[1] latitude -90.01 is outside [-90, 90]" },
        { """{"type":"MultiPoint","coordinates":[]}""", "coordinates a MultiPoint needs at least one position" },
        { """{"type":"MultiPoint","coordinates":[[0,0],[200,0]]}""", "coordinates[1][0] longitude 200 is outside [-180, 180]" },
        { """{"type":"MultiPoint","coordinates":[[0,0],5]}""", "coordinates[1] must be a position" },
        { """{"type":"LineString","coordinates":[[0,0]]}""", "coordinates a LineString needs at least 2 positions, got 1" },
        { """{"type":"LineString","coordinates":[[0,0],[1]]}""", "coordinates[1] a position has 2 or 3 numbers" },
        { """{"type":"LineString","coordinates":[[0,0],[1,"a"]]}""", "coordinates[1][1] must be a finite number" },
        { """{"type":"MultiLineString","coordinates":[]}""", "coordinates a MultiLineString needs at least one LineString" },
        { """{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[0,0]]]}""", "coordinates[1] a LineString needs at least 2 positions, got 1" },
        { """{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[0,0]]}""", "coordinates[1] must be an array of positions, not a single position (nested one level too shallow" },
        { """{"type":"LineString","coordinates":[[[0,0],[1,1]]]}""", "coordinates[0] must be a position: an array of 2 or 3 numbers, not of arrays (nested one level too deep" },
        { """{"type":"Polygon","coordinates":[]}""", "coordinates a Polygon needs at least its exterior ring" },
        { """{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}""", "coordinates[0] a linear ring needs at least 4 positions, got 3" },
        { """{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}""", "coordinates[0] the linear ring is not closed: the first position [0, 0] differs from the last [0, 1]" },
        { """{"type":"Polygon","coordinates":[[[0,0,5],[1,0],[1,1],[0,0]]]}""", "coordinates[0] the linear ring is not closed" },
        { """{"type":"Polygon","coordinates":[[0,0],[1,0],[1,1],[0,0]]}""", "coordinates[0] must be an array of positions (a linear ring)" },
        { """{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[0,0],[1,0],[1,1]]]}""", "coordinates[1] a linear ring needs at least 4 positions, got 3" },
        { """{"type":"Polygon","coordinates":[[[0,0],[10,10],[10,0],[0,10],[0,0]]]}""", "coordinates the Polygon is not valid: Self-intersection at [5, 5]" },
        { """{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[20,20],[21,20],[21,21],[20,21],[20,20]]]}""", "coordinates the Polygon is not valid: Hole lies outside shell" },
        { """{"type":"Polygon","coordinates":[[[0,0],[0,0],[0,0],[0,0]]]}""", "coordinates the Polygon is not valid: Too few points in geometry component at [0, 0]" },
        { """{"type":"MultiPolygon","coordinates":[]}""", "coordinates a MultiPolygon needs at least one Polygon" },
        { """{"type":"MultiPolygon","coordinates":[[[[0,0],[2,0],[2,2],[0,2],[0,0]]],[[[1,1],[3,1],[3,3],[1,3],[1,1]]]]}""", "coordinates the MultiPolygon is not valid" },
        { """{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]],[]]}""", "coordinates[2] a Polygon needs at least its exterior ring" },
        { """{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,3],[2,2.5]]]]}""", "coordinates[1][0] the linear ring is not closed" },
        { """{"type":"GeometryCollection"}""", "geometries is missing" },
        { """{"type":"GeometryCollection","geometries":{}}""", "geometries must be an array" },
        { """{"type":"GeometryCollection","geometries":[]}""", "geometries a GeometryCollection needs at least one geometry" },
        { """{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,95]]}]}""", "geometries[1].coordinates[1][1] latitude 95 is outside [-90, 90]" },
    };

    [Theory]
    [MemberData(nameof(InvalidGeometries))]
    public void Rejects_invalid_geometry_saying_what_and_where(string? json, string expected)
    {
        var node = json is null ? null : JsonNode.Parse(json);

        var error = Assert.Throws<NgsiLdException>(() => GeoJsonReader.Read(node));

        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.Equal(400, error.Status);
        Assert.StartsWith("Invalid GeoJSON geometry: ", error.Detail);
        Assert.True(error.Detail.Contains(expected, StringComparison.Ordinal), $"\"{expected}\" is not in \"{error.Detail}\"");
    }

    [Theory]
    [MemberData(nameof(ValidGeometries))]
    public void Reads_a_json_element_as_it_reads_a_node(string json, Type expectedType, int expectedCoordinates)
    {
        using var document = JsonDocument.Parse(json);

        var fromElement = GeoJsonReader.Read(document.RootElement);

        Assert.IsType(expectedType, fromElement);
        Assert.Equal(expectedCoordinates, fromElement.NumPoints);
        Assert.True(fromElement.EqualsExact(GeoJsonReader.Read(JsonNode.Parse(json))));
    }

    [Theory]
    [MemberData(nameof(InvalidGeometries))]
    public void Rejects_an_invalid_json_element_as_it_rejects_a_node(string? json, string expected)
    {
        using var document = JsonDocument.Parse(json ?? "null");

        var error = Assert.Throws<NgsiLdException>(() => GeoJsonReader.Read(document.RootElement));

        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.True(error.Detail.Contains(expected, StringComparison.Ordinal), $"\"{expected}\" is not in \"{error.Detail}\"");
    }

    [Fact]
    public void Rejects_geometry_collections_nested_without_bound()
    {
        JsonNode node = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(1, 2) };
        for (var i = 0; i < 20; i++)
            node = new JsonObject { ["type"] = "GeometryCollection", ["geometries"] = new JsonArray(node) };

        var error = Assert.Throws<NgsiLdException>(() => GeoJsonReader.Read(node));

        Assert.Contains("nest deeper than", error.Detail);
    }

    [Fact]
    public void Accepts_geometry_collections_nested_a_little()
    {
        var json = """{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}]}""";

        var geometry = GeoJsonReader.Read(JsonNode.Parse(json));

        Assert.Equal(1, geometry.NumPoints);
    }

    [Fact]
    public void Accepts_either_ring_orientation()
    {
        var clockwise = """{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]]}""";
        var counterClockwise = """{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}""";

        Assert.Equal(1.0, GeoJsonReader.Read(JsonNode.Parse(clockwise)).Area, 9);
        Assert.Equal(1.0, GeoJsonReader.Read(JsonNode.Parse(counterClockwise)).Area, 9);
    }
}
