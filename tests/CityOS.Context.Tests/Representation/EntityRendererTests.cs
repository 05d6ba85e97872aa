using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Representation;

namespace CityOS.Context.Tests.Representation;

public class EntityRendererTests
{
    /// <summary>The vehicle of the spec's examples (4.5, annex C), written in the member order the renderer produces.</summary>
    private const string Vehicle = """
        {"id":"urn:ngsi-ld:Vehicle:A4567","type":"Vehicle","scope":"/Madrid/Gardens",
         "brandName":{"type":"Property","value":"Mercedes"},
         "street":{"type":"LanguageProperty","languageMap":{"fr":"Grand Place","nl":"Grote Markt","en":"Big Square"}},
         "isParked":{"type":"Relationship","object":"urn:ngsi-ld:OffStreetParking:Downtown1","observedAt":"2017-07-29T12:00:04Z",
                     "providedBy":{"type":"Relationship","object":"urn:ngsi-ld:Person:Bob"}},
         "speed":{"type":"Property","value":80,"unitCode":"KMH","source":{"type":"Property","value":"Speedometer"}},
         "location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[-8.5,41.2]}}}
        """;

    private static Entity Parse(string json) => EntityParser.ParseEntity(Json.Object(json), TestTerms.Instance, Json.Now);

    private static JsonObject Render(string json, RenderOptions options) => EntityRenderer.Render(Parse(json), options, TestTerms.Instance);

    private static string Compact(string json) => Json.Object(json).ToJsonString();

    [Fact]
    public void Normalized_round_trip_of_the_spec_example_is_exact_including_member_order()
    {
        Assert.Equal(Compact(Vehicle), Render(Vehicle, RenderOptions.Default).ToJsonString());
    }

    [Fact]
    public void Concise_rendering_of_the_spec_example()
    {
        Json.Equal("""
            {"id":"urn:ngsi-ld:Vehicle:A4567","type":"Vehicle","scope":"/Madrid/Gardens",
             "brandName":"Mercedes",
             "street":{"languageMap":{"fr":"Grand Place","nl":"Grote Markt","en":"Big Square"}},
             "isParked":{"object":"urn:ngsi-ld:OffStreetParking:Downtown1","observedAt":"2017-07-29T12:00:04Z",
                         "providedBy":{"object":"urn:ngsi-ld:Person:Bob"}},
             "speed":{"value":80,"unitCode":"KMH","source":"Speedometer"},
             "location":{"type":"Point","coordinates":[-8.5,41.2]}}
            """, Render(Vehicle, new RenderOptions { Format = RepresentationFormat.Concise }));
    }

    [Fact]
    public void Simplified_rendering_of_the_spec_example()
    {
        Json.Equal("""
            {"id":"urn:ngsi-ld:Vehicle:A4567","type":"Vehicle","scope":"/Madrid/Gardens",
             "brandName":"Mercedes",
             "street":{"languageMap":{"fr":"Grand Place","nl":"Grote Markt","en":"Big Square"}},
             "isParked":"urn:ngsi-ld:OffStreetParking:Downtown1",
             "speed":80,
             "location":{"type":"Point","coordinates":[-8.5,41.2]}}
            """, Render(Vehicle, new RenderOptions { Format = RepresentationFormat.Simplified }));
    }

    [Fact]
    public void Concise_rendering_reads_back_to_the_same_entity()
    {
        var concise = Render(Vehicle, new RenderOptions { Format = RepresentationFormat.Concise });
        var reparsed = EntityParser.ParseEntity(concise, TestTerms.Instance, Json.Now);
        Assert.Equal(Compact(Vehicle), EntityRenderer.Render(reparsed, RenderOptions.Default, TestTerms.Instance).ToJsonString());
    }

