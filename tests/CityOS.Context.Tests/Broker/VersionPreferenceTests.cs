using System.Net;
using System.Text.Json.Nodes;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>
/// "Prefer: ngsi-ld=&lt;version&gt;" (4.3.6.8, 6.3.6 of V1.9.1) and the Accept precedence of 6.3.4, as a client sees them.
/// </summary>
public sealed class VersionPreferenceTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task<string> CreateWithVocabPropertyAsync()
    {
        var id = Unique("Building");
        await _client.CreateAsync($$$"""
            {"id": "{{{id}}}", "type": "Building", "category": {"type": "VocabProperty", "vocab": "office"},
             "height": {"type": "Property", "value": 30}}
            """);
        return id;
    }

    private async Task<HttpResponseMessage> GetAsync(string url, string prefer)
    {
        var request = Request(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Prefer", prefer);
        return await _client.SendAsync(request);
    }

    [Fact]
    public async Task Preferring_a_version_before_1_8_reformats_a_VocabProperty_as_a_Property_with_203()
    {
        var id = await CreateWithVocabPropertyAsync();
        var response = await GetAsync($"/ngsi-ld/v1/entities/{id}", "ngsi-ld=1.5");

        Assert.Equal(HttpStatusCode.NonAuthoritativeInformation, response.StatusCode);
        Assert.Equal("ngsi-ld=1.5", response.Headers.GetValues("Preference-Applied").Single());
        var body = await response.BodyAsync();
        Assert.Equal("Property", body["category"]!["type"]!.GetValue<string>());
        Assert.Equal("office", body["category"]!["value"]!.GetValue<string>());
        Assert.Null(body["category"]!["vocab"]);
        Assert.Equal(30, body["height"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Preferring_the_current_version_leaves_the_entity_as_it_is_with_200()
    {
        var id = await CreateWithVocabPropertyAsync();
        var response = await GetAsync($"/ngsi-ld/v1/entities/{id}", "ngsi-ld=1.9");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ngsi-ld=1.9", response.Headers.GetValues("Preference-Applied").Single());
        Assert.Equal("VocabProperty", (await response.BodyAsync())["category"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("ngsi-ld=1.0")]
    [InlineData("NGSI-LD=1.0")]
    [InlineData("ngsi-ld=\"1.0\"")]
    [InlineData("ngsi-ld=1.0;q=0.1")]
    [InlineData("respond-async, ngsi-ld=1.0")]
    public async Task A_subscription_is_returned_unaltered_with_the_version_preference_applied(string prefer)
    {
        var created = await _client.PostAsync("/ngsi-ld/v1/subscriptions", Json("""
            {"type": "Subscription", "entities": [{"type": "Building"}], "notification": {"attributes": ["height"], "endpoint": {"uri": "http://127.0.0.1:9/n"}}}
            """));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var response = await GetAsync(created.Headers.Location!.ToString(), prefer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ngsi-ld=1.0", response.Headers.GetValues("Preference-Applied").Single());
        var body = await response.BodyAsync();
        Assert.Equal("Subscription", body["type"]!.GetValue<string>());
        Assert.Equal("height", body["notification"]!["attributes"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_a_version_preference_nothing_is_applied()
    {
        var id = await CreateWithVocabPropertyAsync();
        var response = await GetAsync($"/ngsi-ld/v1/entities/{id}", "respond-async");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Preference-Applied"));
        Assert.Equal("VocabProperty", (await response.BodyAsync())["category"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("application/ld+json, application/json", "application/json")]
    [InlineData("application/geo+json, application/json", "application/json")]
    [InlineData("application/json;q=0, */*", "application/ld+json")]
    [InlineData("application/json;q=0, application/ld+json", "application/ld+json")]
    [InlineData("*/*;q=0.9, application/ld+json;q=0.8", "application/json")]
    [InlineData("application/ld+json;q=0.5, application/geo+json;q=0.9", "application/geo+json")]
    [InlineData("*/*", "application/json")]
    public async Task Equal_weights_select_the_first_representation_of_the_6_3_4_list(string accept, string expected)
    {
        var id = await CreateWithVocabPropertyAsync();
        var request = Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task An_accept_refusing_every_representation_is_406()
    {
        var id = await CreateWithVocabPropertyAsync();
        var request = Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;q=0, application/ld+json;q=0, application/geo+json;q=0, */*");
        await (await _client.SendAsync(request)).AssertProblemAsync(406, "NotAcceptable");
    }
}
