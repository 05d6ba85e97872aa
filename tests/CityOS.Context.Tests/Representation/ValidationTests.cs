using System.Text.Json.Nodes;
using CityOS.Context.Representation;

namespace CityOS.Context.Tests.Representation;

/// <summary>Invalid payloads are refused with BadRequestData, and the message says which attribute and what is wrong.</summary>
public class ValidationTests
{
    public static readonly TheoryData<string, string, string> InvalidAttributes = new()
    {
        // attribute JSON, text the message names (the attribute), text that says what is wrong
        { "null", "temperature", "null" },
        { """{"type":"Property"}""", "temperature", "\"value\"" },
        { """{"type":"Property","value":null}""", "temperature", "null" },
        { """{"unitCode":"CEL","observedAt":"2026-11-22T02:30:00Z"}""", "temperature", "value" },
        { """{"type":"Proprety","value":1}""", "temperature", "Proprety" },
        { """{"type":3,"value":1}""", "temperature", "type" },
        { """{"value":1,"object":"urn:ngsi-ld:T:1"}""", "temperature", "inferred" },
        { """{"type":"Property","value":1,"object":"urn:ngsi-ld:T:1"}""", "temperature", "\"object\"" },
        { """{"type":"Property","value":1,"observedAt":"yesterday"}""", "temperature", "observedAt" },
        { """{"type":"Property","value":1,"observedAt":"2026-11-22"}""", "temperature", "observedAt" },
        { """{"type":"Property","value":1,"observedAt":1700000000}""", "temperature", "observedAt" },
        { """{"type":"Property","value":1,"unitCode":""}""", "temperature", "unitCode" },
        { """{"type":"Property","value":1,"datasetId":"not a uri"}""", "temperature", "datasetId" },
        { """{"type":"Property","value":1,"datasetId":5}""", "temperature", "datasetId" },
        { "\"urn:ngsi-ld:null\"", "temperature", "urn:ngsi-ld:null" },
        { """{"type":"Property","value":"urn:ngsi-ld:null"}""", "temperature", "urn:ngsi-ld:null" },
        { """{"type":"Property","value":1,"accuracy":{"type":"Property","value":null}}""", "temperature.accuracy", "null" },
        { """{"type":"Property","value":1,"accuracy":{"type":"Property","value":1,"observedAt":"noon"}}""", "temperature.accuracy", "observedAt" },
        { """{"type":"Relationship","object":"just some text"}""", "temperature", "URI" },
        { """{"type":"Relationship","object":["urn:ngsi-ld:T:1",7]}""", "temperature", "URI" },
        { """{"type":"Relationship","object":[]}""", "temperature", "object" },
        { """{"type":"Relationship","value":"urn:ngsi-ld:T:1"}""", "temperature", "\"value\"" },
        { """{"type":"Relationship","object":"urn:ngsi-ld:T:1","objectType":5}""", "temperature", "objectType" },
        { """{"object":"urn:ngsi-ld:T:1","objectType":"Bad Type"}""", "temperature", "objectType" },
        { """{"type":"GeoProperty","value":"POINT(1 2)"}""", "temperature", "GeoJSON" },
        { """{"type":"GeoProperty","value":{"type":"Point","coordinates":[1]}}""", "temperature", "2 or 3 numbers" },
        { """{"type":"GeoProperty","value":{"type":"Point","coordinates":["1","2"]}}""", "temperature", "finite number" },
        { """{"type":"GeoProperty","value":{"type":"LineString","coordinates":[[1,2]]}}""", "temperature", "LineString" },
        { """{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}""", "temperature", "linear ring" },
        { """{"type":"GeoProperty","value":{"type":"Circle","coordinates":[1,2]}}""", "temperature", "Circle" },
        { """{"type":"GeoProperty","value":{"type":"GeometryCollection","geometries":[{"type":"Point"}]}}""", "temperature", "GeometryCollection" },
        { """{"type":"Feature","geometry":null}""", "temperature", "Feature" },
        { """{"type":"LanguageProperty","languageMap":{"english language":"x"}}""", "temperature", "language tag" },
        { """{"type":"LanguageProperty","languageMap":{"en":5}}""", "temperature", "'en'" },
        { """{"type":"LanguageProperty","languageMap":{}}""", "temperature", "languageMap" },
        { """{"type":"LanguageProperty","languageMap":"hello"}""", "temperature", "languageMap" },
        { """{"type":"ListProperty","valueList":5}""", "temperature", "valueList" },
        { """{"type":"ListRelationship","objectList":["not a uri"]}""", "temperature", "objectList" },
        { """{"type":"ListRelationship","objectList":"urn:ngsi-ld:T:1"}""", "temperature", "objectList" },
        { """{"type":"VocabProperty","vocab":5}""", "temperature", "vocab" },
        { """{"type":"JsonProperty","json":null}""", "temperature", "null" },
        { """[{"type":"Property","value":1,"datasetId":"urn:ds:1"},{"type":"Property","value":2,"datasetId":"urn:ds:1"}]""", "temperature", "urn:ds:1" },
        { """[{"type":"Property","value":1},{"type":"Property","value":2}]""", "temperature", "without a datasetId" },
    };

