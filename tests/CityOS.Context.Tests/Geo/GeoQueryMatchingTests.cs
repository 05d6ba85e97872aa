using System.Text.Json.Nodes;
using CityOS.Context.Geo;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Tests.Geo;

public class GeoQueryMatchingTests
{
    private const string TokyoStation = "[139.7671,35.6812]";
    private const string Altstadt = "[[[8.69,49.408],[8.72,49.408],[8.72,49.415],[8.69,49.415],[8.69,49.408]]]";

    private static readonly Dictionary<string, Geometry> Places = new()
    {
        ["TokyoTower"] = Geo("Point", "[139.7454,35.6586]"),
        ["ShinjukuStation"] = Geo("Point", "[139.7006,35.6896]"),
        ["Skytree"] = Geo("Point", "[139.8107,35.7101]"),
        ["HeidelbergCastle"] = Geo("Point", "[8.7153,49.4106]"),
        ["Bismarckplatz"] = Geo("Point", "[8.6935,49.4097]"),
        ["HeidelbergHbf"] = Geo("Point", "[8.6756,49.4036]"),
        ["AltstadtCorner"] = Geo("Point", "[8.69,49.408]"),
        ["AltstadtEdge"] = Geo("Point", "[8.70,49.408]"),
        ["Neckar"] = Geo("LineString", "[[8.68,49.412],[8.70,49.413],[8.72,49.414],[8.73,49.415]]"),
        ["HauptstrasseInside"] = Geo("LineString", "[[8.695,49.410],[8.712,49.411]]"),
        ["BahnhofstrasseOutside"] = Geo("LineString", "[[8.675,49.404],[8.685,49.406]]"),
        ["Heidelberg"] = Geo("Polygon", "[[[8.57,49.35],[8.80,49.35],[8.80,49.46],[8.57,49.46],[8.57,49.35]]]"),
        ["Altstadt"] = Geo("Polygon", Altstadt),
        ["AltstadtRotated"] = Geo("Polygon", "[[[8.72,49.408],[8.72,49.415],[8.69,49.415],[8.69,49.408],[8.72,49.408]]]"),
        ["Weststadt"] = Geo("Polygon", "[[[8.67,49.400],[8.70,49.400],[8.70,49.410],[8.67,49.410],[8.67,49.400]]]"),
        ["Neuenheim"] = Geo("Polygon", "[[[8.68,49.416],[8.72,49.416],[8.72,49.425],[8.68,49.425],[8.68,49.416]]]"),
        ["CastleGarden"] = Geo("Polygon", "[[[8.712,49.409],[8.718,49.409],[8.718,49.412],[8.712,49.412],[8.712,49.409]]]"),
    };

