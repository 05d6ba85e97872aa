using System.Net;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>NGSILD-Tenant (6.3.14): tenants are created on first write and never see each other's data.</summary>
public sealed class TenantTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    [Fact]
    public async Task Tenants_are_isolated_for_every_operation()
    {
        var (kobe, nara) = ("kobe" + Guid.NewGuid().ToString("N")[..8], "nara" + Guid.NewGuid().ToString("N")[..8]);
        const string id = "urn:ngsi-ld:Shelter:1";
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Shelter", "capacity": {"type": "Property", "value": 100}}""", kobe);
        await _client.CreateAsync($$$"""{"id": "{{{id}}}", "type": "Shelter", "capacity": {"type": "Property", "value": 5}}""", nara);

        Assert.Equal(100, (await _client.GetEntityAsync(id, tenant: kobe))["capacity"]!["value"]!.GetValue<int>());
        Assert.Equal(5, (await _client.GetEntityAsync(id, tenant: nara))["capacity"]!["value"]!.GetValue<int>());
        await (await _client.GetAsync($"/ngsi-ld/v1/entities/{id}")).AssertProblemAsync(404, "ResourceNotFound");
        Assert.Single(await _client.QueryAsync("type=Shelter", kobe));

        var delete = await _client.SendAsync(Request(HttpMethod.Delete, $"/ngsi-ld/v1/entities/{id}", tenant: kobe));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(5, (await _client.GetEntityAsync(id, tenant: nara))["capacity"]!["value"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("/ngsi-ld/v1/entities/urn:ngsi-ld:X:1")]
    [InlineData("/ngsi-ld/v1/entities?type=X")]
    [InlineData("/ngsi-ld/v1/types")]
    [InlineData("/ngsi-ld/v1/attributes")]
    public async Task Reading_an_unknown_tenant_is_404(string url)
    {
        var response = await _client.SendAsync(Request(HttpMethod.Get, url, tenant: "nowhere" + Guid.NewGuid().ToString("N")[..8]));

        await response.AssertProblemAsync(404, "NonexistentTenant");
    }

    [Fact]
    public async Task A_failed_write_does_not_create_the_tenant()
    {
        var tenant = "ghost" + Guid.NewGuid().ToString("N")[..8];
        var patch = await _client.SendAsync(Request(HttpMethod.Patch, "/ngsi-ld/v1/entities/urn:ngsi-ld:X:1/attrs", Json("""{"a": 1}"""), tenant));
        await patch.AssertProblemAsync(404, "ResourceNotFound");

        var read = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?type=X", tenant: tenant));
        await read.AssertProblemAsync(404, "NonexistentTenant");
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    public async Task Invalid_tenant_names_are_rejected(string tenant)
    {
        var response = await _client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entities",
            Json("""{"id": "urn:ngsi-ld:X:1", "type": "X"}"""), tenant));

        await response.AssertProblemAsync(400, "BadRequestData");
    }
}
