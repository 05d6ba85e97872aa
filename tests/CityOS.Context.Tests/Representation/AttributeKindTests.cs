using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Representation;

namespace CityOS.Context.Tests.Representation;

/// <summary>Every attribute kind through every representation: normalized and concise input, normalized, concise and simplified output.</summary>
public class AttributeKindTests
{
    public sealed record Case(string Name, AttributeKind Kind, string Normalized, string Concise, string Simplified, string StoredValue)
    {
        public override string ToString() => Name;
    }

    public static readonly TheoryData<Case> Cases =
    [
        new("Property number", AttributeKind.Property,
            """{"type":"Property","value":21.5}""",
            "21.5",
            "21.5",
            "21.5"),
        new("Property with observedAt, unitCode and a sub-property", AttributeKind.Property,
            """{"type":"Property","value":21.5,"observedAt":"2026-11-22T02:30:00Z","unitCode":"CEL","accuracy":{"type":"Property","value":0.1}}""",
            """{"value":21.5,"observedAt":"2026-11-22T02:30:00Z","unitCode":"CEL","accuracy":0.1}""",
            "21.5",
            "21.5"),
        new("Property string", AttributeKind.Property,
            """{"type":"Property","value":"Mercedes"}""",
            "\"Mercedes\"",
            "\"Mercedes\"",
            "\"Mercedes\""),
        new("Property boolean", AttributeKind.Property,
            """{"type":"Property","value":false}""",
            "false",
            "false",
            "false"),
        new("Property structured value", AttributeKind.Property,
            """{"type":"Property","value":{"streetAddress":"Ornstr. 1","addressLocality":"Berlin"}}""",
            """{"value":{"streetAddress":"Ornstr. 1","addressLocality":"Berlin"}}""",
            """{"streetAddress":"Ornstr. 1","addressLocality":"Berlin"}""",
            """{"streetAddress":"Ornstr. 1","addressLocality":"Berlin"}"""),
        new("Property array value", AttributeKind.Property,
            """{"type":"Property","value":["red","green"]}""",
            """["red","green"]""",
            """["red","green"]""",
            """["red","green"]"""),
        new("Relationship", AttributeKind.Relationship,
            """{"type":"Relationship","object":"urn:ngsi-ld:OffStreetParking:Downtown1","objectType":"OffStreetParking"}""",
            """{"object":"urn:ngsi-ld:OffStreetParking:Downtown1","objectType":"OffStreetParking"}""",
            "\"urn:ngsi-ld:OffStreetParking:Downtown1\"",
            "\"urn:ngsi-ld:OffStreetParking:Downtown1\""),
        new("Relationship with a relationship of relationship", AttributeKind.Relationship,
            """{"type":"Relationship","object":"urn:ngsi-ld:OffStreetParking:Downtown1","providedBy":{"type":"Relationship","object":"urn:ngsi-ld:Person:Bob"}}""",
            """{"object":"urn:ngsi-ld:OffStreetParking:Downtown1","providedBy":{"object":"urn:ngsi-ld:Person:Bob"}}""",
            "\"urn:ngsi-ld:OffStreetParking:Downtown1\"",
            "\"urn:ngsi-ld:OffStreetParking:Downtown1\""),
        new("Relationship to several entities", AttributeKind.Relationship,
            """{"type":"Relationship","object":["urn:ngsi-ld:T:1","urn:ngsi-ld:T:2"]}""",
            """{"object":["urn:ngsi-ld:T:1","urn:ngsi-ld:T:2"]}""",
            """["urn:ngsi-ld:T:1","urn:ngsi-ld:T:2"]""",
            """["urn:ngsi-ld:T:1","urn:ngsi-ld:T:2"]"""),
        new("GeoProperty", AttributeKind.GeoProperty,
            """{"type":"GeoProperty","value":{"type":"Point","coordinates":[-8.5,41.2]}}""",
            """{"type":"Point","coordinates":[-8.5,41.2]}""",
            """{"type":"Point","coordinates":[-8.5,41.2]}""",
            """{"type":"Point","coordinates":[-8.5,41.2]}"""),
        new("GeoProperty with observedAt", AttributeKind.GeoProperty,
            """{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"observedAt":"2026-11-22T02:30:00Z"}""",
            """{"value":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"observedAt":"2026-11-22T02:30:00Z"}""",
            """{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}""",
            """{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"""),
        new("LanguageProperty", AttributeKind.LanguageProperty,
            """{"type":"LanguageProperty","languageMap":{"fr":"Grand Place","nl":"Grote Markt","@none":"Big Square"}}""",
            """{"languageMap":{"fr":"Grand Place","nl":"Grote Markt","@none":"Big Square"}}""",
            """{"languageMap":{"fr":"Grand Place","nl":"Grote Markt","@none":"Big Square"}}""",
            """{"fr":"Grand Place","nl":"Grote Markt","@none":"Big Square"}"""),
        new("ListProperty", AttributeKind.ListProperty,
            """{"type":"ListProperty","valueList":[1,"two",{"three":3}]}""",
            """{"valueList":[1,"two",{"three":3}]}""",
            """[1,"two",{"three":3}]""",
            """[1,"two",{"three":3}]"""),
        new("ListRelationship", AttributeKind.ListRelationship,
            """{"type":"ListRelationship","objectList":[{"object":"urn:ngsi-ld:Person:Alice"},{"object":"urn:ngsi-ld:Person:Bob"}],"objectType":"Person"}""",
            """{"objectList":[{"object":"urn:ngsi-ld:Person:Alice"},{"object":"urn:ngsi-ld:Person:Bob"}],"objectType":"Person"}""",
            """["urn:ngsi-ld:Person:Alice","urn:ngsi-ld:Person:Bob"]""",
            """[{"object":"urn:ngsi-ld:Person:Alice"},{"object":"urn:ngsi-ld:Person:Bob"}]"""),
        new("VocabProperty", AttributeKind.VocabProperty,
            """{"type":"VocabProperty","vocab":"Sunny"}""",
            """{"vocab":"Sunny"}""",
            """{"vocab":"Sunny"}""",
            $"\"{TestTerms.VocabValues}Sunny\""),
        new("VocabProperty with several values", AttributeKind.VocabProperty,
            """{"type":"VocabProperty","vocab":["Sunny","Windy"]}""",
            """{"vocab":["Sunny","Windy"]}""",
            """{"vocab":["Sunny","Windy"]}""",
            $"""["{TestTerms.VocabValues}Sunny","{TestTerms.VocabValues}Windy"]"""),
        new("JsonProperty", AttributeKind.JsonProperty,
            """{"type":"JsonProperty","json":{"type":"Point","value":[1,2],"nested":{"object":"not a relationship"}}}""",
            """{"json":{"type":"Point","value":[1,2],"nested":{"object":"not a relationship"}}}""",
            """{"json":{"type":"Point","value":[1,2],"nested":{"object":"not a relationship"}}}""",
            """{"type":"Point","value":[1,2],"nested":{"object":"not a relationship"}}"""),
    ];

