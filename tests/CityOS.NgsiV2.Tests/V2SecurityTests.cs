using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CityOS.Identity.Model;

namespace CityOS.NgsiV2.Tests;

/// <summary>The host with security on, whatever CITYOS_TEST_AUTH says.</summary>
public sealed class SecuredV2Host : CityOsTestHost
{
    protected override bool SecurityOn => true;
}

/// <summary>With security on, /v2 takes the same tokens, roles and policies as NGSI-LD, in X-Auth-Token as Orion behind a PEP is called.</summary>
public sealed class V2SecurityTests(SecuredV2Host host) : IClassFixture<SecuredV2Host>
{
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string service, string? authToken = null, string? bearer = null, string? body = null)
    {
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Fiware-Service", service);
        if (authToken is not null) request.Headers.Add("X-Auth-Token", authToken);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task X_Auth_Token_is_accepted_like_a_bearer_token_with_the_same_roles_and_tenants()
    {
        var tenant = "sec" + Guid.NewGuid().ToString("N")[..10];
        var other = "oth" + Guid.NewGuid().ToString("N")[..10];
        var token = await host.TokenAsync("v2-admin-" + tenant, new TenantMembership(tenant, BuiltInRoles.TenantAdmin));
        const string room = """{"id":"Room1","type":"Room","temperature":{"value":23,"type":"Float"}}""";

        var anonymous = await SendAsync(HttpMethod.Post, "/v2/entities", tenant, body: room);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/json", anonymous.Content.Headers.ContentType?.MediaType);
        var unauthorized = System.Text.Json.Nodes.JsonNode.Parse(await anonymous.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["description", "error"], unauthorized.Select(p => p.Key).Order().ToArray());
        Assert.Equal("Unauthorized", unauthorized["error"]!.GetValue<string>());
        var badToken = await SendAsync(HttpMethod.Get, "/v2/entities", tenant, authToken: "not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, badToken.StatusCode);
        Assert.Equal("application/json", badToken.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Unauthorized", System.Text.Json.Nodes.JsonNode.Parse(await badToken.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
        Assert.Contains("invalid_token", badToken.Headers.WwwAuthenticate.Single().ToString());

        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "/v2/entities", tenant, authToken: token, body: room)).StatusCode);
        var read = await SendAsync(HttpMethod.Get, "/v2/entities/Room1?options=keyValues", tenant, authToken: token);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        JsonAssert.Equal("""{"id":"Room1","type":"Room","temperature":23}""", System.Text.Json.Nodes.JsonNode.Parse(await read.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/v2/entities/Room1", tenant, bearer: token)).StatusCode);

        var elsewhere = await SendAsync(HttpMethod.Post, "/v2/entities", other, authToken: token, body: room);
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        Assert.Equal("Forbidden", System.Text.Json.Nodes.JsonNode.Parse(await elsewhere.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/v2/entities/Room1", other, bearer: await host.TokenAsync("v2-admin-" + other, new TenantMembership(other, BuiltInRoles.TenantAdmin)))).StatusCode);
    }
}
