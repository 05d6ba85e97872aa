using System.Net;
using System.Text.Json.Nodes;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Query entities (5.7.2, 6.4.3.2 and POST 6.23) with every selection and paging parameter. Each test uses its own tenant.</summary>
public sealed class QueryApiTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    /// <summary>Ten parking spots around Shibuya station (139.7016, 35.6580), spots 0-9 going 100 m east each, and two streets.</summary>
    private async Task<string> CityAsync()
    {
        var tenant = "q" + Guid.NewGuid().ToString("N")[..12];
        var batch = new JsonArray();
        for (var i = 0; i < 10; i++)
        {
            batch.Add(JsonNode.Parse($$$$"""
                {"id": "urn:ngsi-ld:ParkingSpot:{{{{i}}}}", "type": "ParkingSpot",
                 "status": {"type": "Property", "value": "{{{{(i % 3 == 0 ? "free" : "occupied")}}}}"},
                 "capacity": {"type": "Property", "value": {{{{i * 10}}}}},
                 "category": {"type": "Property", "value": ["onStreet", "{{{{(i < 5 ? "public" : "private")}}}}"]},
                 "refStreet": {"type": "Relationship", "object": "urn:ngsi-ld:Street:{{{{i % 2}}}}"},
                 "sensor": {"type": "Property", "value": {"battery": {{{{i}}}}, "vendor": "acme"},
                            "observedAt": "2026-11-{{{{(10 + i)}}}}T00:00:00Z"},
                 "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [{{{{139.7016 + i * 0.0011}}}}, 35.6580]}}}
                """));
        }
        batch.Add(JsonNode.Parse("""{"id": "urn:ngsi-ld:Street:0", "type": "Street", "name": {"type": "Property", "value": "Dogenzaka"}}"""));
        batch.Add(JsonNode.Parse("""{"id": "urn:ngsi-ld:Street:1", "type": "Street", "name": {"type": "Property", "value": "Meiji-dori"}}"""));
        var response = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/create", Json(batch), tenant));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return tenant;
    }

    private static string[] Spots(params int[] numbers) => numbers.Select(n => $"urn:ngsi-ld:ParkingSpot:{n}").ToArray();

    [Theory]
    [InlineData("type=ParkingSpot&q=status==%22free%22", new[] { 0, 3, 6, 9 })]
    [InlineData("type=ParkingSpot&q=capacity>50", new[] { 6, 7, 8, 9 })]
    [InlineData("type=ParkingSpot&q=capacity>=20;capacity<40", new[] { 2, 3 })]
    [InlineData("type=ParkingSpot&q=capacity==20..40", new[] { 2, 3, 4 })]
    [InlineData("type=ParkingSpot&q=capacity==10,30,90", new[] { 1, 3, 9 })]
    [InlineData("type=ParkingSpot&q=capacity!=0;capacity<30", new[] { 1, 2 })]
    [InlineData("type=ParkingSpot&q=(capacity<20|capacity>=80);status==%22occupied%22", new[] { 1, 8 })]
    [InlineData("type=ParkingSpot&q=refStreet==%22urn:ngsi-ld:Street:1%22", new[] { 1, 3, 5, 7, 9 })]
    [InlineData("type=ParkingSpot&q=sensor[battery]>7", new[] { 8, 9 })]
    [InlineData("type=ParkingSpot&q=sensor.observedAt>=2026-11-18T00:00:00Z", new[] { 8, 9 })]
    [InlineData("type=ParkingSpot&q=category==%22private%22;capacity<70", new[] { 5, 6 })]
    [InlineData("type=ParkingSpot&q=status~=%22^fr%22;capacity>0", new[] { 3, 6, 9 })]
    [InlineData("id=urn:ngsi-ld:ParkingSpot:1,urn:ngsi-ld:ParkingSpot:4", new[] { 1, 4 })]
    [InlineData("idPattern=ParkingSpot:[2-3]$", new[] { 2, 3 })]
    [InlineData("type=ParkingSpot&georel=near;maxDistance==250&geometry=Point&coordinates=[139.7016,35.6580]", new[] { 0, 1, 2 })]
    [InlineData("type=ParkingSpot&georel=near;minDistance==750&geometry=Point&coordinates=[139.7016,35.6580]", new[] { 8, 9 })]
    [InlineData("type=ParkingSpot&georel=within&geometry=Polygon&coordinates=[[[139.7040,35.65],[139.7080,35.65],[139.7080,35.67],[139.7040,35.67],[139.7040,35.65]]]", new[] { 3, 4, 5 })]
    public async Task Selections_return_exactly_the_matching_entities(string query, int[] expected)
    {
        var tenant = await CityAsync();

        var result = await _client.QueryAsync(query + "&limit=100", tenant);

        Assert.Equal(Spots(expected).Order(), result.Ids().Order());
    }

    [Fact]
    public async Task Near_results_come_nearest_first()
    {
        var tenant = await CityAsync();

        var result = await _client.QueryAsync("type=ParkingSpot&georel=near;maxDistance==1000&geometry=Point&coordinates=[139.7115,35.6580]", tenant);

        Assert.Equal(Spots(9, 8, 7, 6, 5, 4, 3, 2, 1, 0).Take(result.Count), result.Ids());
        Assert.Equal("urn:ngsi-ld:ParkingSpot:9", result.Ids()[0]);
    }

    [Fact]
    public async Task Near_orders_points_and_lines_together_by_their_nearest_point()
    {
        var tenant = "n" + Guid.NewGuid().ToString("N")[..12];
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Thing:far-point", "type": "Thing", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [139.7060, 35.6580]}}}""", tenant);
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Thing:near-line", "type": "Thing", "location": {"type": "GeoProperty", "value": {"type": "LineString", "coordinates": [[139.7020, 35.6570], [139.7020, 35.6590]]}}}""", tenant);
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Thing:mid-point", "type": "Thing", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [139.7040, 35.6580]}}}""", tenant);
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Thing:outside", "type": "Thing", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [139.7200, 35.6580]}}}""", tenant);
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Other:closest", "type": "Other", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [139.7016, 35.6580]}}}""", tenant);

        var result = await _client.QueryAsync("type=Thing&georel=near;maxDistance==600&geometry=Point&coordinates=[139.7016,35.6580]&count=true", tenant);

        Assert.Equal(["urn:ngsi-ld:Thing:near-line", "urn:ngsi-ld:Thing:mid-point", "urn:ngsi-ld:Thing:far-point"], result.Ids());
        var second = await _client.QueryAsync("type=Thing&georel=near;maxDistance==600&geometry=Point&coordinates=[139.7016,35.6580]&limit=1&offset=1", tenant);
        Assert.Equal(["urn:ngsi-ld:Thing:mid-point"], second.Ids());
    }

    [Fact]
    public async Task Types_can_be_combined()
    {
        var tenant = await CityAsync();

        Assert.Equal(12, (await _client.QueryAsync("type=ParkingSpot,Street&limit=100", tenant)).Count);
        Assert.Equal(12, (await _client.QueryAsync("type=ParkingSpot|Street&limit=100", tenant)).Count);
        Assert.Equal(2, (await _client.QueryAsync("type=Street", tenant)).Count);
        Assert.Empty(await _client.QueryAsync("type=ParkingSpot;Street", tenant));
    }

    [Fact]
    public async Task Attrs_selects_entities_having_one_of_them_and_projects()
    {
        var tenant = await CityAsync();

        var result = await _client.QueryAsync("attrs=name", tenant);

        Assert.Equal(["urn:ngsi-ld:Street:0", "urn:ngsi-ld:Street:1"], result.Ids().Order());
        Assert.All(result, e => Assert.Equal(["id", "type", "name"], e!.AsObject().Select(p => p.Key)));
    }

    /// <summary>orderBy (4.23, V1.9.1): by attribute, sub-attribute, id and type, ascending or descending, several keys, then paged.</summary>
    [Fact]
    public async Task OrderBy_sorts_the_whole_result_before_the_page_is_cut()
    {
        var tenant = "orderby" + Guid.NewGuid().ToString("N")[..8];
        foreach (var (n, name, rank) in new[] { (2, "B", 2), (1, "A", 1), (3, "C", 3), (4, "", 0) })
        {
            var attribute = name.Length == 0 ? "" : $$$""", "name": {"type": "Property", "value": "{{{name}}}", "rank": {"type": "Property", "value": {{{rank}}}}}""";
            var created = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entities", Json($$$"""{"id": "urn:ngsi-ld:Hall:{{{n}}}", "type": "Hall"{{{attribute}}}}"""), tenant));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        string[] Halls(params int[] n) => n.Select(i => $"urn:ngsi-ld:Hall:{i}").ToArray();

        Assert.Equal(Halls(1, 2, 3, 4), (await _client.QueryAsync("type=Hall&orderBy=name", tenant)).Ids());
        Assert.Equal(Halls(3, 2, 1, 4), (await _client.QueryAsync("type=Hall&orderBy=name;desc", tenant)).Ids());
        Assert.Equal(Halls(3, 2, 1, 4), (await _client.QueryAsync("type=Hall&orderBy=type;asc,name.rank;desc", tenant)).Ids());
        Assert.Equal(Halls(1, 2, 3, 4), (await _client.QueryAsync("type=Hall&orderBy=id", tenant)).Ids());
        Assert.Equal(Halls(2, 1), (await _client.QueryAsync("type=Hall&orderBy=id;desc&limit=2&offset=2", tenant)).Ids());
        var counted = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Hall&orderBy=id&limit=2&count=true", tenant: tenant));
        Assert.Equal("4", counted.Headers.GetValues("NGSILD-Results-Count").Single());
        var bad = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Hall&orderBy=name;sideways", tenant: tenant));
        await bad.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Paging_with_limit_offset_count_and_link_headers()
    {
        var tenant = await CityAsync();

        var first = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=ParkingSpot&limit=4&count=true", tenant: tenant));
        Assert.Equal("10", first.Headers.GetValues("NGSILD-Results-Count").Single());
        var firstPage = (await first.BodyAsync()).AsArray();
        Assert.Equal(4, firstPage.Count);
        var links = string.Join(",", first.Headers.GetValues("Link"));
        Assert.Contains("rel=\"next\"", links);
        Assert.Contains("offset=4", links);
        // The parameters in name order, ':' and '*' as written, no trailing slash after the collection.
        var patterned = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities/?type=ParkingSpot&idPattern=urn:ngsi-ld:ParkingSpot:.*&limit=4&count=true", tenant: tenant));
        Assert.Contains("</ngsi-ld/v1/entities?count=true&idPattern=urn:ngsi-ld:ParkingSpot:.*&limit=4&offset=4&type=ParkingSpot>; rel=\"next\"; type=\"application/json\"",
            string.Join(", ", patterned.Headers.GetValues("Link")));

        var last = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=ParkingSpot&limit=4&offset=8&count=true", tenant: tenant));
        var lastPage = (await last.BodyAsync()).AsArray();
        Assert.Equal(2, lastPage.Count);
        var lastLinks = string.Join(",", last.Headers.GetValues("Link"));
        Assert.Contains("rel=\"prev\"", lastLinks);
        Assert.DoesNotContain("rel=\"next\"", lastLinks);

        var all = firstPage.Ids()
            .Concat((await _client.QueryAsync("type=ParkingSpot&limit=4&offset=4", tenant)).Ids())
            .Concat(lastPage.Ids());
        Assert.Equal(10, all.Distinct().Count());

        var onlyCount = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Street&limit=0&count=true", tenant: tenant));
        Assert.Equal("2", onlyCount.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Empty((await onlyCount.BodyAsync()).AsArray());
    }

    [Theory]
    [InlineData("type=ParkingSpot&limit=5000", 403, "TooManyResults")]
    [InlineData("type=ParkingSpot&limit=-1", 400, "BadRequestData")]
    [InlineData("type=ParkingSpot&limit=0", 400, "BadRequestData")]
    [InlineData("type=ParkingSpot&offset=x", 400, "BadRequestData")]
    [InlineData("limit=10", 400, "BadRequestData")]
    [InlineData("type=ParkingSpot&q=capacity>>3", 400, "BadRequestData")]
    [InlineData("type=ParkingSpot&q=(capacity>3", 400, "BadRequestData")]
    [InlineData("type=ParkingSpot&georel=near&geometry=Point&coordinates=[139.7,35.6]", 400, "BadRequestData")]
    [InlineData("type=ParkingSpot&georel=within&geometry=Polygon&coordinates=[1,2]", 400, "BadRequestData")]
    [InlineData("type=ParkingSpot&georel=touches&geometry=Point&coordinates=[139.7,35.6]", 400, "BadRequestData")]
    [InlineData("idPattern=(unclosed", 400, "BadRequestData")]
    [InlineData("type=ParkingSpot&count=maybe", 400, "BadRequestData")]
    public async Task Invalid_queries_are_rejected(string query, int status, string errorType)
    {
        var tenant = await CityAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?" + query, tenant: tenant));

        await response.AssertProblemAsync(status, errorType);
    }

    [Fact]
    public async Task Query_as_GeoJSON_is_a_feature_collection()
    {
        var tenant = await CityAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=ParkingSpot&limit=3", tenant: tenant, accept: "application/geo+json"));

        Assert.Equal("application/geo+json", response.Content.Headers.ContentType!.MediaType);
        var collection = await response.BodyAsync();
        Assert.Equal("FeatureCollection", collection["type"]!.GetValue<string>());
        Assert.Equal(3, collection["features"]!.AsArray().Count);
        Assert.Equal("Point", collection["features"]![0]!["geometry"]!["type"]!.GetValue<string>());
        Assert.NotNull(collection["@context"]);
        Assert.Null(collection["features"]![0]!["@context"]);
    }

    [Fact]
    public async Task Geojson_with_prefer_body_json_names_the_context_in_the_link_header_instead_of_the_body()
    {
        var tenant = await CityAsync();
        var request = Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=ParkingSpot&limit=3", tenant: tenant, accept: "application/geo+json");
        request.Headers.TryAddWithoutValidation("Prefer", "body=json");

        var response = await _client.SendAsync(request);

        Assert.Equal("application/geo+json", response.Content.Headers.ContentType!.MediaType);
        var collection = await response.BodyAsync();
        Assert.Equal("FeatureCollection", collection["type"]!.GetValue<string>());
        Assert.Null(collection["@context"]);
        Assert.Contains("rel=\"http://www.w3.org/ns/json-ld#context\"", string.Join(",", response.Headers.GetValues("Link")));
    }

    [Fact]
    public async Task Post_query_takes_the_Query_payload()
    {
        var tenant = await CityAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query?count=true", Json("""
            {"type": "Query",
             "entities": [{"type": "ParkingSpot", "idPattern": ".*:[0-4]$"}, {"id": "urn:ngsi-ld:Street:1", "type": "Street"}],
             "q": "capacity>10|name==\"Meiji-dori\"",
             "attrs": ["capacity", "name"]}
            """), tenant));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ids = (await response.BodyAsync()).AsArray().Ids();
        Assert.Equal(["urn:ngsi-ld:ParkingSpot:2", "urn:ngsi-ld:ParkingSpot:3", "urn:ngsi-ld:ParkingSpot:4", "urn:ngsi-ld:Street:1"], ids.Order());
        Assert.Equal("4", response.Headers.GetValues("NGSILD-Results-Count").Single());

        var geo = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query", Json("""
            {"type": "Query", "entities": [{"type": "ParkingSpot"}],
             "geoQ": {"georel": "near;maxDistance==150", "geometry": "Point", "coordinates": [139.7016, 35.6580]}}
            """), tenant));
        Assert.Equal(["urn:ngsi-ld:ParkingSpot:0", "urn:ngsi-ld:ParkingSpot:1"], (await geo.BodyAsync()).AsArray().Ids());

        var wrongType = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query", Json("""{"type": "Subscription"}"""), tenant));
        await wrongType.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task ScopeQ_selects_by_scope()
    {
        var tenant = "s" + Guid.NewGuid().ToString("N")[..12];
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Bench:1", "type": "Bench", "scope": "/Tokyo/Shibuya"}""", tenant);
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Bench:2", "type": "Bench", "scope": ["/Tokyo/Minato", "/Public"]}""", tenant);
        await _client.CreateAsync("""{"id": "urn:ngsi-ld:Bench:3", "type": "Bench", "scope": "/Osaka"}""", tenant);

        Assert.Equal(["urn:ngsi-ld:Bench:1", "urn:ngsi-ld:Bench:2"], (await _client.QueryAsync("type=Bench&scopeQ=/Tokyo/%23", tenant)).Ids().Order());
        Assert.Equal(["urn:ngsi-ld:Bench:1"], (await _client.QueryAsync("type=Bench&scopeQ=/Tokyo/Shibuya", tenant)).Ids());
        Assert.Equal(["urn:ngsi-ld:Bench:2", "urn:ngsi-ld:Bench:3"], (await _client.QueryAsync("type=Bench&scopeQ=/Osaka,/Public", tenant)).Ids().Order());
        Assert.Equal("/Tokyo/Shibuya", (await _client.GetEntityAsync("urn:ngsi-ld:Bench:1", tenant: tenant))["scope"]!.ToJsonString().Trim('"', '[', ']'));
    }
}
