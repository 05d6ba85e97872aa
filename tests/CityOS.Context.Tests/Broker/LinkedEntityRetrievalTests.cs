using System.Text.Json.Nodes;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Linked entity retrieval (4.5.23: join, joinLevel, containedBy) and pick/omit on linked entities (4.21, 4.22).</summary>
public sealed class LinkedEntityRetrievalTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    /// <summary>A building located in a city that is in a country; returns the three ids.</summary>
    private async Task<(string Building, string City, string Country)> CreateChainAsync()
    {
        var (building, city, country) = (Unique("Building"), Unique("City"), Unique("Country"));
        await _client.CreateAsync($$$"""{"id": "{{{building}}}", "type": "Building", "name": {"type": "Property", "value": "Tower"}, "locatedAt": {"type": "Relationship", "object": "{{{city}}}"}}""");
        await _client.CreateAsync($$$"""{"id": "{{{city}}}", "type": "City", "name": {"type": "Property", "value": "Paris"}, "isInCountry": {"type": "Relationship", "object": "{{{country}}}"}}""");
        await _client.CreateAsync($$$"""{"id": "{{{country}}}", "type": "Country", "name": {"type": "Property", "value": "France"}, "description": {"type": "Property", "value": "A country"}}""");
        return (building, city, country);
    }

    [Fact]
    public async Task Join_inline_puts_the_linked_entity_in_its_relationship_up_to_joinLevel()
    {
        var (building, city, country) = await CreateChainAsync();

        var one = await _client.GetEntityAsync(building, "?join=inline");
        var linked = one["locatedAt"]!["entity"]!;
        Assert.Equal(city, linked["id"]!.GetValue<string>());
        Assert.Equal("Paris", linked["name"]!["value"]!.GetValue<string>());
        Assert.Equal(country, linked["isInCountry"]!["object"]!.GetValue<string>());
        Assert.Null(linked["isInCountry"]!["entity"]);

        var two = await _client.GetEntityAsync(building, "?join=inline&joinLevel=2");
        Assert.Equal("France", two["locatedAt"]!["entity"]!["isInCountry"]!["entity"]!["name"]!["value"]!.GetValue<string>());

        var plain = await _client.GetEntityAsync(building);
        Assert.Null(plain["locatedAt"]!["entity"]);
    }

    [Fact]
    public async Task Join_inline_in_keyValues_replaces_the_object_by_the_entity()
    {
        var (building, city, _) = await CreateChainAsync();

        var entity = await _client.GetEntityAsync(building, "?join=inline&options=keyValues");

        Assert.Equal(city, entity["locatedAt"]!["id"]!.GetValue<string>());
        Assert.Equal("Paris", entity["locatedAt"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Join_flat_answers_an_array_with_each_linked_entity_once_after_the_entity()
    {
        var (building, city, country) = await CreateChainAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{building}?join=flat&joinLevel=2"));
        var entities = (await response.BodyAsync()).AsArray();

        Assert.Equal([building, city, country], entities.Ids());
        Assert.Null(entities[0]!["locatedAt"]!["entity"]);
    }

    [Fact]
    public async Task Query_with_join_flat_lists_the_page_then_the_linked_entities()
    {
        var (building, city, _) = await CreateChainAsync();

        var entities = await _client.QueryAsync($"type=Building&id={Uri.EscapeDataString(building)}&join=flat&options=keyValues");

        Assert.Equal([building, city], entities.Ids());
        Assert.Equal(city, entities[0]!["locatedAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_missing_linked_entity_leaves_the_relationship_as_it_is()
    {
        var building = Unique("Building");
        var nowhere = Unique("City");
        await _client.CreateAsync($$$"""{"id": "{{{building}}}", "type": "Building", "locatedAt": {"type": "Relationship", "object": "{{{nowhere}}}"}}""");

        var inline = await _client.GetEntityAsync(building, "?join=inline");
        Assert.Equal(nowhere, inline["locatedAt"]!["object"]!.GetValue<string>());
        Assert.Null(inline["locatedAt"]!["entity"]);

        var flat = await _client.GetEntityAsync(building, "?join=flat");
        Assert.Equal(building, flat["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ContainedBy_entities_are_not_retrieved_again()
    {
        var (building, city, _) = await CreateChainAsync();

        var entity = await _client.GetEntityAsync(building, $"?join=inline&containedBy={Uri.EscapeDataString(city)}");

        Assert.Null(entity["locatedAt"]!["entity"]);
    }

    [Fact]
    public async Task Pick_with_braces_projects_the_linked_entities()
    {
        var (building, city, country) = await CreateChainAsync();

        var entity = await _client.GetEntityAsync(building, "?join=inline&joinLevel=2&pick=" + Uri.EscapeDataString("id,locatedAt{id,name,isInCountry{id,description}}"));

        Assert.Equal(["id", "locatedAt"], entity.Select(p => p.Key));
        var linked = entity["locatedAt"]!["entity"]!.AsObject();
        Assert.Equal(["id", "name", "isInCountry"], linked.Select(p => p.Key));
        Assert.Equal(city, linked["id"]!.GetValue<string>());
        var second = linked["isInCountry"]!["entity"]!.AsObject();
        Assert.Equal(["id", "description"], second.Select(p => p.Key));
        Assert.Equal(country, second["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Omit_with_braces_keeps_the_relationship_and_omits_in_the_linked_entity()
    {
        var (building, _, _) = await CreateChainAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{building}?join=flat&joinLevel=2&omit=" + Uri.EscapeDataString("type,locatedAt{name}")));
        var entities = (await response.BodyAsync()).AsArray();

        Assert.Equal(["id", "name", "locatedAt"], entities[0]!.AsObject().Select(p => p.Key));
        Assert.Equal(["id", "type", "isInCountry"], entities[1]!.AsObject().Select(p => p.Key));
        Assert.Equal(["id", "type", "name", "description"], entities[2]!.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("?pick=id,locatedAt%7Bname%7D")]
    [InlineData("?join=inline&pick=id,locatedAt%7Bname")]
    [InlineData("?join=inline&pick=id%7D")]
    [InlineData("?join=inline&pick=locatedAt%7B%7D")]
    [InlineData("?join=inline&joinLevel=1&pick=locatedAt%7BisInCountry%7Bname%7D%7D")]
    [InlineData("?join=flat&joinLevel=1&omit=locatedAt%7BisInCountry%7Bname%7D%7D")]
    [InlineData("?join=sideways")]
    [InlineData("?join=inline&joinLevel=0")]
    [InlineData("?join=inline&joinLevel=two")]
    [InlineData("?join=inline&containedBy=not%20a%20uri")]
    public async Task Malformed_linked_entity_parameters_are_BadRequestData(string query)
    {
        var (building, _, _) = await CreateChainAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{building}{query}"));

        await response.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Retrieve_with_nothing_left_after_pick_or_omit_is_ResourceNotFound()
    {
        var (building, _, _) = await CreateChainAsync();

        var unmatched = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{building}?pick=unknown"));
        await unmatched.AssertProblemAsync(404, "ResourceNotFound");

        var everything = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{building}?omit=id,type,name,locatedAt"));
        await everything.AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Post_query_takes_join_and_joinLevel_from_the_Query_payload()
    {
        var (building, city, country) = await CreateChainAsync();

        var response = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query", Json($$"""
            {"type": "Query", "entities": [{"id": "{{building}}", "type": "Building"}], "join": "flat", "joinLevel": 2}
            """)));
        Assert.Equal([building, city, country], (await response.BodyAsync()).AsArray().Ids());

        var inline = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query", Json($$"""
            {"type": "Query", "entities": [{"id": "{{building}}", "type": "Building"}], "join": "inline"}
            """)));
        Assert.Equal(city, (await inline.BodyAsync())[0]!["locatedAt"]!["entity"]!["id"]!.GetValue<string>());

        var bad = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query", Json("""
            {"type": "Query", "entities": [{"type": "Building"}], "join": "inline", "joinLevel": 0}
            """)));
        await bad.AssertProblemAsync(400, "BadRequestData");
    }
}
