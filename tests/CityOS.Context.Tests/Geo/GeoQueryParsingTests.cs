using System.Text.Json.Nodes;
using CityOS.Context.Geo;
using CityOS.Core;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Tests.Geo;

public class GeoQueryParsingTests
{
    [Fact]
    public void No_parameters_is_no_geo_query()
    {
        Assert.Null(GeoQuery.FromQueryParameters(null, null, null, null));
        Assert.Null(GeoQuery.FromQueryParameters("", "", "", ""));
    }

    [Fact]
    public void Reads_near_from_the_query_string()
    {
        var query = GeoQuery.FromQueryParameters("near;maxDistance==500", "Point", "[8.68,49.40]", null)!;

        Assert.Equal("near", query.Georel);
        Assert.Equal(500, query.MaxDistance);
        Assert.Null(query.MinDistance);
        Assert.Equal("location", query.GeoProperty);
        var point = Assert.IsType<Point>(query.Geometry);
        Assert.Equal((8.68, 49.40), (point.X, point.Y));
    }

    [Fact]
    public void Reads_a_polygon_and_a_geoproperty_from_the_query_string()
    {
        var query = GeoQuery.FromQueryParameters("within", "Polygon", "[[[8.69,49.408],[8.72,49.408],[8.72,49.415],[8.69,49.415],[8.69,49.408]]]", "observationSpace")!;

        Assert.Equal("within", query.Georel);
        Assert.Equal("observationSpace", query.GeoProperty);
        Assert.IsType<Polygon>(query.Geometry);
    }

    [Theory]
    [InlineData("%5B8.68%2C49.40%5D")]
    [InlineData(" [8.68, 49.40] ")]
    public void Accepts_coordinates_still_percent_encoded_or_spaced(string coordinates)
    {
        var query = GeoQuery.FromQueryParameters("near;maxDistance==500", "Point", coordinates, null)!;

        Assert.Equal(new Coordinate(8.68, 49.40), query.Geometry.Coordinate);
    }

    [Theory]
    [InlineData("near;maxDistance==2000", 2000.0, null)]
    [InlineData("near;minDistance==10", null, 10.0)]
    [InlineData("near;maxDistance==2.5", 2.5, null)]
    [InlineData("near;maxDistance==0.5", 0.5, null)]
    public void Reads_near_distances(string georel, double? max, double? min)
    {
        var query = GeoQuery.FromQueryParameters(georel, "Point", "[8.68,49.40]", null)!;

        Assert.Equal(max, query.MaxDistance);
        Assert.Equal(min, query.MinDistance);
    }

    [Theory]
    [InlineData("within", "Polygon")]
    [InlineData("within", "MultiPolygon")]
    [InlineData("contains", "Point")]
    [InlineData("intersects", "LineString")]
    [InlineData("equals", "MultiPoint")]
    [InlineData("disjoint", "Polygon")]
    [InlineData("overlaps", "MultiLineString")]
    public void Reads_every_georel(string georel, string geometry)
    {
        var query = GeoQuery.FromQueryParameters(georel, geometry, Coordinates(geometry), null)!;

        Assert.Equal(georel, query.Georel);
        Assert.Equal(geometry, query.Geometry.GeometryType);
    }

