using System.Net;
using System.Text.RegularExpressions;
using CityOS.Context.Tests.Broker;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Info;

/// <summary>GET /ngsi-ld/v1/info/sourceIdentity (GS CIM 009 1.9.1, 5.15.1, 5.2.40).</summary>
public sealed partial class ContextSourceIdentityTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    [Fact]
    public async Task The_identity_carries_the_mandatory_members()
    {
        var response = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/info/sourceIdentity", accept: "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.BodyAsync();
        Assert.Equal("ContextSourceIdentity", body["type"]!.GetValue<string>());
        Assert.StartsWith("urn:", body["id"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["contextSourceAlias"]!.GetValue<string>()));
        Assert.Matches(IsoDuration(), body["contextSourceUptime"]!.GetValue<string>());
        Assert.Matches(UtcDateTime(), body["contextSourceTimeAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task Each_tenant_has_its_own_stable_alias()
    {
        async Task<string> Alias(string? tenant) =>
            (await (await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/info/sourceIdentity", tenant: tenant))).BodyAsync())["contextSourceAlias"]!.GetValue<string>();

        var defaultAlias = await Alias(null);
        var a = await Alias("identity-a");
        var b = await Alias("identity-b");

        Assert.NotEqual(defaultAlias, a);
        Assert.NotEqual(a, b);
        Assert.Equal(a, await Alias("identity-a"));
    }

    [Fact]
    public async Task As_json_ld_the_body_names_the_core_context()
    {
        var response = await _client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/info/sourceIdentity", accept: "application/ld+json"));

        Assert.Equal("application/ld+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(BrokerHost.CoreContext, (await response.BodyAsync())["@context"]!.ToJsonString());
    }

    [GeneratedRegex(@"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?!$)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")]
    private static partial Regex IsoDuration();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")]
    private static partial Regex UtcDateTime();
}
