using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Representation;

namespace CityOS.Context.Tests.Representation;

public class EntityParserTests
{
    private static Entity Parse(string json) => EntityParser.ParseEntity(Json.Object(json), TestTerms.Instance, Json.Now);

    [Fact]
    public void Id_types_and_scopes_are_read_and_types_expanded()
    {
        var entity = Parse("""{"id":"urn:ngsi-ld:Vehicle:A4567","type":["Vehicle","Car","Vehicle"],"scope":["/Madrid/Gardens","/Madrid"]}""");
        Assert.Equal("urn:ngsi-ld:Vehicle:A4567", entity.Id);
        Assert.Equal([TestTerms.E("Vehicle"), TestTerms.E("Car")], entity.Types);
        Assert.Equal(["/Madrid/Gardens", "/Madrid"], entity.Scopes);
        Assert.Empty(entity.Attributes);
    }

    [Fact]
    public void System_attributes_in_the_input_are_ignored_and_the_clock_is_used()
    {
        var entity = Parse("""
            {"id":"urn:ngsi-ld:T:1","type":"T","createdAt":"2001-01-01T00:00:00Z","modifiedAt":"2001-01-01T00:00:00Z",
             "speed":{"type":"Property","value":80,"createdAt":"2001-01-01T00:00:00Z","modifiedAt":"2001-01-01T00:00:00Z",
                      "source":{"type":"Property","value":"radar","createdAt":"2001-01-01T00:00:00Z"}}}
            """);
        Assert.Equal(Json.Now, entity.CreatedAt);
        Assert.Equal(Json.Now, entity.ModifiedAt);
        var speed = Assert.Single(entity.Attributes).Value[0];
        Assert.Equal(Json.Now, speed.CreatedAt);
        Assert.Equal(Json.Now, speed.ModifiedAt);
        Assert.Equal(Json.Now, speed.SubAttributes[TestTerms.E("source")].CreatedAt);
        Assert.DoesNotContain(TestTerms.E("createdAt"), entity.Attributes.Keys);
    }

    [Fact]
    public void The_context_member_is_not_an_attribute()
    {
        var entity = Parse("""{"id":"urn:ngsi-ld:T:1","type":"T","@context":"https://example.org/context.jsonld","speed":1}""");
        Assert.Equal([TestTerms.E("speed")], entity.Attributes.Keys);
    }

    [Fact]
    public void Attributes_keep_the_order_of_the_payload()
    {
        var entity = Parse("""{"id":"urn:ngsi-ld:T:1","type":"T","zeta":1,"alpha":2,"mu":3}""");
        Assert.Equal([TestTerms.E("zeta"), TestTerms.E("alpha"), TestTerms.E("mu")], entity.Attributes.Keys);
    }

    [Fact]
    public void An_array_of_attribute_objects_is_a_multi_attribute_with_one_instance_per_dataset_id()
    {
        var entity = Parse("""
            {"id":"urn:ngsi-ld:Vehicle:A4567","type":"Vehicle",
             "speed":[{"type":"Property","value":55,"source":{"type":"Property","value":"Speedometer"}},
                      {"type":"Property","value":54.5,"datasetId":"urn:ngsi-ld:Property:gpsBxyz123-speed"},
                      {"value":53,"datasetId":"urn:ngsi-ld:Property:radar-speed"}]}
            """);
        var speed = entity.Attributes[TestTerms.E("speed")];
        Assert.Equal(3, speed.Count);
        Assert.Null(speed[0].DatasetId);
        Assert.Equal("urn:ngsi-ld:Property:gpsBxyz123-speed", speed[1].DatasetId);
        Assert.Equal("urn:ngsi-ld:Property:radar-speed", speed[2].DatasetId);
        Assert.Equal(53, speed[2].Value!.GetValue<int>());
    }

    [Fact]
    public void An_array_of_plain_values_is_the_value_of_one_concise_property()
    {
        var entity = Parse("""{"id":"urn:ngsi-ld:T:1","type":"T","tags":[{"name":"a"},"b"]}""");
        var tags = Assert.Single(entity.Attributes[TestTerms.E("tags")]);
        Assert.Equal(AttributeKind.Property, tags.Kind);
        Json.Equal("""[{"name":"a"},"b"]""", tags.Value);
    }

    [Fact]
    public void A_concise_property_with_a_value_member_holding_a_geometry_is_a_geo_property()
    {
        var entity = Parse("""{"id":"urn:ngsi-ld:T:1","type":"T","location":{"value":{"type":"Point","coordinates":[1,2]},"observedAt":"2026-11-22T02:30:00Z"}}""");
        var location = Assert.Single(entity.Attributes[TestTerms.E("location")]);
        Assert.Equal(AttributeKind.GeoProperty, location.Kind);
        Assert.Equal(Json.Now, location.ObservedAt);
    }

