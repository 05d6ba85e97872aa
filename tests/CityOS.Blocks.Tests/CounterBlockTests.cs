using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Blocks.Tests.SampleBlock;
using CityOS.Identity.Model;

namespace CityOS.Blocks.Tests;

/// <summary>
/// The sample counter block, composed into the full host through the block convention, as its users meet it: its route
/// counts in an entity that the NGSI-LD API shows (and changes), in the request's tenant, as the request's caller.
/// </summary>
public sealed class CounterBlockTests(CounterHost host) : IClassFixture<CounterHost>
{
    [Fact]
    public async Task The_blocks_route_counts_in_an_entity_that_the_NGSI_LD_API_shows()
    {
        var id = NewId();

        Assert.Equal(1, (await CounterRequests.IncrementAsync(host.Client, id)).Count);
        Assert.Equal(2, (await CounterRequests.IncrementAsync(host.Client, id)).Count);

        var entity = await host.Client.GetFromJsonAsync<JsonObject>($"/ngsi-ld/v1/entities/{id}");
        Assert.Equal("Counter", entity!["type"]!.GetValue<string>());
        Assert.Equal(2, entity["count"]!["value"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_count_changed_through_the_NGSI_LD_API_is_the_one_the_block_reads_and_increments()
    {
        var id = NewId();
        var created = await host.Client.PostAsync("/ngsi-ld/v1/entities",
            Json($$$"""{"id": "{{{id}}}", "type": "Counter", "count": {"type": "Property", "value": 10}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        Assert.Equal(10, (await host.Client.GetFromJsonAsync<CounterState>($"/cityos/counter/v1/{id}"))!.Count);
        Assert.Equal(11, (await CounterRequests.IncrementAsync(host.Client, id)).Count);

        var patched = await host.Client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs", Json("""{"count": {"type": "Property", "value": 40}}"""));
        Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        Assert.Equal(41, (await CounterRequests.IncrementAsync(host.Client, id)).Count);
    }

    [Fact]
    public async Task A_tenants_counter_is_invisible_from_another_tenant()
    {
        var id = NewId();
        var tenant = "counters-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(1, (await CounterRequests.IncrementAsync(host.Client, id, tenant)).Count);

        Assert.Equal(HttpStatusCode.NotFound, (await CounterRequests.SendAsync(host.Client, HttpMethod.Get, id, tenant: null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await CounterRequests.SendAsync(host.Client, HttpMethod.Get, id, tenant: "another-" + tenant)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync($"/ngsi-ld/v1/entities/{id}")).StatusCode);
        using var inTenant = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}");
        inTenant.Headers.Add("NGSILD-Tenant", tenant);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(inTenant)).StatusCode);
    }

    [Fact]
    public async Task An_id_that_is_not_a_URI_is_refused_by_the_contract_and_the_block_answers_400()
    {
        var response = await CounterRequests.SendAsync(host.Client, HttpMethod.Post, "not-a-uri", tenant: null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not a valid entity id", (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
    }

    [Fact]
    public void The_sample_block_is_built_on_CityOS_Core_only()
    {
        var cityOsReferences = typeof(CounterBlock).Assembly.GetReferencedAssemblies()
            .Select(a => a.Name!).Where(n => n.StartsWith("CityOS.", StringComparison.Ordinal)).ToList();

        Assert.Equal(["CityOS.Core"], cityOsReferences);
    }

    internal static string NewId() => "urn:ngsi-ld:Counter:" + Guid.NewGuid().ToString("N");

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}

/// <summary>The enable switch: a block switched off registers and maps nothing, and the others run as before.</summary>
public sealed class CounterSwitchedOffTests(CounterOffHost host) : IClassFixture<CounterOffHost>
{
    [Fact]
    public async Task Its_route_is_not_there_and_the_broker_still_answers()
    {
        var id = CounterBlockTests.NewId();

        Assert.Equal(HttpStatusCode.NotFound, (await CounterRequests.SendAsync(host.Client, HttpMethod.Post, id, tenant: null)).StatusCode);
        Assert.Null(host.Services.GetService<Counter>());
        var created = await host.Client.PostAsync("/ngsi-ld/v1/entities", CounterBlockTests.Json($$"""{"id": "{{id}}", "type": "Counter"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }
}

/// <summary>The counter block with security on: the caller of the request is the caller of the context API.</summary>
public sealed class SecuredCounterBlockTests(SecuredCounterHost host) : IClassFixture<SecuredCounterHost>
{
    private const string Tenant = "secured-city";

    [Fact]
    public async Task A_caller_without_a_grant_in_the_tenant_is_refused_with_403()
    {
        var token = await host.TokenAsync("resident-" + Guid.NewGuid().ToString("N"), new TenantMembership(Tenant, BuiltInRoles.Resident));

        var response = await CounterRequests.SendAsync(host.Client, HttpMethod.Post, CounterBlockTests.NewId(), Tenant, token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task An_operator_counts_in_its_tenant_and_is_refused_in_another()
    {
        var token = await host.TokenAsync("operator-" + Guid.NewGuid().ToString("N"), new TenantMembership(Tenant, BuiltInRoles.Operator));
        var id = CounterBlockTests.NewId();

        var counted = await CounterRequests.SendAsync(host.Client, HttpMethod.Post, id, Tenant, token);
        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        Assert.Equal(1, (await counted.Content.ReadFromJsonAsync<CounterState>())!.Count);

        Assert.Equal(HttpStatusCode.Forbidden, (await CounterRequests.SendAsync(host.Client, HttpMethod.Post, id, "another-city", token)).StatusCode);
    }

    [Fact]
    public async Task A_request_without_a_token_is_refused_with_401()
    {
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };

        var response = await CounterRequests.SendAsync(anonymous, HttpMethod.Post, CounterBlockTests.NewId(), Tenant);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

/// <summary>Requests to the counter block's routes.</summary>
internal static class CounterRequests
{
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string id, string? tenant, string? token = null)
    {
        using var request = new HttpRequestMessage(method, $"/cityos/counter/v1/{Uri.EscapeDataString(id)}");
        if (tenant is not null) request.Headers.Add("NGSILD-Tenant", tenant);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    public static async Task<CounterState> IncrementAsync(HttpClient client, string id, string? tenant = null)
    {
        var response = await SendAsync(client, HttpMethod.Post, id, tenant);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CounterState>())!;
    }
}
