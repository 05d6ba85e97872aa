using System.Net;
using System.Net.Http.Headers;
using CityOS.Context.DeadLetters;
using CityOS.Context.Tests.Broker;
using CityOS.Core.Security;
using CityOS.Identity.Model;

namespace CityOS.Context.Tests.DeadLetters;

/// <summary>The host with security on, whatever CITYOS_TEST_AUTH says; <see cref="CityOsTestHost.Client"/> is a system-admin.</summary>
public sealed class SecuredHost : CityOsTestHost
{
    protected override bool SecurityOn => true;
}

/// <summary>With security on, dead letters are for those who administer the tenant: a system-admin, the tenant's tenant-admin.</summary>
public sealed class DeadLetterAccessTests(SecuredHost host) : IClassFixture<SecuredHost>
{
    private async Task<HttpResponseMessage> ListAsync(string? token, string tenant)
    {
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(Ngsi.Request(HttpMethod.Get, DeadLettersApi.Path, tenant: tenant));
    }

    [Fact]
    public async Task Only_a_system_admin_or_the_tenants_tenant_admin_may_see_its_dead_letters()
    {
        var tenant = Journal.NewTenant("a");
        var other = Journal.NewTenant("z");
        var tenantAdmin = await host.TokenAsync("admin-" + tenant, new TenantMembership(tenant, BuiltInRoles.TenantAdmin));
        var operatorToken = await host.TokenAsync("operator-" + tenant, new TenantMembership(tenant, BuiltInRoles.Operator));

        await (await ListAsync(null, tenant)).AssertProblemAsync(401, "Unauthorized");
        await (await ListAsync(operatorToken, tenant)).AssertProblemAsync(403, "Forbidden");
        await (await ListAsync(tenantAdmin, other)).AssertProblemAsync(403, "Forbidden");
        Assert.Equal(HttpStatusCode.OK, (await ListAsync(tenantAdmin, tenant)).StatusCode);
        Assert.Empty(await host.Client.DeadLettersAsync(other));

        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        var retry = await anonymous.SendAsync(Ngsi.Request(HttpMethod.Post, $"{DeadLettersApi.Path}/1/retry", tenant: tenant));
        await retry.AssertProblemAsync(401, "Unauthorized");
        var delete = await anonymous.SendAsync(Ngsi.Request(HttpMethod.Delete, $"{DeadLettersApi.Path}/1", tenant: tenant));
        await delete.AssertProblemAsync(401, "Unauthorized");
    }
}