    private static JsonObject EntityWith(string attribute) =>
        Json.Object($$"""{"id":"urn:ngsi-ld:Thing:1","type":"Thing","attr":{{attribute}}}""");

    private static NgsiAttribute ParseSingle(string attribute)
    {
        var entity = EntityParser.ParseEntity(EntityWith(attribute), TestTerms.Instance, Json.Now);
        var instances = entity.Attributes[TestTerms.E("attr")];
        return Assert.Single(instances);
    }

    private static JsonNode? RenderAttribute(string attribute, RepresentationFormat format)
    {
        var entity = EntityParser.ParseEntity(EntityWith(attribute), TestTerms.Instance, Json.Now);
        var rendered = EntityRenderer.Render(entity, new RenderOptions { Format = format }, TestTerms.Instance);
        return rendered["attr"];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Normalized_input_is_read_into_the_expanded_model(Case c)
    {
        var attribute = ParseSingle(c.Normalized);
        Assert.Equal(c.Kind, attribute.Kind);
        Json.Equal(c.StoredValue, attribute.Value);
        Assert.Equal(Json.Now, attribute.CreatedAt);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Concise_input_is_read_as_the_same_kind_and_value(Case c)
    {
        var attribute = ParseSingle(c.Concise);
        Assert.Equal(c.Kind, attribute.Kind);
        Json.Equal(c.StoredValue, attribute.Value);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Normalized_round_trip_gives_back_the_canonical_input(Case c)
    {
        Json.Equal(c.Normalized, RenderAttribute(c.Normalized, RepresentationFormat.Normalized));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Concise_input_renders_as_the_canonical_normalized_form(Case c)
    {
        Json.Equal(c.Normalized, RenderAttribute(c.Concise, RepresentationFormat.Normalized));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Concise_output_is_the_concise_form(Case c)
    {
        Json.Equal(c.Concise, RenderAttribute(c.Normalized, RepresentationFormat.Concise));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Simplified_output_is_the_bare_value_or_the_value_member_alone(Case c)
    {
        Json.Equal(c.Simplified, RenderAttribute(c.Normalized, RepresentationFormat.Simplified));
    }

    [Fact]
    public void Sub_attributes_and_object_types_are_stored_expanded()
    {
        var attribute = ParseSingle("""{"type":"Relationship","object":"urn:ngsi-ld:T:1","objectType":"Building","providedBy":{"type":"Relationship","object":"urn:ngsi-ld:Person:Bob"}}""");
        Assert.Equal(TestTerms.E("Building"), attribute.ObjectType!.GetValue<string>());
        var sub = attribute.SubAttributes[TestTerms.E("providedBy")];
        Assert.Equal(AttributeKind.Relationship, sub.Kind);
        Assert.Equal("urn:ngsi-ld:Person:Bob", sub.Value!.GetValue<string>());
    }

    [Fact]
    public void Bare_uris_in_an_object_list_are_accepted_and_stored_in_the_normalized_shape()
    {
        var attribute = ParseSingle("""{"type":"ListRelationship","objectList":["urn:ngsi-ld:Person:Alice"]}""");
        Json.Equal("""[{"object":"urn:ngsi-ld:Person:Alice"}]""", attribute.Value);
    }

    [Fact]
    public void Observed_at_with_an_offset_other_than_z_is_refused()
    {
        var error = Assert.Throws<CityOS.Core.NgsiLdException>(() => RenderAttribute("""{"type":"Property","value":1,"observedAt":"2026-11-22T03:30:00+01:00"}""", RepresentationFormat.Normalized));
        Assert.Contains("observedAt", error.Detail);
    }

    [Theory]
    [InlineData("2026-01-02T03:04:05.006Z", "2026-01-02T03:04:05.006Z")]
    [InlineData("2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z")]
    [InlineData("2026-01-02T03:04:05.000Z", "2026-01-02T03:04:05.000Z")]
    [InlineData("2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05.500Z")]
    [InlineData("2026-01-02T03:04:05.1234567Z", "2026-01-02T03:04:05.123Z")]
    [InlineData("2026-01-02T03:04:05", "2026-01-02T03:04:05Z")]
    public void ObservedAt_is_rendered_in_utc_with_three_fraction_digits_unless_written_without_a_fraction(string input, string expected)
    {
        var rendered = RenderAttribute($$"""{"type":"Property","value":1,"observedAt":"{{input}}"}""", RepresentationFormat.Normalized);
        Assert.Equal(expected, rendered!["observedAt"]!.GetValue<string>());
    }

    [Fact]
    public void A_concise_property_whose_value_is_an_array_of_objects_keeps_its_value_member()
    {
        var rendered = RenderAttribute("""{"type":"Property","value":[{"a":1},{"b":2}]}""", RepresentationFormat.Concise);
        Json.Equal("""{"value":[{"a":1},{"b":2}]}""", rendered);
    }
}