    [Fact]
    public void The_parsed_model_does_not_share_nodes_with_the_payload()
    {
        var payload = Json.Object("""{"id":"urn:ngsi-ld:T:1","type":"T","address":{"type":"Property","value":{"city":"Berlin"}}}""");
        var entity = EntityParser.ParseEntity(payload, TestTerms.Instance, Json.Now);
        payload["address"]!["value"]!["city"] = "Paris";
        Assert.Equal("Berlin", entity.Attributes[TestTerms.E("address")][0].Value!["city"]!.GetValue<string>());
    }

    [Fact]
    public void A_fragment_skips_context_id_type_and_scope_and_reads_the_attributes()
    {
        var fragment = Json.Object("""{"@context":"https://example.org/c.jsonld","id":"urn:ngsi-ld:T:1","type":"T","scope":"/A","speed":{"type":"Property","value":5}}""");
        var attributes = EntityParser.ParseAttributes(fragment, TestTerms.Instance, Json.Now, AttributeParseMode.Strict);
        Assert.Equal([TestTerms.E("speed")], attributes.Keys);
    }

    [Theory]
    [InlineData("""{"id":"not-a-uri","speed":1}""")]
    [InlineData("""{"type":5,"speed":1}""")]
    [InlineData("""{"scope":"no-slash","speed":1}""")]
    public void A_fragment_with_an_invalid_id_type_or_scope_is_refused(string fragment)
    {
        Json.BadRequest(() => EntityParser.ParseAttributes(Json.Object(fragment), TestTerms.Instance, Json.Now, AttributeParseMode.Strict));
    }

    [Fact]
    public void Patch_mode_reads_the_ngsi_ld_null_as_a_deletion()
    {
        var fragment = Json.Object("""
            {"a":"urn:ngsi-ld:null","b":{"type":"Property","value":"urn:ngsi-ld:null"},"c":null,
             "d":{"value":1,"accuracy":"urn:ngsi-ld:null"},"e":{"type":"Relationship","object":"urn:ngsi-ld:null"}}
            """);
        var attributes = EntityParser.ParseAttributes(fragment, TestTerms.Instance, Json.Now, AttributeParseMode.Patch);
        Assert.True(EntityParser.IsNgsiNull(attributes[TestTerms.E("a")][0].Value));
        Assert.True(EntityParser.IsNgsiNull(attributes[TestTerms.E("b")][0].Value));
        Assert.True(EntityParser.IsNgsiNull(attributes[TestTerms.E("c")][0].Value));
        Assert.True(EntityParser.IsNgsiNull(attributes[TestTerms.E("d")][0].SubAttributes[TestTerms.E("accuracy")].Value));
        Assert.False(EntityParser.IsNgsiNull(attributes[TestTerms.E("d")][0].Value));
        Assert.True(EntityParser.IsNgsiNull(attributes[TestTerms.E("e")][0].Value));
    }

    [Fact]
    public void Patch_mode_accepts_an_attribute_without_its_value_member_and_leaves_the_value_unset()
    {
        var fragment = Json.Object("""{"temperature":{"unitCode":"FAH"},"owner":{"type":"Relationship","objectType":"Person"}}""");
        var attributes = EntityParser.ParseAttributes(fragment, TestTerms.Instance, Json.Now, AttributeParseMode.Patch);
        var temperature = attributes[TestTerms.E("temperature")][0];
        Assert.Null(temperature.Value);
        Assert.Equal("FAH", temperature.UnitCode);
        var owner = attributes[TestTerms.E("owner")][0];
        Assert.Equal(AttributeKind.Relationship, owner.Kind);
        Assert.Null(owner.Value);
        Assert.Equal(TestTerms.E("Person"), owner.ObjectType!.GetValue<string>());
    }

    [Fact]
    public void Patch_mode_still_validates_what_is_given()
    {
        var fragment = Json.Object("""{"temperature":{"value":1,"observedAt":"soon"}}""");
        var error = Json.BadRequest(() => EntityParser.ParseAttributes(fragment, TestTerms.Instance, Json.Now, AttributeParseMode.Patch));
        Assert.Contains("temperature", error.Message);
    }

    [Fact]
    public void A_single_attribute_body_is_read_under_the_name_from_the_url()
    {
        var body = Json.Parse("""{"@context":"https://example.org/c.jsonld","value":30,"unitCode":"CEL"}""");
        var instances = EntityParser.ParseAttribute("temperature", body, TestTerms.Instance, Json.Now, AttributeParseMode.Patch);
        var temperature = Assert.Single(instances);
        Assert.Equal(30, temperature.Value!.GetValue<int>());
        Assert.Empty(temperature.SubAttributes);
    }

    [Fact]
    public void The_helpers_validate_ids_types_and_scopes()
    {
        Assert.Equal("urn:ngsi-ld:T:1", EntityParser.ParseEntityId(JsonValue.Create("urn:ngsi-ld:T:1")));
        Assert.Equal([TestTerms.E("T")], EntityParser.ParseTypes(JsonValue.Create("T"), TestTerms.Instance));
        Assert.Equal(["/A/B_1"], EntityParser.ParseScopes(JsonValue.Create("/A/B_1")));
        Json.BadRequest(() => EntityParser.ParseScopes(JsonValue.Create("/A/")));
    }
}
