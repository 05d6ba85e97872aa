using System.Net;
using System.Text.Json.Nodes;
using static CityOS.NgsiV2.Tests.V2Client;

namespace CityOS.NgsiV2.Tests;

/// <summary>One store, two APIs: an entity written through /v2 reads through /ngsi-ld/v1 and back without loss.</summary>
public sealed class CrossApiRoundTripTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    private readonly V2Client _api = new(host.Client, "rt" + Guid.NewGuid().ToString("N")[..12]);

    public static TheoryData<string, string, string> Attributes => new()
    {
        { """{"type":"Number","value":23.5,"metadata":{}}""", "Property", """{"type":"Property","value":23.5}""" },
        { """{"type":"Text","value":"Calle Mayor","metadata":{}}""", "Property", """{"type":"Property","value":"Calle Mayor"}""" },
        { """{"type":"Boolean","value":true,"metadata":{}}""", "Property", """{"type":"Property","value":true}""" },
        { """{"type":"StructuredValue","value":{"street":"Mayor","number":[1]},"metadata":{}}""", "JsonProperty", """{"type":"JsonProperty","json":{"street":"Mayor","number":[1]}}""" },
        { """{"type":"StructuredValue","value":[7],"metadata":{}}""", "JsonProperty", """{"type":"JsonProperty","json":[7]}""" },
        { """{"type":"DateTime","value":"2024-05-01T10:00:00Z","metadata":{}}""", "Property", """{"type":"Property","value":{"@type":"DateTime","@value":"2024-05-01T10:00:00Z"}}""" },
        { """{"type":"geo:json","value":{"type":"Point","coordinates":[-3.7,40.4]},"metadata":{}}""", "GeoProperty", """{"type":"GeoProperty","value":{"type":"Point","coordinates":[-3.7,40.4]}}""" },
        { """{"type":"geo:point","value":"40.4, -3.7","metadata":{}}""", "GeoProperty", """{"type":"GeoProperty","value":{"type":"Point","coordinates":[-3.7,40.4]},"valueType":{"type":"Property","value":"geo:point"}}""" },
        { """{"type":"geo:box","value":["40.3, -3.8","40.5, -3.6"],"metadata":{}}""", "GeoProperty", """{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[-3.8,40.3],[-3.6,40.3],[-3.6,40.5],[-3.8,40.5],[-3.8,40.3]]]},"valueType":{"type":"Property","value":"geo:box"}}""" },
        { """{"type":"Relationship","value":"Building1","metadata":{}}""", "Relationship", """{"type":"Relationship","object":"urn:ngsi-v2:Building1"}""" },
        { """{"type":"Relationship","value":"urn:ngsi-ld:Building:7","metadata":{}}""", "Relationship", """{"type":"Relationship","object":"urn:ngsi-ld:Building:7"}""" },
        { """{"type":"None","value":null,"metadata":{}}""", "Property", """{"type":"Property","value":"urn:ngsi-v2:null"}""" },
        { """{"type":"Text","value":null,"metadata":{"accuracy":{"type":"Number","value":null}}}""", "Property", """{"type":"Property","value":"urn:ngsi-v2:null","valueType":{"type":"Property","value":"Text"},"accuracy":{"type":"Property","value":"urn:ngsi-v2:null","valueType":{"type":"Property","value":"Number"}}}""" },
        { """{"type":"geo:line","value":["40.4, -3.7","40.5, -3.6"],"metadata":{}}""", "GeoProperty", """{"type":"GeoProperty","value":{"type":"LineString","coordinates":[[-3.7,40.4],[-3.6,40.5]]},"valueType":{"type":"Property","value":"geo:line"}}""" },
        { """{"type":"geo:polygon","value":["40.4, -3.7","40.5, -3.7","40.5, -3.6","40.4, -3.7"],"metadata":{}}""", "GeoProperty", """{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[-3.7,40.4],[-3.7,40.5],[-3.6,40.5],[-3.7,40.4]]]},"valueType":{"type":"Property","value":"geo:polygon"}}""" },
        { """{"type":"Number","value":7,"metadata":{"source":{"type":"Relationship","value":"Sensor1"},"note":{"type":"StructuredValue","value":{"k":[1,2]}}}}""", "Property",
          """{"type":"Property","value":7,"source":{"type":"Relationship","object":"urn:ngsi-v2:Sensor1"},"note":{"type":"JsonProperty","json":{"k":[1,2]}}}""" },
        { """{"type":"Float","value":21,"metadata":{"accuracy":{"type":"Number","value":0.5},"unitCode":{"type":"Text","value":"CEL"},"observedAt":{"type":"DateTime","value":"2024-05-01T10:00:00Z"}}}""", "Property",
          """{"type":"Property","value":21,"valueType":{"type":"Property","value":"Float"},"accuracy":{"type":"Property","value":0.5},"unitCode":"CEL","observedAt":"2024-05-01T10:00:00Z"}""" },
    };

    [Theory]
    [MemberData(nameof(Attributes))]
    public async Task A_v2_attribute_reads_through_NGSI_LD_and_an_NGSI_LD_write_of_it_reads_back_through_v2_unchanged(string v2Attribute, string ldType, string ldAttribute)
    {
        var name = ldType == "GeoProperty" ? "location" : "attr";
        var id = "E" + Guid.NewGuid().ToString("N")[..8];
        var created = await _api.PostAsync("/v2/entities", new JsonObject { ["id"] = id, ["type"] = "Thing", [name] = J(v2Attribute) });
        Assert.Equal(HttpStatusCode.Created, created.Status);

        var ld = await _api.GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-v2:{id}");
        Assert.Equal(HttpStatusCode.OK, ld.Status);
        Assert.Equal("Thing", ld.Json!["type"]!.GetValue<string>());
        JsonAssert.Equal(ldAttribute, ld.Json[name]);

        var copy = "C" + Guid.NewGuid().ToString("N")[..8];
        var ldWrite = await _api.PostAsync("/ngsi-ld/v1/entities", new JsonObject { ["id"] = "urn:ngsi-v2:" + copy, ["type"] = "Thing", [name] = ld.Json[name]!.DeepClone() });
        Assert.Equal(HttpStatusCode.Created, ldWrite.Status);
        var v2 = await _api.GetAsync($"/v2/entities/{copy}");
        Assert.Equal(HttpStatusCode.OK, v2.Status);
        JsonAssert.Equal(new JsonObject { ["id"] = copy, ["type"] = "Thing", [name] = J(v2Attribute) }.ToJsonString(), v2.Json);
    }

    [Fact]
    public async Task An_NGSI_LD_entity_reads_through_v2_with_its_URI_id_and_v2_changes_read_through_NGSI_LD()
    {
        var id = "urn:ngsi-ld:Parking:" + Guid.NewGuid().ToString("N")[..8];
        var created = await _api.PostAsync("/ngsi-ld/v1/entities", J($$$"""{"id":"{{{id}}}","type":"OffStreetParking","availableSpotNumber":{"type":"Property","value":121,"observedAt":"2024-05-01T10:00:00Z"},"isIn":{"type":"Relationship","object":"urn:ngsi-ld:City:Osaka"}}"""));
        Assert.Equal(HttpStatusCode.Created, created.Status);

        JsonAssert.Equal("""{"id":"ID","type":"OffStreetParking","availableSpotNumber":{"type":"Number","value":121,"metadata":{"observedAt":{"type":"DateTime","value":"2024-05-01T10:00:00Z"}}},"isIn":{"type":"Relationship","value":"urn:ngsi-ld:City:Osaka","metadata":{}}}""".Replace("ID", id),
            (await _api.GetAsync($"/v2/entities/{id}")).Json);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Put, $"/v2/entities/{id}/attrs/availableSpotNumber/value", text: "99", contentType: "text/plain")).Status);
        var ld = await _api.GetAsync($"/ngsi-ld/v1/entities/{id}?options=keyValues");
        Assert.Equal(99, ld.Json!["availableSpotNumber"]!.GetValue<int>());
        JsonAssert.Equal($$"""[{"id":"{{id}}","type":"OffStreetParking","availableSpotNumber":99}]""", (await _api.GetAsync("/v2/entities?type=OffStreetParking&q=availableSpotNumber<100&attrs=availableSpotNumber&options=keyValues")).Json);
    }

    [Theory]
    [InlineData("Room1", "urn:ngsi-v2:Room1")]
    [InlineData("urn:ngsi-ld:Room:1", "urn:ngsi-ld:Room:1")]
    [InlineData("urn:ngsi-v2:Room1", "urn:ngsi-v2:urn:ngsi-v2:Room1")]
    public void Ids_map_to_NGSI_LD_and_back(string v2, string ld)
    {
        Assert.Equal(ld, V2Mapping.ToLdId(v2));
        Assert.Equal(v2, V2Mapping.FromLdId(ld));
    }
}
