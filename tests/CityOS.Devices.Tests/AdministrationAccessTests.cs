using System.Net;
using System.Net.Http.Headers;
using CityOS.Identity.Model;

namespace CityOS.Devices.Tests;

/// <summary>The host with security on, whatever CITYOS_TEST_AUTH says; <see cref="CityOsTestHost.Client"/> is a system-admin.</summary>
public sealed class SecuredDevicesHost : CityOsTestHost
{
    protected override bool SecurityOn => true;
}

/// <summary>With security on, provisioning and the external systems CityOS polls are for the tenant's administrators.</summary>
public sealed class AdministrationAccessTests(SecuredDevicesHost host) : IClassFixture<SecuredDevicesHost>
{
    private async Task<HttpStatusCode> GetAsync(string? token, string path, string header, string tenant)
    {
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(header, tenant);
        if (header == "fiware-service") request.Headers.Add("fiware-servicepath", "/");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Theory]
    [InlineData("/import/v1/sources", "NGSILD-Tenant")]
    [InlineData("/iot/services", "fiware-service")]
    [InlineData("/iot/devices", "fiware-service")]
    public async Task Only_a_system_admin_or_the_tenants_tenant_admin_may_administer_its_devices_and_external_systems(string path, string header)
    {
        var tenant = "adm" + Guid.NewGuid().ToString("N")[..8];
        var tenantAdmin = await host.TokenAsync("admin-" + tenant, new TenantMembership(tenant, BuiltInRoles.TenantAdmin));
        var operatorToken = await host.TokenAsync("operator-" + tenant, new TenantMembership(tenant, BuiltInRoles.Operator));
        var otherAdmin = await host.TokenAsync("other-" + tenant, new TenantMembership("z" + tenant, BuiltInRoles.TenantAdmin));

        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(null, path, header, tenant));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(operatorToken, path, header, tenant));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(otherAdmin, path, header, tenant));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(tenantAdmin, path, header, tenant));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host.Client.DefaultRequestHeaders.Authorization!.Parameter, path, header, tenant));
    }
}