    public static TheoryData<string?, string?, string?, string?, string> InvalidQueryParameters => new()
    {
        { "near;maxDistance==500", null, "[8.68,49.40]", null, "'geometry' is missing" },
        { null, "Point", "[8.68,49.40]", null, "'georel' is missing" },
        { "near;maxDistance==500", "Point", null, null, "'coordinates' is missing" },
        { null, null, null, "location", "'geometry' is missing" },
        { "nearby", "Point", "[8.68,49.40]", null, "georel 'nearby' is not one of" },
        { "coveredBy", "Polygon", "[[[0,0],[1,0],[1,1],[0,0]]]", null, "georel 'coveredBy' is not one of" },
        { "near", "Point", "[8.68,49.40]", null, "georel 'near' needs a distance" },
        { "near;", "Point", "[8.68,49.40]", null, "modifier '' is not maxDistance==N" },
        { "near;maxDistance=500", "Point", "[8.68,49.40]", null, "modifier 'maxDistance=500' is not maxDistance==N" },
        { "near;distance==500", "Point", "[8.68,49.40]", null, "modifier 'distance==500' is not" },
        { "near;maxDistance==", "Point", "[8.68,49.40]", null, "maxDistance '' is not a positive number" },
        { "near;maxDistance==-5", "Point", "[8.68,49.40]", null, "maxDistance '-5' is not a positive number" },
        { "near;maxDistance==1e3", "Point", "[8.68,49.40]", null, "maxDistance '1e3' is not a positive number" },
        { "near;maxDistance==NaN", "Point", "[8.68,49.40]", null, "maxDistance 'NaN' is not" },
        { "near;maxDistance==5.", "Point", "[8.68,49.40]", null, "maxDistance '5.' is not" },
        { "near;maxDistance==1.2.3", "Point", "[8.68,49.40]", null, "maxDistance '1.2.3' is not" },
        { "near;maxDistance==5;maxDistance==6", "Point", "[8.68,49.40]", null, "exactly one distance modifier" },
        { "near;minDistance==1;maxDistance==5", "Point", "[8.68,49.40]", null, "exactly one distance modifier" },
        { "near;maxDistance==0", "Point", "[8.68,49.40]", null, "maxDistance '0' is not a positive number" },
        { "near;minDistance==0.0", "Point", "[8.68,49.40]", null, "minDistance '0.0' is not a positive number" },
        { "within;maxDistance==5", "Polygon", "[[[0,0],[1,0],[1,1],[0,0]]]", null, "georel 'within' takes no modifiers" },
        { "near;maxDistance==500", "Polygon", "[[[0,0],[1,0],[1,1],[0,0]]]", null, "georel 'near' needs geometry 'Point', got 'Polygon'" },
        { "within", "Point", "[8.68,49.40]", null, "georel 'within' needs geometry 'Polygon' or 'MultiPolygon', got 'Point'" },
        { "intersects", "point", "[8.68,49.40]", null, "geometry 'point' is not one of" },
        { "intersects", "GeometryCollection", "[]", null, "geometry 'GeometryCollection' is not one of" },
        { "intersects", "Point", "8.68,49.40", null, "coordinates '8.68,49.40' are not a JSON array" },
        { "intersects", "Point", "{\"x\":1}", null, "are not a JSON array" },
        { "intersects", "Point", "[[8.68,49.40]]", null, "coordinates do not fit geometry 'Point': coordinates must be a position: an array of 2 or 3 numbers, not of arrays" },
        { "intersects", "Polygon", "[[8.68,49.40],[1,2]]", null, "coordinates do not fit geometry 'Polygon': coordinates[0] must be an array of positions" },
        { "intersects", "Point", "[8.68,95]", null, "coordinates[1] latitude 95 is outside [-90, 90]" },
        { "intersects", "LineString", "[[8.68,49.40]]", null, "a LineString needs at least 2 positions" },
    };

    [Theory]
    [MemberData(nameof(InvalidQueryParameters))]
    public void Rejects_invalid_query_parameters_as_bad_request_data(string? georel, string? geometry, string? coordinates, string? geoproperty, string expected)
    {
        var error = Assert.Throws<NgsiLdException>(() => GeoQuery.FromQueryParameters(georel, geometry, coordinates, geoproperty));

        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.StartsWith("Invalid geo-query: ", error.Detail);
        Assert.True(error.Detail.Contains(expected, StringComparison.Ordinal), $"\"{expected}\" is not in \"{error.Detail}\"");
    }

    [Fact]
    public void Reads_the_geoquery_object_with_array_coordinates()
    {
        var json = JsonNode.Parse("""{"geometry":"Point","coordinates":[139.7671,35.6812],"georel":"near;maxDistance==2000","geoproperty":"location"}""")!;

        var query = GeoQuery.FromJson(json);

        Assert.Equal("near", query.Georel);
        Assert.Equal(2000, query.MaxDistance);
        Assert.Equal(new Coordinate(139.7671, 35.6812), query.Geometry.Coordinate);
    }

    [Fact]
    public void Reads_the_geoquery_object_with_string_coordinates()
    {
        var json = JsonNode.Parse("""{"geometry":"Polygon","coordinates":"[[[8.69,49.408],[8.72,49.408],[8.72,49.415],[8.69,49.408]]]","georel":"intersects"}""")!;

        var query = GeoQuery.FromJson(json);

        Assert.Equal("intersects", query.Georel);
        Assert.Equal("location", query.GeoProperty);
        Assert.Equal(4, query.Geometry.NumPoints);
    }

