using CityOS.Context.Model;
using CityOS.Context.Representation;

namespace CityOS.Context.Tests.Representation;

/// <summary>The GeoJSON representation (4.5.16): entities as Features, queries as a FeatureCollection.</summary>
public class GeoJsonRenderTests
{
    private const string Store = """
        {"id":"urn:ngsi-ld:Store:1","type":"Store",
         "name":{"type":"Property","value":"Corner Unit"},
         "location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[13.3986,52.5547]}},
         "entrance":{"type":"GeoProperty","value":{"type":"Point","coordinates":[13.3987,52.5548]}}}
        """;

    private static Entity Parse(string json) => EntityParser.ParseEntity(Json.Object(json), TestTerms.Instance, Json.Now);

    [Fact]
    public void A_feature_holds_the_id_the_geometry_and_the_entity_as_properties()
    {
        var feature = EntityRenderer.RenderFeature(Parse(Store), RenderOptions.Default, TestTerms.E("location"), TestTerms.Instance);
        Assert.Equal(Json.Object("""
            {"id":"urn:ngsi-ld:Store:1","type":"Feature",
             "geometry":{"type":"Point","coordinates":[13.3986,52.5547]},
             "properties":{"type":"Store",
                           "name":{"type":"Property","value":"Corner Unit"},
                           "location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[13.3986,52.5547]}},
                           "entrance":{"type":"GeoProperty","value":{"type":"Point","coordinates":[13.3987,52.5548]}}}}
            """).ToJsonString(), feature.ToJsonString());
    }

    [Fact]
    public void The_geometry_property_chooses_the_geometry_and_simplified_properties_are_bare_values()
    {
        var feature = EntityRenderer.RenderFeature(Parse(Store), new RenderOptions { Format = RepresentationFormat.Simplified }, TestTerms.E("entrance"), TestTerms.Instance);
        Json.Equal("""
            {"id":"urn:ngsi-ld:Store:1","type":"Feature",
             "geometry":{"type":"Point","coordinates":[13.3987,52.5548]},
             "properties":{"type":"Store","name":"Corner Unit",
                           "location":{"type":"Point","coordinates":[13.3986,52.5547]},
                           "entrance":{"type":"Point","coordinates":[13.3987,52.5548]}}}
            """, feature);
    }

    [Fact]
    public void Without_that_geo_property_the_geometry_is_null()
    {
        var feature = EntityRenderer.RenderFeature(Parse("""{"id":"urn:ngsi-ld:T:1","type":"T","name":"x"}"""),
            new RenderOptions { Format = RepresentationFormat.Simplified }, TestTerms.E("location"), TestTerms.Instance);
        Json.Equal("""{"id":"urn:ngsi-ld:T:1","type":"Feature","geometry":null,"properties":{"type":"T","name":"x"}}""", feature);
    }

    [Fact]
    public void A_property_that_is_not_a_geo_property_gives_no_geometry()
    {
        var feature = EntityRenderer.RenderFeature(Parse("""{"id":"urn:ngsi-ld:T:1","type":"T","location":"somewhere"}"""),
            RenderOptions.Default, TestTerms.E("location"), TestTerms.Instance);
        Assert.Null(feature["geometry"]);
        Assert.True(feature.ContainsKey("geometry"));
    }

    [Fact]
    public void The_geometry_comes_from_the_entity_even_when_attrs_leave_it_out_of_the_properties()
    {
        var feature = EntityRenderer.RenderFeature(Parse(Store),
            new RenderOptions { Format = RepresentationFormat.Simplified, Attrs = new HashSet<string> { TestTerms.E("name") } }, TestTerms.E("location"), TestTerms.Instance);
        Json.Equal("""
            {"id":"urn:ngsi-ld:Store:1","type":"Feature","geometry":{"type":"Point","coordinates":[13.3986,52.5547]},
             "properties":{"type":"Store","name":"Corner Unit"}}
            """, feature);
    }

    [Fact]
    public void Sys_attrs_go_into_the_properties()
    {
        var feature = EntityRenderer.RenderFeature(Parse("""{"id":"urn:ngsi-ld:T:1","type":"T"}"""),
            new RenderOptions { SysAttrs = true }, TestTerms.E("location"), TestTerms.Instance);
        Json.Equal("""
            {"id":"urn:ngsi-ld:T:1","type":"Feature","geometry":null,
             "properties":{"type":"T","createdAt":"2026-11-22T02:30:00.000Z","modifiedAt":"2026-11-22T02:30:00.000Z"}}
            """, feature);
    }

    [Fact]
    public void A_feature_collection_holds_one_feature_per_entity_in_order()
    {
        var entities = new[] { Parse(Store), Parse("""{"id":"urn:ngsi-ld:T:2","type":"T"}""") };
        var collection = EntityRenderer.RenderFeatureCollection(entities, new RenderOptions { Format = RepresentationFormat.Simplified }, TestTerms.E("location"), TestTerms.Instance);
        Assert.Equal("FeatureCollection", collection["type"]!.GetValue<string>());
        var features = collection["features"]!.AsArray();
        Assert.Equal(2, features.Count);
        Assert.Equal("urn:ngsi-ld:Store:1", features[0]!["id"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:T:2", features[1]!["id"]!.GetValue<string>());
        Assert.Null(features[1]!["geometry"]);
    }

    [Fact]
    public void An_empty_feature_collection_has_an_empty_features_array()
    {
        var collection = EntityRenderer.RenderFeatureCollection([], RenderOptions.Default, TestTerms.E("location"), TestTerms.Instance);
        Json.Equal("""{"type":"FeatureCollection","features":[]}""", collection);
    }
}