    [Fact]
    public void Sys_attrs_add_created_and_modified_at_last_on_the_entity_and_on_every_attribute()
    {
        var rendered = Render("""{"id":"urn:ngsi-ld:T:1","type":"T","speed":{"type":"Property","value":1,"source":{"type":"Property","value":"radar"}}}""",
            new RenderOptions { SysAttrs = true });
        Assert.Equal(
            Compact("""
                {"id":"urn:ngsi-ld:T:1","type":"T",
                 "speed":{"type":"Property","value":1,
                          "source":{"type":"Property","value":"radar","createdAt":"2026-11-22T02:30:00.000Z","modifiedAt":"2026-11-22T02:30:00.000Z"},
                          "createdAt":"2026-11-22T02:30:00.000Z","modifiedAt":"2026-11-22T02:30:00.000Z"},
                 "createdAt":"2026-11-22T02:30:00.000Z","modifiedAt":"2026-11-22T02:30:00.000Z"}
                """),
            rendered.ToJsonString());
    }

    [Fact]
    public void Sys_attrs_in_simplified_form_only_add_the_entity_timestamps()
    {
        var rendered = Render("""{"id":"urn:ngsi-ld:T:1","type":"T","speed":1}""", new RenderOptions { SysAttrs = true, Format = RepresentationFormat.Simplified });
        Json.Equal("""{"id":"urn:ngsi-ld:T:1","type":"T","speed":1,"createdAt":"2026-11-22T02:30:00.000Z","modifiedAt":"2026-11-22T02:30:00.000Z"}""", rendered);
    }

    [Fact]
    public void Without_sys_attrs_no_timestamps_appear()
    {
        var rendered = Render(Vehicle, RenderOptions.Default);
        Assert.DoesNotContain("createdAt", rendered.ToJsonString());
    }

    [Fact]
    public void Several_types_render_as_an_array_of_compacted_types()
    {
        var rendered = Render("""{"id":"urn:ngsi-ld:T:1","type":["Vehicle","http://other.example/Car"]}""", RenderOptions.Default);
        Json.Equal("""{"id":"urn:ngsi-ld:T:1","type":["Vehicle","http://other.example/Car"]}""", rendered);
    }

    [Fact]
    public void Attrs_restricts_the_attributes_but_keeps_id_and_type()
    {
        var rendered = Render(Vehicle, new RenderOptions { Attrs = new HashSet<string> { TestTerms.E("speed"), TestTerms.E("nothing") }, Format = RepresentationFormat.Simplified });
        Json.Equal("""{"id":"urn:ngsi-ld:Vehicle:A4567","type":"Vehicle","scope":"/Madrid/Gardens","speed":80}""", rendered);
    }

    [Fact]
    public void Pick_keeps_only_the_named_members()
    {
        var rendered = Render(Vehicle, new RenderOptions { Pick = new HashSet<string> { "id", TestTerms.E("brandName") }, Format = RepresentationFormat.Simplified });
        Json.Equal("""{"id":"urn:ngsi-ld:Vehicle:A4567","brandName":"Mercedes"}""", rendered);
    }

    [Fact]
    public void Omit_drops_the_named_members_including_id_and_type()
    {
        var rendered = Render(Vehicle, new RenderOptions
        {
            Omit = new HashSet<string> { "id", "type", "scope", TestTerms.E("street"), TestTerms.E("isParked"), TestTerms.E("location") },
            Format = RepresentationFormat.Simplified,
        });
        Json.Equal("""{"brandName":"Mercedes","speed":80}""", rendered);
    }

    [Theory]
    [InlineData("nl", "Grote Markt", "nl")]
    [InlineData("ja,nl", "Grote Markt", "nl")]
    [InlineData("fr;q=0.4,nl;q=0.9", "Grote Markt", "nl")]
    [InlineData("nl-BE", "Grote Markt", "nl")]
    [InlineData("*", "Grand Place", "fr")]
    [InlineData("ja", "Grand Place", "fr")]
    public void Lang_renders_a_language_property_as_a_property_with_the_best_match(string lang, string value, string chosen)
    {
        var rendered = Render(Vehicle, new RenderOptions { Lang = lang });
        Assert.Equal(Compact($$"""{"type":"Property","value":"{{value}}","lang":"{{chosen}}"}"""), rendered["street"]!.ToJsonString());
    }

    [Fact]
    public void Without_a_match_lang_falls_back_to_the_none_entry()
    {
        var rendered = Render("""{"id":"urn:ngsi-ld:T:1","type":"T","name":{"languageMap":{"fr":"Pont","@none":"Bridge"}}}""", new RenderOptions { Lang = "de" });
        Json.Equal("""{"type":"Property","value":"Bridge","lang":"@none"}""", rendered["name"]);
    }

