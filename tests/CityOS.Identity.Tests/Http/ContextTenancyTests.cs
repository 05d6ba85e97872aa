using System.Net;

namespace CityOS.Identity.Tests.Http;

/// <summary>Hosted @contexts under the identity block's policies: they belong to a tenant, listed and deleted only within it.</summary>
public sealed class ContextTenancyTests(SecuredBrokerFixture fixture) : IClassFixture<SecuredBrokerFixture>
{
    private const string Api = "/ngsi-ld/v1/jsonldContexts";

    [Fact]
    public async Task A_tenant_cannot_list_inspect_or_delete_another_tenants_context()
    {
        var created = await fixture.SendAsync("tenant-admin", HttpMethod.Post, Api,
            $$$"""{"@context":{"cityATerm{{{Guid.NewGuid():N}}}":"https://example.org/a"}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var url = created.Headers.Location!.OriginalString;
        var id = url[(url.LastIndexOf('/') + 1)..];

        var listedInB = await fixture.SendAsync("admin-of-city-b", HttpMethod.Get, Api, tenant: "city-b");
        Assert.Equal(HttpStatusCode.OK, listedInB.StatusCode);
        Assert.DoesNotContain(id, await listedInB.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.SendAsync("admin-of-city-b", HttpMethod.Get, $"{Api}/{id}?details=true", tenant: "city-b")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.SendAsync("admin-of-city-b", HttpMethod.Delete, $"{Api}/{id}", tenant: "city-b")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.SendAsync("admin-of-city-b", HttpMethod.Delete, $"{Api}/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.SendAsync("admin-of-city-b", HttpMethod.Get, Api)).StatusCode);

        var listedInA = await fixture.SendAsync("tenant-admin", HttpMethod.Get, Api);
        Assert.Contains(url, await listedInA.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.SendAsync("tenant-admin", HttpMethod.Delete, $"{Api}/{id}")).StatusCode);
        Assert.DoesNotContain(url, await (await fixture.SendAsync("tenant-admin", HttpMethod.Get, Api)).Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("anonymous", 401)]
    [InlineData("admin-of-city-b", 403)]
    [InlineData("resident", 200)]
    [InlineData("service", 200)]
    public async Task Listing_needs_a_read_permission_in_the_tenant(string who, int expected)
    {
        Assert.Equal(expected, (int)(await fixture.SendAsync(who, HttpMethod.Get, Api)).StatusCode);
        Assert.Equal(expected, (int)(await fixture.SendAsync(who, HttpMethod.Get, Api + "?details=true&kind=Hosted")).StatusCode);
    }
}
