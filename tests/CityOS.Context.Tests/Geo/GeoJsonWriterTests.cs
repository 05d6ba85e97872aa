using System.Text.Json.Nodes;
using CityOS.Context.Geo;

namespace CityOS.Context.Tests.Geo;

public class GeoJsonWriterTests
{
    public static TheoryData<string> Geometries => new()
    {
        """{"type":"Point","coordinates":[8.6935,49.4097]}""",
        """{"type":"Point","coordinates":[139.7671,35.6812,40.5]}""",
        """{"type":"MultiPoint","coordinates":[[8.69,49.4],[8.71,49.41]]}""",
        """{"type":"LineString","coordinates":[[8.68,49.412],[8.7,49.413],[8.72,49.414]]}""",
        """{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3],[4,2]]]}""",
        """{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,4],[4,4],[4,2],[2,2]]]}""",
        """{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,3],[2,2]]]]}""",
        """{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}""",
        """{"type":"Point","coordinates":[-0.1,1.0000000000000002]}""",
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Round_trips_through_the_reader(string json)
    {
        var original = JsonNode.Parse(json)!;

        var written = GeoJsonWriter.Write(GeoJsonReader.Read(original));

        Assert.True(JsonNode.DeepEquals(original, written), $"{json} came back as {written.ToJsonString()}");
    }

    [Fact]
    public void Writes_ring_order_as_read()
    {
        var json = """{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]]}""";

        var written = GeoJsonWriter.Write(GeoJsonReader.Read(JsonNode.Parse(json)));

        Assert.Equal(json, written.ToJsonString());
    }

    [Fact]
    public void Writes_a_linear_ring_as_a_line_string()
    {
        var ring = GeoJsonReader.Factory.CreateLinearRing([new(0, 0), new(1, 0), new(1, 1), new(0, 0)]);

        var written = GeoJsonWriter.Write(ring);

        Assert.Equal("LineString", (string?)written["type"]);
        Assert.Equal(4, written["coordinates"]!.AsArray().Count);
    }

    [Fact]
    public void Refuses_an_empty_point()
    {
        Assert.Throws<ArgumentException>(() => GeoJsonWriter.Write(GeoJsonReader.Factory.CreatePoint()));
    }
}
