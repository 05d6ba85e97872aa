using System.Net;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Parameters of retrieval, query and discovery that the spec refuses (5.7.1.4, 5.7.2.4, 4.10, 4.21, 6.3.20), and their edges.</summary>
public sealed class ConsumptionValidationTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task<string> BuildingAsync()
    {
        var id = Unique("Building");
        await _client.CreateAsync($$$$"""
            {"id": "{{{{id}}}}", "type": "Building", "name": {"type": "Property", "value": "Hall"},
             "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [8, 40]}}}
            """);
        return id;
    }

    [Theory]
    [InlineData("type=Building&id=thisisaninvaliduri")]
    [InlineData("type=*&local=false")]
    [InlineData("type=Building&csf=))bad((")]
    [InlineData("type=Building&georel=near%3BmaxDistance%3D%3D0&geometry=Point&coordinates=%5B8%2C40%5D")]
    [InlineData("type=Building&georel=near%3BmaxDistance%3D%3D5%3BminDistance%3D%3D1&geometry=Point&coordinates=%5B8%2C40%5D")]
    [InlineData("type=Building&geometryProperty=location")]
    [InlineData("type=Building&attrs=name&pick=name")]
    [InlineData("type=Building&pick=id,,name")]
    [InlineData("attrs=id,type")]
    [InlineData("type=Building&attrs=type")]
    [InlineData("attrs=createdAt")]
    [InlineData("q=modifiedAt%3E%222020-01-01T00:00:00Z%22")]
    public async Task Query_parameters_the_spec_refuses_are_BadRequestData(string query)
    {
        var response = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?" + query));

        await response.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task A_valid_context_source_filter_and_a_single_distance_are_accepted()
    {
        var id = await BuildingAsync();

        var found = await _client.QueryAsync($"type=Building&id={Uri.EscapeDataString(id)}&csf=name%3D%3D%22x%22&georel=near%3BmaxDistance%3D%3D10&geometry=Point&coordinates=%5B8%2C40%5D");

        Assert.Equal([id], found.Ids());
    }

    [Theory]
    [InlineData("""{"type": "Query", "entities": []}""")]
    [InlineData("""{"type": "Query", "entities": [{"type": "Building"}], "attrs": ["id"]}""")]
    [InlineData("""{"type": "Query", "entities": [{"type": "Building"}], "attrs": []}""")]
    [InlineData("""{"type": "Query", "entities": [{"id": "urn:ngsi-ld:Building:1"}]}""")]
    [InlineData("""{"type": "Query", "entities": [{"type": "Building"}], "temporalQ": {"timerel": "after", "timeAt": "2020-01-01T00:00:00Z"}}""")]
    public async Task Query_payloads_the_spec_refuses_are_BadRequestData(string body)
    {
        var response = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query", Json(body)));

        await response.AssertProblemAsync(400, "BadRequestData");
    }

    [Theory]
    [InlineData("?format=invalidFormat")]
    [InlineData("?options=invalidOptions")]
    [InlineData("?format=keyValues&options=invalid")]
    public async Task Retrieve_with_an_undefined_format_or_option_is_InvalidRequest_before_the_entity_is_looked_up(string query)
    {
        var response = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{Unique("Building")}{query}"));

        await response.AssertProblemAsync(400, "InvalidRequest");
    }

    [Fact]
    public async Task Retrieve_with_geometryProperty_needs_a_GeoJSON_Accept()
    {
        var id = await BuildingAsync();

        var json = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}?geometryProperty=location", accept: "application/ld+json"));
        await json.AssertProblemAsync(400, "BadRequestData");

        var geo = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}?geometryProperty=location", accept: "application/geo+json"));
        Assert.Equal(HttpStatusCode.OK, geo.StatusCode);
    }

    [Fact]
    public async Task Retrieve_with_attrs_the_entity_has_none_of_is_ResourceNotFound()
    {
        var id = await BuildingAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}?attrs=unknownAttribute"));

        await response.AssertProblemAsync(404, "ResourceNotFound");
        Assert.Equal("Hall", (await _client.GetEntityAsync(id, "?attrs=name,unknownAttribute"))["name"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Query_with_pick_leaves_out_entities_with_no_member_left()
    {
        var id = await BuildingAsync();
        var vehicle = Unique("Vehicle");
        await _client.CreateAsync($$$"""{"id": "{{{vehicle}}}", "type": "Vehicle", "speed": {"type": "Property", "value": 5}}""");

        var picked = await _client.QueryAsync($"id={Uri.EscapeDataString(id)},{Uri.EscapeDataString(vehicle)}&type=Building,Vehicle&pick=name");

        Assert.Single(picked);
        Assert.Equal("Hall", picked[0]!["name"]!["value"]!.GetValue<string>());
    }

    /// <summary>6.3.20: creating an entity, a temporal entity or a subscription takes no query parameters; querying subscriptions only paging ones.</summary>
    [Theory]
    [InlineData("POST", "/ngsi-ld/v1/entities?invalidParams=invalidValue", """{"id": "urn:ngsi-ld:Building:invalid-param", "type": "Building"}""")]
    [InlineData("POST", "/ngsi-ld/v1/temporal/entities?invalidParams=invalidValue", """{"id": "urn:ngsi-ld:Building:invalid-param", "type": "Building"}""")]
    [InlineData("POST", "/ngsi-ld/v1/subscriptions?invalidParams=invalidValue", """{"type": "Subscription", "entities": [{"type": "Building"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""")]
    [InlineData("GET", "/ngsi-ld/v1/subscriptions?invalidParams=invalidValue", null)]
    public async Task Parameters_a_create_or_the_subscription_query_does_not_define_are_InvalidRequest_and_change_nothing(string method, string url, string? body)
    {
        var response = await _client.SendAsync(Request(new HttpMethod(method), url, body is null ? null : Json(body)));

        await response.AssertProblemAsync(400, "InvalidRequest");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await _client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Building:invalid-param")).StatusCode);
    }

    /// <summary>6.3.20 with Tables 6.4.3.2-1 and 6.18.3.2-1: a query takes the parameters its operation defines, and no other, even beside a valid selection.</summary>
    [Theory]
    [InlineData("/ngsi-ld/v1/entities?invalidParams=invalidValue&type=Building")]
    [InlineData("/ngsi-ld/v1/entities?invalidParams=invalidValue&%20type=Building")]
    [InlineData("/ngsi-ld/v1/entities?type=Building&timerel=after")]
    [InlineData("/ngsi-ld/v1/temporal/entities?invalidParams=invalidValue&type=Building")]
    [InlineData("/ngsi-ld/v1/temporal/entities?type=Building&joinLevel=2")]
    public async Task Query_parameters_the_operation_does_not_define_are_InvalidRequest(string url)
    {
        await BuildingAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Get, url));

        await response.AssertProblemAsync(400, "InvalidRequest");
    }

    [Fact]
    public async Task Every_parameter_of_the_query_tables_is_taken()
    {
        var id = await BuildingAsync();

        var entities = await _client.QueryAsync($"id={Uri.EscapeDataString(id)}&type=Building&q=name==%22Hall%22&lang=en&options=sysAttrs&count=true&limit=5&offset=0&local=true&orderBy=id");
        var temporal = await _client.SendAsync(Request(HttpMethod.Get,
            "/ngsi-ld/v1/temporal/entities?type=Building&timerel=after&timeAt=2020-01-01T00:00:00Z&timeproperty=modifiedAt&lastN=5&count=true&options=temporalValues"));

        Assert.Contains(id, entities.Ids());
        Assert.Equal(HttpStatusCode.OK, temporal.StatusCode);
    }

    [Theory]
    [InlineData("/ngsi-ld/v1/types?limit=5")]
    [InlineData("/ngsi-ld/v1/types/Building?details=true")]
    [InlineData("/ngsi-ld/v1/attributes?limit=5")]
    [InlineData("/ngsi-ld/v1/attributes/name?details=true")]
    public async Task Discovery_parameters_the_operation_does_not_define_are_InvalidRequest(string url)
    {
        await BuildingAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Get, url));

        await response.AssertProblemAsync(400, "InvalidRequest");
    }

    [Fact]
    public async Task Discovery_finds_a_type_and_an_attribute_named_by_an_encoded_expanded_uri()
    {
        await BuildingAsync();
        var vocabulary = "https://uri.etsi.org/ngsi-ld/default-context/";

        var type = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/types/" + Uri.EscapeDataString(vocabulary + "Building")));
        Assert.Equal(HttpStatusCode.OK, type.StatusCode);

        var attribute = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/attributes/" + Uri.EscapeDataString(vocabulary + "name") + "?local=true"));
        Assert.Equal(HttpStatusCode.OK, attribute.StatusCode);
    }

    [Fact]
    public async Task Pick_takes_a_pipe_as_it_takes_a_comma_and_refuses_an_empty_member()
    {
        var id = await BuildingAsync();

        var comma = await _client.GetEntityAsync(id, "?pick=id,name");
        var pipe = await _client.GetEntityAsync(id, "?pick=id|name");
        var empty = await _client.GetAsync($"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}?pick=id||name");

        Assert.Equal(comma.ToJsonString(), pipe.ToJsonString());
        Assert.Equal(["id", "name"], pipe.Select(m => m.Key).Order().ToArray());
        await empty.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task The_pick_and_omit_members_of_a_query_payload_project_the_entities()
    {
        var id = await BuildingAsync();
        var query = $$"""{"type": "Query", "entities": [{"type": "Building", "id": "{{id}}"}], "{0}": ["name"]}""";

        var picked = await _client.PostAsync("/ngsi-ld/v1/entityOperations/query", Json(query.Replace("{0}", "pick")));
        var omitted = await _client.PostAsync("/ngsi-ld/v1/entityOperations/query", Json(query.Replace("{0}", "omit")));
        var empty = await _client.PostAsync("/ngsi-ld/v1/entityOperations/query", Json(query.Replace("[\"name\"]", "[]").Replace("{0}", "pick")));

        Assert.Equal(["name"], (await picked.BodyAsync())[0]!.AsObject().Select(m => m.Key).ToArray());
        var rest = (await omitted.BodyAsync())[0]!.AsObject();
        Assert.Null(rest["name"]);
        Assert.NotNull(rest["location"]);
        await empty.AssertProblemAsync(400, "BadRequestData");
    }
}
