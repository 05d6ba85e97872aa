using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>A local web server publishing user @context documents, as a data model repository would.</summary>
public sealed class ContextServer : IAsyncLifetime
{
    private WebApplication? _app;
    public string BaseUrl { get; private set; } = "";
    public int Fetches;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/parking.jsonld", () =>
        {
            Interlocked.Increment(ref Fetches);
            return Results.Text("""
                {"@context": {
                  "ParkingSpot": "https://smartdatamodels.org/dataModel.Parking/ParkingSpot",
                  "occupancy": "https://smartdatamodels.org/dataModel.Parking/occupancy",
                  "sdm": "https://smartdatamodels.org/",
                  "capacity": "sdm:capacity"
                }}
                """, "application/ld+json");
        });
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}

/// <summary>User @contexts through the broker: expansion on write, compaction on read, under another context (6.3.5, 4.2).</summary>
public sealed class JsonLdBrokerTests(BrokerHost host, ContextServer contexts) : IClassFixture<BrokerHost>, IClassFixture<ContextServer>
{
    private readonly HttpClient _client = host.Client;

    [Fact]
    public async Task Terms_of_a_linked_context_are_stored_expanded_and_compacted_back()
    {
        var context = contexts.BaseUrl + "/parking.jsonld";
        var id = Unique("ParkingSpot");
        var create = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entities",
            Json($$$"""{"id": "{{{id}}}", "type": "ParkingSpot", "occupancy": {"type": "Property", "value": "free"}, "capacity": {"type": "Property", "value": 4}}"""),
            link: context));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);

        var withContext = await _client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}", link: context));
        Assert.Contains(context, withContext.Headers.GetValues("Link").Single());
        var compact = await withContext.BodyAsync();
        Assert.Equal("ParkingSpot", compact["type"]!.GetValue<string>());
        Assert.Equal("free", compact["occupancy"]!["value"]!.GetValue<string>());
        Assert.Equal(4, compact["capacity"]!["value"]!.GetValue<int>());

        var withCore = await _client.GetEntityAsync(id);
        Assert.Equal("https://smartdatamodels.org/dataModel.Parking/ParkingSpot", withCore["type"]!.GetValue<string>());
        Assert.NotNull(withCore["https://smartdatamodels.org/dataModel.Parking/occupancy"]);
        Assert.NotNull(withCore["https://smartdatamodels.org/capacity"]);

        var byType = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=ParkingSpot&q=occupancy==%22free%22", link: context));
        Assert.Contains(id, (await byType.BodyAsync()).AsArray().Ids());
        Assert.DoesNotContain(id, (await _client.QueryAsync("type=ParkingSpot")).Ids());
        Assert.Contains(id, (await _client.QueryAsync("type=" + Uri.EscapeDataString("https://smartdatamodels.org/dataModel.Parking/ParkingSpot"))).Ids());
        Assert.Equal(1, contexts.Fetches);
    }

    [Fact]
    public async Task An_inline_context_in_a_json_ld_body_works_and_the_response_names_it()
    {
        var id = Unique("Tree");
        var body = JsonNode.Parse($$$"""
            {"@context": [{"Tree": "https://example.org/city/Tree", "height": "https://example.org/city/height"}, "{{{BrokerHost.CoreContext}}}"],
             "id": "{{{id}}}", "type": "Tree", "height": {"type": "Property", "value": 12}}
            """)!;
        var create = await _client.PostAsync("/ngsi-ld/v1/entities", Json(body, "application/ld+json"));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);

        var stored = await _client.GetEntityAsync(id);
        Assert.Equal("https://example.org/city/Tree", stored["type"]!.GetValue<string>());
        Assert.Equal(12, stored["https://example.org/city/height"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_unreachable_context_is_504_LdContextNotAvailable_and_nothing_is_written()
    {
        var id = Unique("X");
        var response = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entities",
            Json($$"""{"id": "{{id}}", "type": "X"}"""), link: contexts.BaseUrl + "/missing.jsonld"));

        await response.AssertProblemAsync(504, "LdContextNotAvailable");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }

    [Fact]
    public async Task Older_core_context_versions_resolve_without_fetching()
    {
        var id = Unique("Old");
        var body = JsonNode.Parse($$$$"""
            {"@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
             "id": "{{{{id}}}}", "type": "Old", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}}}
            """)!;

        var create = await _client.PostAsync("/ngsi-ld/v1/entities", Json(body, "application/ld+json"));

        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal("GeoProperty", (await _client.GetEntityAsync(id))["location"]!["type"]!.GetValue<string>());
    }
}
