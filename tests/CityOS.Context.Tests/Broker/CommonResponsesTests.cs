using System.Net;
using System.Text;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Preconditions and headers every NGSI-LD operation shares (GS CIM 009, 6.3.2, 6.3.4, 6.3.14).</summary>
public sealed class CommonResponsesTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private static HttpContent Chunked(string json)
    {
        var content = new ChunkedJsonBody(json);
        content.Headers.ContentType = new("application/json");
        return content;
    }

    /// <summary>A body sent chunked: it has no length to announce in Content-Length.</summary>
    private sealed class ChunkedJsonBody(string json) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            stream.WriteAsync(Encoding.UTF8.GetBytes(json)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Theory]
    [InlineData("POST", "/ngsi-ld/v1/entities")]
    [InlineData("PATCH", "/ngsi-ld/v1/entities/urn:ngsi-ld:Building:chunked/attrs")]
    [InlineData("PUT", "/ngsi-ld/v1/entities/urn:ngsi-ld:Building:chunked")]
    [InlineData("POST", "/ngsi-ld/v1/jsonldContexts")]
    public async Task A_body_without_content_length_is_just_411(string method, string path)
    {
        var id = Unique("Building");
        var response = await _client.SendAsync(Request(new HttpMethod(method), path, Chunked($$"""{"id": "{{id}}", "type": "Building"}""")));

        Assert.Equal(HttpStatusCode.LengthRequired, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }

    [Fact]
    public async Task Length_is_required_before_the_tenant_is_looked_up()
    {
        var response = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entities",
            Chunked($$"""{"id": "{{Unique("Building")}}", "type": "Building"}"""), tenant: "no-such-tenant-411"));

        Assert.Equal(HttpStatusCode.LengthRequired, response.StatusCode);
    }

    [Fact]
    public async Task A_get_needs_no_content_length()
    {
        var response = await _client.GetAsync("/ngsi-ld/v1/entities?type=Building");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_tenant_of_a_request_is_echoed_on_success_and_on_error()
    {
        var tenant = "echo" + Guid.NewGuid().ToString("N")[..8];
        var missing = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Building", tenant: tenant));
        await missing.AssertProblemAsync(404, "NonexistentTenant");
        Assert.Equal(tenant, missing.Headers.GetValues("NGSILD-Tenant").Single());

        var created = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entities",
            Json($$"""{"id": "{{Unique("Building")}}", "type": "Building"}"""), tenant: tenant));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(tenant, created.Headers.GetValues("NGSILD-Tenant").Single());

        var untenanted = await _client.GetAsync("/ngsi-ld/v1/entities?type=Building");
        Assert.False(untenanted.Headers.Contains("NGSILD-Tenant"));
    }

    [Fact]
    public async Task A_context_array_with_a_number_item_is_bad_request_data_without_fetching_the_other_items()
    {
        var response = await _client.PostAsync("/ngsi-ld/v1/jsonldContexts",
            Json("""{"@context": ["http://127.0.0.1:9/unreachable.jsonld", 7]}"""));

        await response.AssertProblemAsync(400, "BadRequestData");
        Assert.False(response.Headers.Contains("Location"));
    }
}
