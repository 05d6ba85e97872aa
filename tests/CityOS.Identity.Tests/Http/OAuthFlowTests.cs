using System.Net;
using System.Text.Json.Nodes;
using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Tokens;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CityOS.Identity.Tests.Http;

public class OAuthFlowTests(IdentityTestHost host) : IClassFixture<IdentityTestHost>
{
    [Fact]
    public async Task Discovery_and_jwks_describe_the_provider()
    {
        using var client = host.NewClient();
        var discovery = JsonNode.Parse(await client.GetStringAsync("/.well-known/openid-configuration"))!;
        Assert.Equal(host.Issuer, discovery["issuer"]!.GetValue<string>());
        Assert.Equal(host.Issuer + "/identity/v1/oauth/token", discovery["token_endpoint"]!.GetValue<string>());
        Assert.Equal(["S256"], discovery["code_challenge_methods_supported"]!.AsArray().Select(v => v!.GetValue<string>()));

        await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, (await host.CreateClientAsync()).Id, (await host.CreateClientAsync()).Secret);
        var (id, secret) = await host.CreateClientAsync(algorithm: "RS256");
        await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id, secret);
        var jwks = JsonNode.Parse(await client.GetStringAsync("/identity/v1/oauth/jwks"))!["keys"]!.AsArray();
        Assert.Contains(jwks, k => k!["kty"]!.GetValue<string>() == "EC" && k["alg"]!.GetValue<string>() == "ES256" && k["d"] is null);
        Assert.Contains(jwks, k => k!["kty"]!.GetValue<string>() == "RSA" && k["alg"]!.GetValue<string>() == "RS256" && k["d"] is null);
    }

    [Fact]
    public async Task Client_credentials_gives_a_signed_access_token_with_the_client_roles()
    {
        var (id, secret) = await host.CreateClientAsync(memberships: new TenantMembership("city-a", "service"));
        var (status, body) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials", ["scope"] = "ngsi-ld" }, id, secret);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Bearer", body["token_type"]!.GetValue<string>());
        Assert.Null(body["refresh_token"]);
        var token = new JsonWebToken(body["access_token"]!.GetValue<string>());
        Assert.Equal("ES256", token.Alg);
        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal(id, token.Subject);
        Assert.Equal(id, token.GetClaim("client_id").Value);
        Assert.Equal("ngsi-ld", token.GetClaim("scope").Value);

        var caller = await host.Services.GetRequiredService<ITokenValidator>().ValidateAsync(token.EncodedToken, default);
        Assert.Equal(["service"], caller.RolesIn("city-a"));

        var wrong = await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id, secret + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal("invalid_client", wrong.Body["error"]!.GetValue<string>());
        var scope = await host.TokenAsync(new() { ["grant_type"] = "client_credentials", ["scope"] = "admin" }, id, secret);
        Assert.Equal("invalid_scope", scope.Body["error"]!.GetValue<string>());
        var unknown = await host.TokenAsync(new() { ["grant_type"] = "password", ["username"] = "x" }, id, secret);
        Assert.Equal("unsupported_grant_type", unknown.Body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Public_clients_cannot_use_client_credentials()
    {
        var (id, _) = await host.CreateClientAsync(isPublic: true);
        var (status, body) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unauthorized_client", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Authorization_code_with_pkce_gives_access_id_and_refresh_tokens()
    {
        var account = await host.CreateAccountAsync(null, new TenantMembership("city-a", "operator"));
        var (id, _) = await host.CreateClientAsync(isPublic: true, algorithm: "RS256");
        var verifier = IdentityTestHost.NewVerifier();
        var code = await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username);
        var tokens = await host.ExchangeCodeAsync(id, null, code, verifier);

        var access = new JsonWebToken(tokens["access_token"]!.GetValue<string>());
        Assert.Equal("RS256", access.Alg);
        Assert.Equal(account.Id, access.Subject);
        Assert.Equal(host.Issuer, access.Issuer);
        Assert.Equal(["pwd"], TokenValidator.StringList(access, "amr"));
        Assert.Equal(TokenIssuer.AcrPassword, access.GetClaim("acr").Value);
        var idToken = new JsonWebToken(tokens["id_token"]!.GetValue<string>());
        Assert.Equal(id, idToken.Audiences.Single());
        Assert.Equal("n0nce", idToken.GetClaim("nonce").Value);
        Assert.Equal("Test User", idToken.GetClaim("name").Value);
        Assert.NotNull(tokens["refresh_token"]);

        using var client = host.NewClient();
        using var userinfo = new HttpRequestMessage(HttpMethod.Get, "/identity/v1/oauth/userinfo");
        userinfo.Headers.Authorization = new("Bearer", access.EncodedToken);
        var claims = JsonNode.Parse(await (await client.SendAsync(userinfo)).Content.ReadAsStringAsync())!;
        Assert.Equal(account.Id, claims["sub"]!.GetValue<string>());
        Assert.Equal(account.Username, claims["preferred_username"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unregistered_redirect_uri_is_refused_without_redirecting()
    {
        var (id, _) = await host.CreateClientAsync(isPublic: true);
        using var browser = host.NewBrowser();
        foreach (var uri in new[] { "https://evil.example/callback", "https://app.example/callback/", "https://app.example/callback?x=1" })
        {
            var response = await browser.GetAsync(IdentityTestHost.AuthorizeQuery(id, IdentityTestHost.NewVerifier(), uri));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Null(response.Headers.Location);
            Assert.Contains("redirect_uri", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Public_client_without_pkce_or_with_plain_gets_an_error_at_its_redirect_uri()
    {
        var (id, _) = await host.CreateClientAsync(isPublic: true);
        using var browser = host.NewBrowser();
        var missing = await browser.GetAsync($"/identity/v1/oauth/authorize?response_type=code&client_id={id}&redirect_uri={Uri.EscapeDataString("https://app.example/callback")}&scope=openid&state=s1");
        var query = QueryHelpers.ParseQuery(missing.Headers.Location!.Query);
        Assert.StartsWith("https://app.example/callback?", missing.Headers.Location!.ToString());
        Assert.Equal("invalid_request", query["error"].ToString());
        Assert.Equal("s1", query["state"].ToString());
        Assert.Equal(host.Issuer, query["iss"].ToString());

        var plain = await browser.GetAsync(IdentityTestHost.AuthorizeQuery(id, IdentityTestHost.NewVerifier()).Replace("S256", "plain"));
        Assert.Equal("invalid_request", QueryHelpers.ParseQuery(plain.Headers.Location!.Query)["error"].ToString());
    }

    [Fact]
    public async Task Pkce_mismatch_or_missing_verifier_fails_the_exchange()
    {
        var account = await host.CreateAccountAsync();
        var (id, _) = await host.CreateClientAsync(isPublic: true);
        var verifier = IdentityTestHost.NewVerifier();

        var code = await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username);
        var (status, body) = await host.TokenAsync(new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "https://app.example/callback",
            ["code_verifier"] = IdentityTestHost.NewVerifier(),
        }, id);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
        Assert.Contains("PKCE", body["error_description"]!.GetValue<string>());

        code = await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username);
        (status, body) = await host.TokenAsync(new() { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "https://app.example/callback" }, id);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Redirect_uri_must_match_at_the_token_endpoint()
    {
        var account = await host.CreateAccountAsync();
        var (id, secret) = await host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        var code = await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username);
        var (_, body) = await host.TokenAsync(new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "https://app.example/other", ["code_verifier"] = verifier,
        }, id, secret);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_reused_code_is_refused_and_revokes_the_tokens_it_gave()
    {
        var account = await host.CreateAccountAsync();
        var (id, secret) = await host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        var code = await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username);
        var tokens = await host.ExchangeCodeAsync(id, secret, code, verifier);
        var access = tokens["access_token"]!.GetValue<string>();
        Assert.True(await IntrospectActiveAsync(id, secret!, access));

        var (status, body) = await host.TokenAsync(new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "https://app.example/callback", ["code_verifier"] = verifier,
        }, id, secret);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
        Assert.False(await IntrospectActiveAsync(id, secret!, access));
        Assert.False(await IntrospectActiveAsync(id, secret!, tokens["refresh_token"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Codes_expire()
    {
        var account = await host.CreateAccountAsync();
        var (id, secret) = await host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        var code = await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username);
        host.Clock.Advance(TimeSpan.FromMinutes(2));
        var (_, body) = await host.TokenAsync(new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "https://app.example/callback", ["code_verifier"] = verifier,
        }, id, secret);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
        Assert.Contains("expired", body["error_description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Refresh_tokens_rotate_and_reuse_revokes_the_family()
    {
        var account = await host.CreateAccountAsync();
        var (id, secret) = await host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        var first = await host.ExchangeCodeAsync(id, secret, await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username), verifier);
        var r1 = first["refresh_token"]!.GetValue<string>();

        var (status, second) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = r1 }, id, secret);
        Assert.Equal(HttpStatusCode.OK, status);
        var r2 = second["refresh_token"]!.GetValue<string>();
        Assert.NotEqual(r1, r2);
        var a2 = second["access_token"]!.GetValue<string>();
        Assert.True(await IntrospectActiveAsync(id, secret!, a2));

        var (reuseStatus, reuse) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = r1 }, id, secret);
        Assert.Equal(HttpStatusCode.BadRequest, reuseStatus);
        Assert.Equal("invalid_grant", reuse["error"]!.GetValue<string>());

        var (_, afterReuse) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = r2 }, id, secret);
        Assert.Equal("invalid_grant", afterReuse["error"]!.GetValue<string>());
        Assert.False(await IntrospectActiveAsync(id, secret!, a2));
        await Assert.ThrowsAsync<CityOS.Core.NgsiLdException>(() => host.Services.GetRequiredService<ITokenValidator>().ValidateAsync(a2, default));
    }

    [Fact]
    public async Task Refresh_tokens_belong_to_their_client()
    {
        var account = await host.CreateAccountAsync();
        var (id, secret) = await host.CreateClientAsync();
        var (other, otherSecret) = await host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        var tokens = await host.ExchangeCodeAsync(id, secret, await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username), verifier);
        var (_, body) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = tokens["refresh_token"]!.GetValue<string>() }, other, otherSecret);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Expired_and_tampered_access_tokens_are_refused()
    {
        var token = await host.UserTokenAsync(new TenantMembership("city-a", "resident"));
        using var client = host.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await UserInfoAsync(client, token)).StatusCode);

        var parts = token.Split('.');
        var payload = JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]))!;
        payload["tenants"] = new JsonObject { ["city-a"] = new JsonArray("tenant-admin") };
        var tampered = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";
        var refused = await UserInfoAsync(client, tampered);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString());

        var unsigned = $"{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"at+jwt\"}")}.{parts[1]}.";
        Assert.Equal(HttpStatusCode.Unauthorized, (await UserInfoAsync(client, unsigned)).StatusCode);

        host.Clock.Advance(TimeSpan.FromMinutes(11));
        var expired = await UserInfoAsync(client, token);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_token_of_tenant_A_grants_nothing_in_tenant_B()
    {
        var token = await host.UserTokenAsync(new TenantMembership("city-a", "operator"));
        var caller = await host.Services.GetRequiredService<ITokenValidator>().ValidateAsync(token, default);
        var policy = host.Services.GetRequiredService<IAccessPolicy>();
        Assert.True((await policy.DecideAsync(caller, AccessAction.Update, new("city-a", "Building", "urn:ngsi-ld:Building:1"), default)).Allowed);
        var denied = await policy.DecideAsync(caller, AccessAction.Read, new("city-b", "Building", "urn:ngsi-ld:Building:1"), default);
        Assert.False(denied.Allowed);
        Assert.True((await policy.ScopeAsync(caller, "city-b", AccessAction.Read, default)).IsEmpty);
        Assert.True((await policy.DecideAsync(CallerIdentity.Anonymous, AccessAction.Read, new("opendata", "WeatherObserved"), default)).Allowed);
    }

    [Fact]
    public async Task Revocation_of_an_access_token_and_of_a_refresh_token()
    {
        var account = await host.CreateAccountAsync();
        var (id, secret) = await host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        var tokens = await host.ExchangeCodeAsync(id, secret, await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username), verifier);
        var access = tokens["access_token"]!.GetValue<string>();
        var refresh = tokens["refresh_token"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, await RevokeAsync(id, secret!, access));
        Assert.False(await IntrospectActiveAsync(id, secret!, access));
        Assert.True(await IntrospectActiveAsync(id, secret!, refresh));
        Assert.Equal(HttpStatusCode.OK, await RevokeAsync(id, secret!, refresh));
        Assert.False(await IntrospectActiveAsync(id, secret!, refresh));
        Assert.Equal(HttpStatusCode.OK, await RevokeAsync(id, secret!, "not-a-token"));
        Assert.Equal(HttpStatusCode.Unauthorized, await RevokeAsync(id, "wrong", access));
    }

    [Fact]
    public async Task Introspection_describes_an_active_token_and_requires_a_confidential_client()
    {
        var (id, secret) = await host.CreateClientAsync(memberships: new TenantMembership("city-a", "service"));
        var (_, body) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id, secret);
        var token = body["access_token"]!.GetValue<string>();
        var introspection = await IntrospectAsync(id, secret!, token);
        Assert.True(introspection["active"]!.GetValue<bool>());
        Assert.Equal(id, introspection["client_id"]!.GetValue<string>());
        Assert.Equal("service", introspection["tenants"]!["city-a"]![0]!.GetValue<string>());

        var (publicId, _) = await host.CreateClientAsync(isPublic: true);
        using var client = host.NewClient();
        var response = await client.PostAsync("/identity/v1/oauth/introspect", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = publicId, ["token"] = token }));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Signing_keys_rotate_and_the_old_key_stays_published_while_its_tokens_live()
    {
        var (id, secret) = await host.CreateClientAsync();
        var (_, before) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id, secret);
        var oldToken = new JsonWebToken(before["access_token"]!.GetValue<string>());
        host.Clock.Advance(TimeSpan.FromDays(31));
        var (_, after) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id, secret);
        var newToken = new JsonWebToken(after["access_token"]!.GetValue<string>());
        Assert.NotEqual(oldToken.Kid, newToken.Kid);
        var kids = await KidsAsync();
        Assert.Contains(oldToken.Kid, kids);
        Assert.Contains(newToken.Kid, kids);
        host.Clock.Advance(TimeSpan.FromMinutes(11));
        Assert.DoesNotContain(oldToken.Kid, await KidsAsync());
        Assert.NotNull(await host.Services.GetRequiredService<ITokenValidator>().ValidateAsync(
            (await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id, secret)).Body["access_token"]!.GetValue<string>(), default));
    }

    [Fact]
    public async Task Duplicate_parameters_and_non_form_bodies_are_invalid_requests()
    {
        var (id, secret) = await host.CreateClientAsync();
        using var client = host.NewClient();
        var duplicated = new StringContent("grant_type=client_credentials&grant_type=refresh_token&client_id=" + id + "&client_secret=" + secret,
            System.Text.Encoding.ASCII, "application/x-www-form-urlencoded");
        var response = await client.PostAsync("/identity/v1/oauth/token", duplicated);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
        var json = await client.PostAsync("/identity/v1/oauth/token", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
    }

    private async Task<string[]> KidsAsync()
    {
        using var client = host.NewClient();
        return JsonNode.Parse(await client.GetStringAsync("/identity/v1/oauth/jwks"))!["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ToArray();
    }

    private async Task<HttpResponseMessage> UserInfoAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/identity/v1/oauth/userinfo");
        request.Headers.Authorization = new("Bearer", token);
        return await client.SendAsync(request);
    }

    private async Task<HttpStatusCode> RevokeAsync(string id, string secret, string token)
    {
        using var client = host.NewClient();
        var response = await client.PostAsync("/identity/v1/oauth/revoke",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = id, ["client_secret"] = secret, ["token"] = token }));
        return response.StatusCode;
    }

    private async Task<JsonObject> IntrospectAsync(string id, string secret, string token)
    {
        using var client = host.NewClient();
        var response = await client.PostAsync("/identity/v1/oauth/introspect",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = id, ["client_secret"] = secret, ["token"] = token }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private async Task<bool> IntrospectActiveAsync(string id, string secret, string token) =>
        (await IntrospectAsync(id, secret, token))["active"]!.GetValue<bool>();
}