    [Theory]
    [MemberData(nameof(InvalidAttributes))]
    public void An_invalid_attribute_is_refused_naming_the_attribute(string attribute, string named, string problem)
    {
        var payload = Json.Object($$"""{"id":"urn:ngsi-ld:Thing:1","type":"Thing","temperature":{{attribute}}}""");
        var error = Json.BadRequest(() => EntityParser.ParseEntity(payload, TestTerms.Instance, Json.Now));
        Assert.Contains($"'{named}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [MemberData(nameof(InvalidAttributes))]
    public void The_same_attribute_is_refused_by_append(string attribute, string named, string problem)
    {
        var fragment = Json.Object($$"""{"temperature":{{attribute}}}""");
        var error = Json.BadRequest(() => EntityParser.ParseAttributes(fragment, TestTerms.Instance, Json.Now, AttributeParseMode.Strict));
        Assert.Contains($"'{named}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    public static readonly TheoryData<string, string> InvalidNames = new()
    {
        { "temp(1)", "not allowed" },
        { "my attr", "not allowed" },
        { "a=b", "not allowed" },
        { "value", "reserved" },
        { "object", "reserved" },
        { "observedAt", "reserved" },
        { "datasetId", "reserved" },
        { "@id", "reserved" },
    };

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void Attribute_names_that_are_reserved_or_hold_forbidden_characters_are_refused(string name, string problem)
    {
        var payload = new JsonObject { ["id"] = "urn:ngsi-ld:Thing:1", ["type"] = "Thing", [name] = new JsonObject { ["type"] = "Property", ["value"] = 1 } };
        var error = Json.BadRequest(() => EntityParser.ParseEntity(payload, TestTerms.Instance, Json.Now));
        Assert.Contains($"'{name}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    /// <summary>At sub-attribute level the core members (value, observedAt, ...) are members of the attribute itself, so only these apply.</summary>
    public static readonly TheoryData<string, string> InvalidSubAttributeNames = new()
    {
        { "temp(1)", "not allowed" },
        { "my attr", "not allowed" },
        { "@id", "reserved" },
        { "@context", "reserved" },
        { "id", "reserved" },
    };

    [Theory]
    [MemberData(nameof(InvalidSubAttributeNames))]
    public void Sub_attribute_names_follow_the_same_rules(string name, string problem)
    {
        var attribute = new JsonObject { ["type"] = "Property", ["value"] = 1, [name] = new JsonObject { ["type"] = "Property", ["value"] = 1 } };
        var payload = new JsonObject { ["id"] = "urn:ngsi-ld:Thing:1", ["type"] = "Thing", ["temperature"] = attribute };
        var error = Json.BadRequest(() => EntityParser.ParseEntity(payload, TestTerms.Instance, Json.Now));
        Assert.Contains("temperature", error.Message);
        Assert.Contains($"'{name}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    public static readonly TheoryData<string, string> InvalidEntities = new()
    {
        { """{"type":"Thing"}""", "\"id\"" },
        { """{"id":"urn:ngsi-ld:Thing:1"}""", "\"type\"" },
        { """{"id":"Thing1","type":"Thing"}""", "Thing1" },
        { """{"id":"urn:ngsi-ld:Thing 1","type":"Thing"}""", "urn:ngsi-ld:Thing 1" },
        { """{"id":42,"type":"Thing"}""", "\"id\"" },
        { """{"id":"urn:ngsi-ld:Thing:1","type":42}""", "\"type\"" },
        { """{"id":"urn:ngsi-ld:Thing:1","type":[]}""", "\"type\"" },
        { """{"id":"urn:ngsi-ld:Thing:1","type":["Thing",1]}""", "\"type\"" },
        { """{"id":"urn:ngsi-ld:Thing:1","type":"Thing<script>"}""", "Thing<script>" },
        { """{"id":"urn:ngsi-ld:Thing:1","type":"Thing","scope":"Madrid"}""", "Madrid" },
        { """{"id":"urn:ngsi-ld:Thing:1","type":"Thing","scope":"/Madrid//Gardens"}""", "/Madrid//Gardens" },
        { """{"id":"urn:ngsi-ld:Thing:1","type":"Thing","scope":5}""", "\"scope\"" },
        { """{"id":"urn:ngsi-ld:Thing:1","type":"Thing","temperature":21,"https://example.org/temperature":22}""", "twice" },
    };

    [Theory]
    [MemberData(nameof(InvalidEntities))]
    public void Invalid_entity_members_are_refused(string payload, string named)
    {
        var error = Json.BadRequest(() => EntityParser.ParseEntity(Json.Object(payload), TestTerms.Instance, Json.Now));
        Assert.Contains(named, error.Message);
    }
}
