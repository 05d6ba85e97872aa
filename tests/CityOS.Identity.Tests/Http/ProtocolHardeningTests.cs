using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Core.Security;
using CityOS.Identity.Model;

namespace CityOS.Identity.Tests.Http;

/// <summary>The lower findings of the attack table: each a request and the answer it must now get.</summary>
public class ProtocolHardeningTests(IdentityTestHost host) : IClassFixture<IdentityTestHost>
{
    [Fact]
    public async Task Malformed_bodies_get_400_never_500()
    {
        var (id, secret) = await host.CreateClientAsync();
        using var http = host.NewClient();
        using var multipart = new MultipartFormDataContent { { new StringContent("client_credentials"), "grant_type" } };
        var token = await http.PostAsync("/identity/v1/oauth/token", multipart);
        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Equal("invalid_request", JsonNode.Parse(await token.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());

        var json = await http.PostAsync("/identity/v1/oauth/token", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        var login = await http.PostAsync("/identity/v1/login", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        var logout = await http.PostAsync("/identity/v1/oauth/logout", new MultipartFormDataContent { { new StringContent("x"), "state" } });
        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id, secret)).Status);
    }

    [Fact]
    public async Task Two_client_authentication_methods_at_once_are_an_invalid_request()
    {
        var (id, secret) = await host.CreateClientAsync();
        var (status, body) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials", ["client_secret"] = secret! }, id, secret);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_client_introspects_only_its_own_tokens_unless_registered_for_introspection()
    {
        var (owner, ownerSecret) = await host.CreateClientAsync();
        var (other, otherSecret) = await host.CreateClientAsync();
        var token = (await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, owner, ownerSecret)).Body["access_token"]!.GetValue<string>();
        Assert.True((await IntrospectAsync(owner, ownerSecret!, token))["active"]!.GetValue<bool>());
        Assert.Equal(new JsonObject { ["active"] = false }.ToJsonString(), (await IntrospectAsync(other, otherSecret!, token)).ToJsonString());

        var (resourceServer, resourceServerSecret) = await host.Services.GetRequiredService<Services.ClientRegistry>().RegisterAsync(new Services.ClientDraft
        {
            ClientId = "rs-" + Guid.NewGuid().ToString("N")[..8], GrantTypes = [GrantTypes.ClientCredentials], Scopes = ["introspection"],
        }, default);
        var described = await IntrospectAsync(resourceServer.Id, resourceServerSecret!, token);
        Assert.True(described["active"]!.GetValue<bool>());
        Assert.Equal(owner, described["client_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_refused_scope_leaves_the_refresh_token_usable_and_offline_access_decides_whether_there_is_one()
    {
        var account = await host.CreateAccountAsync();
        var (_, clientId, secret, tokens) = await SignInAsync(account, "openid profile offline_access");
        var refresh = tokens["refresh_token"]!.GetValue<string>();
        var (refused, body) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh, ["scope"] = "openid email" }, clientId, secret);
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Equal("invalid_scope", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh }, clientId, secret)).Status);

        var (_, _, _, online) = await SignInAsync(account, "openid profile");
        Assert.NotNull(online["access_token"]);
        Assert.Null(online["refresh_token"]);
    }

    [Fact]
    public async Task Responses_are_never_content_sniffed()
    {
        using var http = host.NewClient();
        foreach (var url in new[] { "/.well-known/openid-configuration", "/identity/v1/oauth/jwks", "/identity/v1/login?return_to=%2Fidentity%2Fv1%2Faccount%2Fmfa", "/identity/v1/accounts", "/ngsi-ld/v1/types" })
        {
            var response = await http.GetAsync(url);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
        var token = await http.PostAsync("/identity/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }));
        Assert.Equal("nosniff", token.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Admin_errors_name_json_members_not_dotnet_types()
    {
        var admin = await host.UserTokenAsync(new TenantMembership(SecurityTenants.All, BuiltInRoles.SystemAdmin));
        foreach (var body in new[] { """{"username":"x","password":"correct horse battery","shoeSize":44}""", """{"username":["x"]}""" })
        {
            var response = await host.SendAsync(HttpMethod.Post, "/identity/v1/accounts", admin, body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var detail = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("CityOS.", detail);
            Assert.DoesNotContain("System.", detail);
        }
    }

    [Fact]
    public async Task A_tenant_admin_cannot_attach_another_tenants_user_or_read_their_email()
    {
        var tenantAdmin = await host.UserTokenAsync(new TenantMembership("city-a", BuiltInRoles.TenantAdmin));
        var foreign = await host.CreateAccountAsync(null, new TenantMembership("city-b", BuiltInRoles.Operator));
        var attach = await host.SendAsync(HttpMethod.Post, $"/identity/v1/accounts/{foreign.Id}/roles", tenantAdmin, """{"tenant":"city-a","role":"resident"}""");
        Assert.Equal(HttpStatusCode.NotFound, attach.StatusCode);
        Assert.DoesNotContain("@", await attach.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, $"/identity/v1/accounts/{foreign.Id}", tenantAdmin)).StatusCode);

        var own = await host.CreateAccountAsync(null, new TenantMembership("city-a", BuiltInRoles.Resident));
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Post, $"/identity/v1/accounts/{own.Id}/roles", tenantAdmin, """{"tenant":"city-a","role":"operator"}""")).StatusCode);
    }

    [Fact]
    public async Task The_tenant_named_default_is_the_default_tenant()
    {
        var id = "urn:ngsi-ld:Building:" + Guid.NewGuid().ToString("N");
        var created = await host.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", null, $$$"""{"id":"{{{id}}}","type":"Building"}""", tenant: "default");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}", null)).StatusCode);
    }

    private async Task<(Account Account, string ClientId, string Secret, JsonObject Tokens)> SignInAsync(Account account, string scope)
    {
        var (clientId, secret) = await host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        using var browser = host.NewBrowser();
        var first = await browser.GetAsync(IdentityTestHost.AuthorizeQuery(clientId, verifier, scope: scope));
        var page = await (await browser.GetAsync(first.Headers.Location!.ToString())).Content.ReadAsStringAsync();
        var posted = await browser.PostFormAsync("/identity/v1/login", new()
        {
            ["username"] = account.Username, ["password"] = IdentityTestHost.Password,
            ["csrf"] = Browser.HiddenField(page, "csrf"), ["return_to"] = Browser.HiddenField(page, "return_to"),
        });
        var back = await browser.GetAsync(posted.Headers.Location!.ToString());
        return (account, clientId, secret!, await host.ExchangeCodeAsync(clientId, secret, IdentityTestHost.CodeFrom(back.Headers.Location!), verifier));
    }

    private async Task<JsonObject> IntrospectAsync(string id, string secret, string token)
    {
        using var http = host.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/identity/v1/oauth/introspect") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}")));
        var response = await http.SendAsync(request);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }
}