    public static TheoryData<string, string> InvalidGeoQueryObjects => new()
    {
        { """[]""", "geoQ must be a JSON object" },
        { """{"coordinates":[1,2],"georel":"near;maxDistance==1"}""", "'geometry' is missing" },
        { """{"geometry":"Point","georel":"near;maxDistance==1"}""", "'coordinates' is missing" },
        { """{"geometry":"Point","coordinates":[1,2]}""", "'georel' is missing" },
        { """{"geometry":"Point","coordinates":[1,2],"georel":"near;maxDistance==1","extra":1}""", "geoQ member 'extra' is not one of" },
        { """{"geometry":5,"coordinates":[1,2],"georel":"near;maxDistance==1"}""", "geoQ member 'geometry' must be a string" },
        { """{"geometry":"Point","coordinates":[1,2],"georel":["near"]}""", "geoQ member 'georel' must be a string" },
        { """{"geometry":"Point","coordinates":[1,2],"georel":"near;maxDistance==1","geoproperty":null}""", "geoQ member 'geoproperty' must be a string" },
        { """{"geometry":"Point","coordinates":{"lon":1},"georel":"near;maxDistance==1"}""", "'coordinates' must be a JSON array or a string" },
        { """{"geometry":"Point","coordinates":"[1,","georel":"near;maxDistance==1"}""", "coordinates '[1,' are not a JSON array" },
        { """{"geometry":"Point","coordinates":[1,2],"georel":"near"}""", "georel 'near' needs a distance" },
    };

    [Theory]
    [MemberData(nameof(InvalidGeoQueryObjects))]
    public void Rejects_invalid_geoquery_objects_as_bad_request_data(string json, string expected)
    {
        var error = Assert.Throws<NgsiLdException>(() => GeoQuery.FromJson(JsonNode.Parse(json)!));

        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.True(error.Detail.Contains(expected, StringComparison.Ordinal), $"\"{expected}\" is not in \"{error.Detail}\"");
    }

    [Theory]
    [InlineData("""{"geometry":"Point","coordinates":[8.68,49.4],"georel":"near;maxDistance==500"}""")]
    [InlineData("""{"geometry":"Point","coordinates":[8.68,49.4],"georel":"near;minDistance==1","geoproperty":"location"}""")]
    [InlineData("""{"geometry":"Polygon","coordinates":[[[8.69,49.408],[8.72,49.408],[8.72,49.415],[8.69,49.408]]],"georel":"within","geoproperty":"observationSpace"}""")]
    [InlineData("""{"geometry":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]],"georel":"overlaps"}""")]
    public void Writes_the_geoquery_object_it_reads(string json)
    {
        var original = JsonNode.Parse(json)!;

        var written = GeoQuery.FromJson(original).ToJson();

        Assert.True(JsonNode.DeepEquals(original, written), $"{json} came back as {written.ToJsonString()}");
    }

    [Fact]
    public void Query_string_form_and_object_form_give_the_same_query()
    {
        var fromUri = GeoQuery.FromQueryParameters("near;minDistance==100", "Point", "[139.7671,35.6812]", "location")!;

        var fromObject = GeoQuery.FromJson(fromUri.ToJson());

        Assert.Equal(fromUri.GeorelText, fromObject.GeorelText);
        Assert.Equal(fromUri.GeoProperty, fromObject.GeoProperty);
        Assert.True(fromUri.Geometry.EqualsExact(fromObject.Geometry));
    }

    private static string Coordinates(string geometry) => geometry switch
    {
        "Point" => "[8.7,49.41]",
        "MultiPoint" => "[[8.7,49.41],[8.71,49.41]]",
        "LineString" => "[[8.68,49.412],[8.72,49.414]]",
        "MultiLineString" => "[[[8.68,49.412],[8.72,49.414]],[[8.69,49.40],[8.69,49.42]]]",
        "Polygon" => "[[[8.69,49.408],[8.72,49.408],[8.72,49.415],[8.69,49.415],[8.69,49.408]]]",
        "MultiPolygon" => "[[[[8.69,49.408],[8.72,49.408],[8.72,49.415],[8.69,49.415],[8.69,49.408]]]]",
        _ => throw new ArgumentOutOfRangeException(nameof(geometry)),
    };
}