    public static TheoryData<string, string, string, string[]> Cases => new()
    {
        // near, from Tokyo Station: the tower is about 3.1 km away, Shinjuku 6.1 km, Skytree 5.1 km.
        { "near;maxDistance==3500", "Point", TokyoStation, ["TokyoTower"] },
        { "near;maxDistance==5500", "Point", TokyoStation, ["TokyoTower", "Skytree"] },
        { "near;minDistance==5500", "Point", TokyoStation, ["ShinjukuStation", "HeidelbergCastle", "Bismarckplatz", "HeidelbergHbf", "AltstadtCorner", "AltstadtEdge", "Neckar", "HauptstrasseInside", "BahnhofstrasseOutside", "Heidelberg", "Altstadt", "AltstadtRotated", "Weststadt", "Neuenheim", "CastleGarden"] },
        // near, from the Heidelberg castle: lines and areas count by their nearest point.
        { "near;maxDistance==400", "Point", "[8.7153,49.4106]", ["HeidelbergCastle", "Neckar", "HauptstrasseInside", "Heidelberg", "Altstadt", "AltstadtRotated", "CastleGarden"] },
        { "near;maxDistance==0.001", "Point", "[8.7153,49.4106]", ["HeidelbergCastle", "Heidelberg", "Altstadt", "AltstadtRotated", "CastleGarden"] },
        // within the Altstadt: the boundary is not within, and the Neckar leaves it.
        { "within", "Polygon", Altstadt, ["HeidelbergCastle", "Bismarckplatz", "HauptstrasseInside", "Altstadt", "AltstadtRotated", "CastleGarden"] },
        { "within", "MultiPolygon", "[" + Altstadt + ",[[[139.74,35.65],[139.75,35.65],[139.75,35.67],[139.74,35.67],[139.74,35.65]]]]", ["TokyoTower", "HeidelbergCastle", "Bismarckplatz", "HauptstrasseInside", "Altstadt", "AltstadtRotated", "CastleGarden"] },
        // contains: the candidate holds the reference geometry.
        { "contains", "Point", "[8.7153,49.4106]", ["HeidelbergCastle", "Heidelberg", "Altstadt", "AltstadtRotated", "CastleGarden"] },
        { "contains", "Polygon", "[[[8.713,49.4095],[8.714,49.4095],[8.714,49.4105],[8.713,49.4105],[8.713,49.4095]]]", ["Heidelberg", "Altstadt", "AltstadtRotated", "CastleGarden"] },
        // intersects the Altstadt: the boundary counts.
        { "intersects", "Polygon", Altstadt, ["HeidelbergCastle", "Bismarckplatz", "AltstadtCorner", "AltstadtEdge", "Neckar", "HauptstrasseInside", "Heidelberg", "Altstadt", "AltstadtRotated", "Weststadt", "CastleGarden"] },
        { "intersects", "LineString", "[[8.69,49.40],[8.69,49.42]]", ["AltstadtCorner", "Neckar", "Heidelberg", "Altstadt", "AltstadtRotated", "Weststadt", "Neuenheim"] },
        // equals: topological equality, whatever the vertex order.
        { "equals", "Polygon", Altstadt, ["Altstadt", "AltstadtRotated"] },
        { "equals", "Point", "[139.7454,35.6586]", ["TokyoTower"] },
        // overlaps: same dimension, sharing some interior, neither inside the other.
        { "overlaps", "Polygon", Altstadt, ["Weststadt"] },
        { "overlaps", "LineString", "[[8.70,49.413],[8.72,49.414],[8.75,49.42]]", ["Neckar"] },
        // disjoint: the complement of intersects.
        { "disjoint", "Polygon", Altstadt, ["TokyoTower", "ShinjukuStation", "Skytree", "HeidelbergHbf", "BahnhofstrasseOutside", "Neuenheim"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_expected_places(string georel, string geometry, string coordinates, string[] expected)
    {
        var query = GeoQuery.FromQueryParameters(georel, geometry, coordinates, null)!;

        var matched = Places.Where(p => query.Matches(p.Value)).Select(p => p.Key).Order().ToArray();

        Assert.Equal(expected.Order().ToArray(), matched);
    }

    [Fact]
    public void Near_distance_is_the_geodesic_distance_from_the_reference_point()
    {
        var query = GeoQuery.FromQueryParameters("near;maxDistance==5000", "Point", TokyoStation, null)!;
        var expected = GeoTestGeodesy.DistanceMetres(139.7671, 35.6812, 139.7454, 35.6586);

        var metres = query.DistanceMetres(Places["TokyoTower"]);

        Assert.Equal(expected, metres, 1e-3);
        Assert.InRange(metres, 3_000, 3_300);
    }

    [Theory]
    [InlineData(1.001, true)]
    [InlineData(0.999, false)]
    public void Near_max_distance_is_exact_at_the_edge(double fraction, bool expected)
    {
        var tower = Places["TokyoTower"];
        var metres = GeoTestGeodesy.DistanceMetres(139.7671, 35.6812, tower.Coordinate.X, tower.Coordinate.Y);
        var georel = $"near;maxDistance=={(metres * fraction).ToString("F3", System.Globalization.CultureInfo.InvariantCulture)}";

        var query = GeoQuery.FromQueryParameters(georel, "Point", TokyoStation, null)!;

        Assert.Equal(expected, query.Matches(tower));
    }

    [Fact]
    public void Search_envelope_bounds_what_can_match_or_is_null()
    {
        Assert.Null(GeoQuery.FromQueryParameters("near;minDistance==10", "Point", TokyoStation, null)!.SearchEnvelope);
        Assert.Null(GeoQuery.FromQueryParameters("disjoint", "Polygon", Altstadt, null)!.SearchEnvelope);
        Assert.Equal(new Envelope(8.69, 8.72, 49.408, 49.415), GeoQuery.FromQueryParameters("within", "Polygon", Altstadt, null)!.SearchEnvelope);
        var near = GeoQuery.FromQueryParameters("near;maxDistance==1000", "Point", TokyoStation, null)!.SearchEnvelope!;
        Assert.True(near.Contains(139.7671, 35.6812 + 0.0089) && !near.Contains(139.7671, 35.6812 + 0.0091), $"{near} is not 1 km north");
    }

    [Theory]
    [InlineData(8.68, 49.40, 500)]
    [InlineData(139.7671, 35.6812, 2_600)]
    [InlineData(179.995, -16.5, 2_000)] // Fiji, across the antimeridian
    [InlineData(-179.99, 65.0, 5_000)]
    [InlineData(45.0, 89.995, 3_000)] // at the north pole
    [InlineData(-60.0, -89.9, 20_000)]
    [InlineData(0, 0, 100_000)]
    public void Every_point_near_enough_lies_in_the_search_envelope(double lon, double lat, double maxDistance)
    {
        var coordinates = $"[{lon.ToString(System.Globalization.CultureInfo.InvariantCulture)},{lat.ToString(System.Globalization.CultureInfo.InvariantCulture)}]";
        var query = GeoQuery.FromQueryParameters($"near;maxDistance=={maxDistance}", "Point", coordinates, null)!;
        var box = query.SearchEnvelope!;
        var random = new Random(7919);
        var matched = 0;

        for (var i = 0; i < 5_000; i++)
        {
            var (x, y) = GeoTestGeodesy.Destination(lon, lat, random.NextDouble() * 360, maxDistance * 1.5 * Math.Sqrt(random.NextDouble()));
            var candidate = Point(x, y);
            if (!query.Matches(candidate))
                continue;
            matched++;
            Assert.True(box.Contains(x, y), $"({x}, {y}) matches but lies outside {box}");
        }
        Assert.InRange(matched, 1_000, 4_000);
    }

    [Fact]
    public void Every_line_near_enough_touches_the_search_envelope()
    {
        var query = GeoQuery.FromQueryParameters("near;maxDistance==300", "Point", "[8.7153,49.4106]", null)!;
        var box = query.SearchEnvelope!;
        var random = new Random(104729);
        var matched = 0;

        for (var i = 0; i < 2_000; i++)
        {
            var (x1, y1) = GeoTestGeodesy.Destination(8.7153, 49.4106, random.NextDouble() * 360, 600 * random.NextDouble());
            var (x2, y2) = GeoTestGeodesy.Destination(x1, y1, random.NextDouble() * 360, 800 * random.NextDouble());
            var line = GeoJsonReader.Factory.CreateLineString([new(x1, y1), new(x2, y2)]);
            if (!query.Matches(line))
                continue;
            matched++;
            Assert.True(box.Intersects(line.EnvelopeInternal), $"{line} matches but misses {box}");
        }
        Assert.True(matched > 200, $"only {matched} lines matched");
    }

    [Theory]
    [InlineData("within")]
    [InlineData("intersects")]
    [InlineData("contains")]
    [InlineData("equals")]
    [InlineData("overlaps")]
    public void Every_point_that_matches_an_area_lies_in_the_search_envelope(string georel)
    {
        var query = GeoQuery.FromQueryParameters(georel, "Polygon", Altstadt, null)!;
        var box = query.SearchEnvelope!;
        var random = new Random(31337);

        for (var i = 0; i < 5_000; i++)
        {
            var candidate = Point(8.68 + random.NextDouble() * 0.05, 49.40 + random.NextDouble() * 0.02);
            if (query.Matches(candidate))
                Assert.True(box.Contains(candidate.Coordinate), $"{candidate} matches but lies outside {box}");
        }
    }

    [Theory]
    [InlineData("within")]
    [InlineData("intersects")]
    [InlineData("disjoint")]
    public void Points_against_areas_agree_with_the_general_predicates(string georel)
    {
        var query = GeoQuery.FromQueryParameters(georel, "MultiPolygon", "[[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,4],[4,4],[4,2],[2,2]]],[[[20,20],[30,20],[25,30],[20,20]]]]", null)!;
        var random = new Random(2718);
        var points = Enumerable.Range(0, 2_000).Select(_ => Point(Math.Round(random.NextDouble() * 32 - 1, 1), Math.Round(random.NextDouble() * 32 - 1, 1)));

        foreach (var point in points)
        {
            var general = georel switch
            {
                "within" => point.Within(query.Geometry),
                "intersects" => point.Intersects(query.Geometry),
                _ => point.Disjoint(query.Geometry),
            };
            Assert.True(general == query.Matches(point), $"{georel} {point}: expected {general}");
        }
    }

    [Fact]
    public void Degenerate_candidates_are_answered_not_thrown()
    {
        var stationary = GeoJsonReader.Read(JsonNode.Parse("""{"type":"LineString","coordinates":[[8.70,49.41],[8.70,49.41]]}"""));

        foreach (var georel in new[] { "within", "intersects", "contains", "equals", "overlaps", "disjoint" })
        {
            var query = GeoQuery.FromQueryParameters(georel, "Polygon", Altstadt, null)!;
            var expected = georel is "within" or "intersects";
            Assert.True(expected == query.Matches(stationary), georel);
        }
    }

    [Theory]
    [InlineData("within", """[{"type":"Point","coordinates":[8.70,49.41]},{"type":"LineString","coordinates":[[8.695,49.409],[8.70,49.411]]}]""", true)]
    [InlineData("within", """[{"type":"Point","coordinates":[8.70,49.41]},{"type":"Point","coordinates":[8.60,49.41]}]""", false)]
    [InlineData("intersects", """[{"type":"Point","coordinates":[8.60,49.41]},{"type":"Point","coordinates":[8.70,49.41]}]""", true)]
    [InlineData("disjoint", """[{"type":"Point","coordinates":[8.60,49.41]},{"type":"Point","coordinates":[8.70,49.41]}]""", false)]
    [InlineData("contains", """[{"type":"Point","coordinates":[8.60,49.41]},{"type":"Polygon","coordinates":[[[8.68,49.40],[8.73,49.40],[8.73,49.42],[8.68,49.42],[8.68,49.40]]]}]""", true)]
    [InlineData("contains", """[{"type":"Polygon","coordinates":[[[8.68,49.40],[8.70,49.40],[8.70,49.42],[8.68,49.42],[8.68,49.40]]]},{"type":"Polygon","coordinates":[[[8.70,49.40],[8.73,49.40],[8.73,49.42],[8.70,49.42],[8.70,49.40]]]}]""", true)]
    [InlineData("contains", """[{"type":"Point","coordinates":[8.60,49.41]},{"type":"Polygon","coordinates":[[[8.68,49.40],[8.70,49.40],[8.70,49.42],[8.68,49.42],[8.68,49.40]]]}]""", false)]
    [InlineData("within", """[{"type":"Point","coordinates":[8.70,49.41]},{"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[8.695,49.409],[8.70,49.411]]}]}]""", true)]
    [InlineData("within", """[{"type":"Point","coordinates":[8.69,49.41]},{"type":"LineString","coordinates":[[8.69,49.409],[8.69,49.411]]}]""", false)]
    [InlineData("overlaps", """[{"type":"Polygon","coordinates":[[[8.67,49.400],[8.70,49.400],[8.70,49.410],[8.67,49.410],[8.67,49.400]]]},{"type":"Polygon","coordinates":[[[8.60,49.40],[8.61,49.40],[8.61,49.41],[8.60,49.40]]]}]""", true)]
    [InlineData("overlaps", """[{"type":"Point","coordinates":[8.60,49.41]},{"type":"Polygon","coordinates":[[[8.67,49.400],[8.70,49.400],[8.70,49.410],[8.67,49.410],[8.67,49.400]]]}]""", false)]
    [InlineData("equals", """[{"type":"Polygon","coordinates":[[[8.69,49.408],[8.705,49.408],[8.705,49.415],[8.69,49.415],[8.69,49.408]]]},{"type":"Polygon","coordinates":[[[8.70,49.408],[8.72,49.408],[8.72,49.415],[8.70,49.415],[8.70,49.408]]]}]""", true)]
    public void Geometry_collections_are_answered_for_every_georel(string georel, string geometries, bool expected)
    {
        var collection = GeoJsonReader.Read(JsonNode.Parse($$"""{"type":"GeometryCollection","geometries":{{geometries}}}"""));
        var query = GeoQuery.FromQueryParameters(georel, "Polygon", Altstadt, null)!;

        Assert.Equal(expected, query.Matches(collection));
    }

    [Theory]
    [InlineData("within", "Polygon", Altstadt)]
    [InlineData("near;maxDistance==700", "Point", "[8.70,49.41]")]
    [InlineData("overlaps", "Polygon", Altstadt)]
    public void One_query_answers_many_threads_as_it_answers_one(string georel, string geometry, string coordinates)
    {
        var query = GeoQuery.FromQueryParameters(georel, geometry, coordinates, null)!;
        var random = new Random(42);
        var candidates = Enumerable.Range(0, 4_000)
            .Select(i => i % 2 == 0
                ? (Geometry)Point(8.68 + random.NextDouble() * 0.05, 49.40 + random.NextDouble() * 0.02)
                : GeoJsonReader.Factory.CreatePolygon([new(8.70, 49.41), new(8.70 + random.NextDouble() * 0.03, 49.41), new(8.70, 49.41 + random.NextDouble() * 0.01), new(8.70, 49.41)]))
            .ToArray();
        var sequential = candidates.Select(query.Matches).ToArray();

        var parallel = new bool[candidates.Length];
        Parallel.For(0, candidates.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = query.Matches(candidates[i]));

        Assert.Equal(sequential, parallel);
        Assert.Contains(true, sequential);
        Assert.Contains(false, sequential);
    }

    private static Point Point(double lon, double lat) => GeoJsonReader.Factory.CreatePoint(new Coordinate(lon, lat));

    private static Geometry Geo(string type, string coordinates) =>
        GeoJsonReader.Read(JsonNode.Parse($$"""{"type":"{{type}}","coordinates":{{coordinates}}}"""));
}
