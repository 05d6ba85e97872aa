using System.Net;
using static CityOS.NgsiV2.Tests.V2Client;

namespace CityOS.NgsiV2.Tests;

/// <summary>The examples of the FIWARE NGSI v2 specification (entities, simple query language, ordering, geo, values) with the answers it documents.</summary>
public sealed class V2SpecExamplesTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    private readonly V2Client _v2 = new(host.Client, "spec" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task The_Bcn_Welt_entity_is_created_and_read_with_the_types_Orion_infers()
    {
        var created = await _v2.PostAsync("/v2/entities", J("""
            {"type":"Room","id":"Bcn-Welt","temperature":{"value":21.7},"humidity":{"value":60},
             "location":{"value":"41.3763726, 2.1864475","type":"geo:point","metadata":{"crs":{"value":"WGS84"}}}}
            """));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("/v2/entities/Bcn-Welt?type=Room", created.Headers.Location?.OriginalString);

        var read = await _v2.GetAsync("/v2/entities/Bcn-Welt");
        Assert.Equal((HttpStatusCode.OK, "application/json"), (read.Status, read.ContentType));
        JsonAssert.Equal("""
            {"id":"Bcn-Welt","type":"Room","temperature":{"type":"Number","value":21.7,"metadata":{}},"humidity":{"type":"Number","value":60,"metadata":{}},
             "location":{"type":"geo:point","value":"41.3763726, 2.1864475","metadata":{"crs":{"type":"Text","value":"WGS84"}}}}
            """, read.Json);
        JsonAssert.Equal("""{"temperature":21.7}""", (await _v2.GetAsync("/v2/entities/Bcn-Welt/attrs?attrs=temperature&options=keyValues")).Json);
        JsonAssert.Equal("""{"id":"Bcn-Welt","type":"Room","location":"41.3763726, 2.1864475"}""", (await _v2.GetAsync("/v2/entities/Bcn-Welt?type=Room&attrs=location&options=keyValues")).Json);
    }

    [Fact]
    public async Task Attribute_values_are_text_plain_for_simple_values_and_JSON_for_structured_ones()
    {
        Assert.Equal(HttpStatusCode.Created, (await _v2.PostAsync("/v2/entities?options=keyValues", J("""{"id":"Car1","type":"Car","brand":"Ford","speed":98,"electric":false,"tirePressure":{"frontRight":120,"frontLeft":110}}"""))).Status);

        var brand = await _v2.GetAsync("/v2/entities/Car1/attrs/brand/value");
        Assert.Equal(("text/plain", "\"Ford\""), (brand.ContentType, brand.Text));
        var electric = await _v2.GetAsync("/v2/entities/Car1/attrs/electric/value", accept: "text/plain");
        Assert.Equal(("text/plain", "false"), (electric.ContentType, electric.Text));
        var tires = await _v2.GetAsync("/v2/entities/Car1/attrs/tirePressure/value");
        Assert.Equal("application/json", tires.ContentType);
        JsonAssert.Equal("""{"frontRight":120,"frontLeft":110}""", tires.Json);
        var notAcceptable = await _v2.GetAsync("/v2/entities/Car1/attrs/speed/value", accept: "application/json");
        Assert.Equal(HttpStatusCode.NotAcceptable, notAcceptable.Status);
        JsonAssert.Equal("""{"error":"NotAcceptable","description":"accepted MIME types: text/plain"}""", notAcceptable.Json);

        Assert.Equal(HttpStatusCode.NoContent, (await _v2.SendAsync(HttpMethod.Put, "/v2/entities/Car1/attrs/tirePressure/value", text: """{"frontRight":130,"frontLeft":115}""")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await _v2.SendAsync(HttpMethod.Put, "/v2/entities/Car1/attrs/brand/value", text: "\"Seat\"", contentType: "text/plain")).Status);
        JsonAssert.Equal("""{"id":"Car1","type":"Car","brand":"Seat","speed":98,"electric":false,"tirePressure":{"frontRight":130,"frontLeft":115}}""", (await _v2.GetAsync("/v2/entities/Car1?options=keyValues")).Json);
    }

    private async Task CreateCarsAsync()
    {
        var batch = await _v2.PostAsync("/v2/op/update?options=keyValues", J("""
            {"actionType":"append","entities":[
              {"id":"Car1","type":"Car","color":"black","speed":80,"title":"20","tirePressure":{"frontRight":140,"frontLeft":120},"status":"running"},
              {"id":"Car2","type":"Car","color":"white","speed":120,"title":"twenty","tirePressure":{"frontRight":125,"frontLeft":125}},
              {"id":"Car3","type":"Car","color":"red","speed":100,"title":"Scarlet","tirePressure":{"frontRight":110,"frontLeft":150},"status":"stopped"}]}
            """));
        Assert.Equal(HttpStatusCode.NoContent, batch.Status);
    }

    [Theory]
    [InlineData("speed==80", "Car1")]
    [InlineData("speed!=80", "Car2,Car3")]
    [InlineData("speed>90;speed<=120", "Car2,Car3")]
    [InlineData("speed==90..110", "Car3")]
    [InlineData("speed!=90..110", "Car1,Car2")]
    [InlineData("color==black,white", "Car1,Car2")]
    [InlineData("color!=black,white", "Car3")]
    [InlineData("color=='red'", "Car3")]
    [InlineData("title=='20'", "Car1")]
    [InlineData("title~=ent", "Car2")]
    [InlineData("title~=^S", "Car3")]
    [InlineData("status", "Car1,Car3")]
    [InlineData("!status", "Car2")]
    [InlineData("tirePressure.frontRight>130", "Car1")]
    [InlineData("tirePressure.frontLeft==120..130;color!=black", "Car2")]
    [InlineData("color:red", "Car3")]
    public async Task The_simple_query_language_selects_what_the_specification_says(string q, string ids)
    {
        await CreateCarsAsync();

        var found = await _v2.GetAsync("/v2/entities?type=Car&attrs=none&orderBy=id&q=" + Uri.EscapeDataString(q));

        Assert.Equal(HttpStatusCode.OK, found.Status);
        Assert.Equal(ids, string.Join(',', found.Json!.AsArray().Select(e => e!["id"]!.GetValue<string>())));
    }

    [Fact]
    public async Task Metadata_queries_ordering_paging_and_unique_values_answer_as_documented()
    {
        foreach (var (id, temperature, accuracy) in new[] { ("Room1", 23, 0.9), ("Room2", 21, 0.5), ("Room3", 23, 0.7) })
        {
            Assert.Equal(HttpStatusCode.Created, (await _v2.PostAsync("/v2/entities", J($$"""{"id":"{{id}}","type":"Room","temperature":{"value":{{temperature}},"type":"Number","metadata":{"accuracy":{"value":{{accuracy.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"type":"Number"}""" + "}}}"))).Status);
        }

        JsonAssert.Equal("""[{"id":"Room1","type":"Room"},{"id":"Room3","type":"Room"}]""", (await _v2.GetAsync("/v2/entities?mq=temperature.accuracy>0.6&attrs=none&orderBy=id")).Json);
        var ordered = await _v2.GetAsync("/v2/entities?orderBy=!temperature,!id&attrs=none");
        Assert.Equal("Room3,Room1,Room2", string.Join(',', ordered.Json!.AsArray().Select(e => e!["id"]!.GetValue<string>())));
        var page = await _v2.GetAsync("/v2/entities?orderBy=id&attrs=none&limit=2&offset=1&options=count");
        Assert.Equal("3", page.Header("Fiware-Total-Count"));
        Assert.Equal("Room2,Room3", string.Join(',', page.Json!.AsArray().Select(e => e!["id"]!.GetValue<string>())));
        JsonAssert.Equal("[[21],[23]]", (await _v2.GetAsync("/v2/entities?options=unique&attrs=temperature&orderBy=temperature")).Json);
        JsonAssert.Equal("""[{"id":"Room2","type":"Room","temperature":{"type":"Number","value":21,"metadata":{"accuracy":{"type":"Number","value":0.5}}}}]""", (await _v2.GetAsync("/v2/entities?id=Room2")).Json);
    }

    [Fact]
    public async Task Geo_queries_of_the_specification_order_by_distance()
    {
        foreach (var (id, point) in new[] { ("Sol", "40.416775, -3.703790"), ("Retiro", "40.415260, -3.684416"), ("Getafe", "40.305, -3.7325") })
        {
            Assert.Equal(HttpStatusCode.Created, (await _v2.PostAsync("/v2/entities", J($$$"""{"id":"{{{id}}}","type":"Place","location":{"type":"geo:point","value":"{{{point}}}"}}"""))).Status);
        }

        var near = await _v2.GetAsync("/v2/entities?georel=near;maxDistance:20000&geometry=point&coords=40.418889,-3.691944&orderBy=geo:distance&attrs=none");
        Assert.Equal(HttpStatusCode.OK, near.Status);
        Assert.Equal("Retiro,Sol,Getafe", string.Join(',', near.Json!.AsArray().Select(e => e!["id"]!.GetValue<string>())));
        var within = await _v2.GetAsync("/v2/entities?georel=near;maxDistance:1500&geometry=point&coords=40.418889,-3.691944&attrs=none&orderBy=geo:distance");
        Assert.Equal("Retiro,Sol", string.Join(',', within.Json!.AsArray().Select(e => e!["id"]!.GetValue<string>())));
        var covered = await _v2.GetAsync("/v2/entities?georel=coveredBy&geometry=polygon&coords=40.40,-3.71;40.43,-3.71;40.43,-3.69;40.40,-3.69;40.40,-3.71&attrs=none");
        Assert.Equal("Sol", string.Join(',', covered.Json!.AsArray().Select(e => e!["id"]!.GetValue<string>())));
        var disjoint = await _v2.GetAsync("/v2/entities?georel=disjoint&geometry=polygon&coords=40.40,-3.71;40.43,-3.71;40.43,-3.69;40.40,-3.69;40.40,-3.71&attrs=none&orderBy=id");
        Assert.Equal("Getafe,Retiro", string.Join(',', disjoint.Json!.AsArray().Select(e => e!["id"]!.GetValue<string>())));

        var unordered = await _v2.GetAsync("/v2/entities?orderBy=geo:distance");
        Assert.Equal(HttpStatusCode.BadRequest, unordered.Status);
        Assert.Equal("BadRequest", unordered.Json!["error"]!.GetValue<string>());
    }
}