    [Fact]
    public void Lang_in_concise_and_simplified_forms()
    {
        var concise = Render(Vehicle, new RenderOptions { Lang = "en", Format = RepresentationFormat.Concise });
        Json.Equal("""{"value":"Big Square","lang":"en"}""", concise["street"]);
        var simplified = Render(Vehicle, new RenderOptions { Lang = "en", Format = RepresentationFormat.Simplified });
        Json.Equal("\"Big Square\"", simplified["street"]);
    }

    [Fact]
    public void Lang_keeps_the_sub_attributes_of_a_language_property()
    {
        var rendered = Render("""{"id":"urn:ngsi-ld:T:1","type":"T","name":{"type":"LanguageProperty","languageMap":{"en":"Bridge"},"source":{"type":"Property","value":"OSM"}}}""",
            new RenderOptions { Lang = "en" });
        Json.Equal("""{"type":"Property","value":"Bridge","lang":"en","source":{"type":"Property","value":"OSM"}}""", rendered["name"]);
    }

    [Fact]
    public void An_invalid_lang_is_refused()
    {
        Json.BadRequest(() => _ = new RenderOptions { Lang = "en_US" });
    }

    private const string MultiSpeed = """
        {"id":"urn:ngsi-ld:Vehicle:A4567","type":"Vehicle",
         "speed":[{"type":"Property","value":55},
                  {"type":"Property","value":54.5,"datasetId":"urn:ngsi-ld:Property:gps"},
                  {"type":"Property","value":53,"datasetId":"urn:ngsi-ld:Property:radar"}]}
        """;

    [Fact]
    public void Multi_attributes_render_as_arrays_of_instances_and_simplified_as_a_dataset_map()
    {
        Assert.Equal(Compact(MultiSpeed), Render(MultiSpeed, RenderOptions.Default).ToJsonString());
        Json.Equal("""
            [{"value":55},{"value":54.5,"datasetId":"urn:ngsi-ld:Property:gps"},{"value":53,"datasetId":"urn:ngsi-ld:Property:radar"}]
            """, Render(MultiSpeed, new RenderOptions { Format = RepresentationFormat.Concise })["speed"]);
        Json.Equal("""{"dataset":{"@none":55,"urn:ngsi-ld:Property:gps":54.5,"urn:ngsi-ld:Property:radar":53}}""",
            Render(MultiSpeed, new RenderOptions { Format = RepresentationFormat.Simplified })["speed"]);
    }

    [Fact]
    public void The_dataset_id_filter_selects_instances_with_none_for_the_default_one()
    {
        var one = Render(MultiSpeed, new RenderOptions { DatasetIds = new HashSet<string> { "urn:ngsi-ld:Property:radar" } });
        Json.Equal("""{"type":"Property","value":53,"datasetId":"urn:ngsi-ld:Property:radar"}""", one["speed"]);
        var two = Render(MultiSpeed, new RenderOptions { DatasetIds = new HashSet<string> { "@none", "urn:ngsi-ld:Property:gps" }, Format = RepresentationFormat.Simplified });
        Json.Equal("""{"dataset":{"@none":55,"urn:ngsi-ld:Property:gps":54.5}}""", two["speed"]);
        var none = Render(MultiSpeed, new RenderOptions { DatasetIds = new HashSet<string> { "urn:ngsi-ld:Property:other" } });
        Assert.False(none.ContainsKey("speed"));
    }

    [Fact]
    public void Rendering_does_not_share_nodes_with_the_model()
    {
        var entity = Parse("""{"id":"urn:ngsi-ld:T:1","type":"T","address":{"value":{"city":"Berlin"}}}""");
        var first = EntityRenderer.Render(entity, RenderOptions.Default, TestTerms.Instance);
        first["address"]!["value"]!["city"] = "Paris";
        var second = EntityRenderer.Render(entity, new RenderOptions { Format = RepresentationFormat.Simplified }, TestTerms.Instance);
        Json.Equal("""{"city":"Berlin"}""", second["address"]);
    }
}
