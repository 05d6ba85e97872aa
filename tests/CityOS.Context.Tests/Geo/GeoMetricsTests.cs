using System.Text.Json.Nodes;
using CityOS.Context.Geo;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Tests.Geo;

public class GeoMetricsTests
{
    [Theory]
    [InlineData(139.7671, 35.6812, 139.7454, 35.6586)] // Tokyo Station to Tokyo Tower
    [InlineData(139.7671, 35.6812, 139.7006, 35.6896)] // Tokyo Station to Shinjuku Station
    [InlineData(8.6756, 49.4036, 8.7153, 49.4106)] // Heidelberg Hbf to the castle
    [InlineData(179.9, 0, -179.9, 0)] // across the antimeridian
    [InlineData(0, 89.9, 180, 89.9)] // across the north pole
    [InlineData(8.6756, 49.4036, 139.7671, 35.6812)] // Heidelberg to Tokyo
    public void Haversine_agrees_with_an_independent_formula(double lon1, double lat1, double lon2, double lat2)
    {
        var expected = GeoTestGeodesy.DistanceMetres(lon1, lat1, lon2, lat2);

        Assert.Equal(expected, GeoMetrics.HaversineMetres(lon1, lat1, lon2, lat2), expected * 1e-9 + 1e-6);
    }

    [Fact]
    public void Tokyo_station_is_about_three_kilometres_from_tokyo_tower()
    {
        var metres = GeoMetrics.HaversineMetres(139.7671, 35.6812, 139.7454, 35.6586);

        Assert.InRange(metres, 3_000, 3_300);
    }

    [Fact]
    public void Distance_to_a_line_is_to_its_nearest_point_not_its_vertices()
    {
        // An east-west street 200 m south of the point, with vertices 5 km either side.
        var (_, southLat) = GeoTestGeodesy.Destination(8.70, 49.41, 180, 200);
        var street = Line((8.70 - 0.07, southLat), (8.70 + 0.07, southLat));

        var metres = GeoMetrics.DistanceMetres(new Coordinate(8.70, 49.41), street);

        Assert.Equal(200, metres, 0.5);
    }

    [Fact]
    public void Distance_to_an_area_is_zero_inside_and_to_the_boundary_outside()
    {
        var altstadt = Polygon((8.69, 49.408), (8.72, 49.408), (8.72, 49.415), (8.69, 49.415));
        var (_, north) = GeoTestGeodesy.Destination(8.70, 49.415, 0, 300);

        Assert.Equal(0, GeoMetrics.DistanceMetres(new Coordinate(8.70, 49.41), altstadt));
        Assert.Equal(300, GeoMetrics.DistanceMetres(new Coordinate(8.70, north), altstadt), 0.5);
    }

    [Fact]
    public void Distance_to_a_line_across_the_antimeridian_is_measured_the_short_way()
    {
        var line = Line((-179.95, -1), (-179.95, 1));

        var metres = GeoMetrics.DistanceMetres(new Coordinate(179.95, 0), line);

        Assert.Equal(GeoTestGeodesy.DistanceMetres(179.95, 0, -179.95, 0), metres, 1);
    }

    [Fact]
    public void Distance_between_disjoint_lines_is_between_their_nearest_points()
    {
        var (_, north) = GeoTestGeodesy.Destination(8.70, 49.41, 0, 150);
        var a = Line((8.69, 49.41), (8.71, 49.41));
        var b = Line((8.70, north), (8.70, north + 0.01));

        Assert.Equal(150, GeoMetrics.DistanceMetres(a, b), 0.5);
        Assert.Equal(150, GeoMetrics.DistanceMetres(b, a), 0.5);
        Assert.Equal(0, GeoMetrics.DistanceMetres(a, Line((8.70, 49.40), (8.70, 49.42))));
    }

    [Theory]
    [InlineData(8.68, 49.40, 500)]
    [InlineData(139.7671, 35.6812, 2_000)]
    [InlineData(-58.38, -34.60, 10_000)]
    [InlineData(25.0, 78.2, 50_000)]
    [InlineData(0, 0, 1)]
    public void Grown_box_holds_the_circle_and_is_tight_on_the_axes(double lon, double lat, double metres)
    {
        var box = GeoMetrics.Grow(new Envelope(new Coordinate(lon, lat)), metres);

        foreach (var bearing in new[] { 0.0, 45, 90, 135, 180, 225, 270, 315 })
        {
            var (x, y) = GeoTestGeodesy.Destination(lon, lat, bearing, metres);
            Assert.True(box.Contains(x, y), $"bearing {bearing}: ({x}, {y}) is outside {box}");
        }
        var (_, farNorth) = GeoTestGeodesy.Destination(lon, lat, 0, metres * 1.01);
        var (farEast, _) = GeoTestGeodesy.Destination(lon, lat, 90, metres * 1.01);
        Assert.False(box.Contains(lon, farNorth), "the box is loose in latitude");
        Assert.True(box.MaxX < farEast, "the box is loose in longitude");
    }

    [Fact]
    public void Grown_box_spans_all_longitudes_when_it_reaches_a_pole()
    {
        var box = GeoMetrics.Grow(new Envelope(new Coordinate(10, 89.99)), 5_000);

        Assert.Equal(-180, box.MinX);
        Assert.Equal(180, box.MaxX);
        Assert.Equal(90, box.MaxY);
        Assert.True(box.MinY < 89.99 - 0.04);
    }

    [Fact]
    public void Grown_box_spans_all_longitudes_when_it_crosses_the_antimeridian()
    {
        var box = GeoMetrics.Grow(new Envelope(new Coordinate(179.99, -17.7)), 5_000);

        Assert.Equal(-180, box.MinX);
        Assert.Equal(180, box.MaxX);
        Assert.InRange(box.MaxY, -17.7 + 0.04, -17.6);
    }

    [Fact]
    public void Grown_box_is_the_world_for_half_the_circumference()
    {
        var box = GeoMetrics.Grow(new Envelope(new Coordinate(8, 49)), Math.PI * GeoMetrics.EarthRadiusMetres);

        Assert.Equal(new Envelope(-180, 180, -90, 90), box);
    }

    [Fact]
    public void Grow_refuses_a_negative_distance()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GeoMetrics.Grow(new Envelope(0, 1, 0, 1), -1));
    }

    private static LineString Line(params (double Lon, double Lat)[] points) =>
        GeoJsonReader.Factory.CreateLineString(points.Select(p => new Coordinate(p.Lon, p.Lat)).ToArray());

    private static Polygon Polygon(params (double Lon, double Lat)[] corners)
    {
        var ring = new JsonArray();
        foreach (var (x, y) in corners.Append(corners[0]))
            ring.Add(new JsonArray(x, y));
        return (Polygon)GeoJsonReader.Read(new JsonObject { ["type"] = "Polygon", ["coordinates"] = new JsonArray(ring) });
    }
}
