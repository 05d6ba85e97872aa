using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using CityOS.Identity.Model;
using Microsoft.AspNetCore.TestHost;

namespace CityOS.Identity.Tests.Http;

/// <summary>The identity host with security on and the test clock.</summary>
public sealed class SecuredIdentityHost() : IdentityTestHost(true, "--CityOS:Security:Enabled", "true");

/// <summary>
/// In the real host, a refused request is answered in the form of the API it was sent to: NGSI-LD problem details on the broker,
/// RFC 6749 errors on the OAuth endpoints, RFC 9457 problem details on the administration API and for paths no API offers.
/// </summary>
public sealed class ErrorSurfaceTests(SecuredIdentityHost host) : IClassFixture<SecuredIdentityHost>
{
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, AuthenticationHeaderValue? authorization = null, string? accept = null, HttpContent? content = null)
    {
        using var client = host.NewClient();
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Authorization = authorization;
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        return await client.SendAsync(request);
    }

    private static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    private static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, int status, string contentType, string errorType)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + errorType, problem["type"]!.GetValue<string>());
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));
        return problem;
    }

    [Fact]
    public async Task The_broker_refuses_with_ngsi_ld_problem_details_and_a_bearer_challenge()
    {
        var garbage = await SendAsync(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Building", Bearer("garbage"), accept: "text/html");
        await AssertProblemAsync(garbage, 401, "application/json", "Unauthorized");
        Assert.StartsWith("Bearer realm=\"CityOS\", error=\"invalid_token\"", garbage.Headers.WwwAuthenticate.ToString());

        var notBearer = await SendAsync(HttpMethod.Get, "/ngsi-ld/v1/types", new AuthenticationHeaderValue("Basic", "YTpi"));
        await AssertProblemAsync(notBearer, 401, "application/json", "Unauthorized");
        Assert.StartsWith("Bearer realm=\"CityOS\", error=\"invalid_request\"", notBearer.Headers.WwwAuthenticate.ToString());

        var anonymousWrite = await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", content: new StringContent(
            """{"type":"Subscription","entities":[{"type":"Building"}],"notification":{"endpoint":{"uri":"http://127.0.0.1:9/notify"}}}""", Encoding.UTF8, "application/json"));
        await AssertProblemAsync(anonymousWrite, 401, "application/json", "Unauthorized");
        Assert.Equal("Bearer realm=\"CityOS\"", anonymousWrite.Headers.WwwAuthenticate.ToString());

        var resident = await host.UserTokenAsync(new TenantMembership("city-e", BuiltInRoles.Resident));
        var forbidden = await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", Bearer(resident), content: new StringContent(
            """{"id":"urn:ngsi-ld:Building:e1","type":"Building"}""", Encoding.UTF8, "application/json"));
        await AssertProblemAsync(forbidden, 403, "application/json", "Forbidden");
    }

    [Fact]
    public async Task The_administration_apis_refuse_with_rfc_9457_problem_details()
    {
        var anonymous = await SendAsync(HttpMethod.Get, "/identity/v1/accounts", accept: "text/html");
        await AssertProblemAsync(anonymous, 401, "application/problem+json", "Unauthorized");
        Assert.Equal("Bearer realm=\"CityOS\"", anonymous.Headers.WwwAuthenticate.ToString());

        var garbage = await SendAsync(HttpMethod.Get, "/identity/v1/accounts", Bearer("garbage"));
        await AssertProblemAsync(garbage, 401, "application/problem+json", "Unauthorized");
        Assert.StartsWith("Bearer realm=\"CityOS\", error=\"invalid_token\"", garbage.Headers.WwwAuthenticate.ToString());

        var resident = await host.UserTokenAsync(new TenantMembership("city-e", BuiltInRoles.Resident));
        await AssertProblemAsync(await SendAsync(HttpMethod.Get, "/identity/v1/accounts", Bearer(resident)), 403, "application/problem+json", "Forbidden");
        await AssertProblemAsync(await SendAsync(HttpMethod.Get, "/cityos/v1/admin/dead-letters", Bearer(resident)), 403, "application/problem+json", "Forbidden");
        await AssertProblemAsync(await SendAsync(HttpMethod.Get, "/cityos/v1/admin/dead-letters"), 401, "application/problem+json", "Unauthorized");
    }

    [Fact]
    public async Task The_oauth_endpoints_answer_rfc_6749_errors_as_before()
    {
        var (clientId, _) = await host.CreateClientAsync();
        var wrongSecret = await SendAsync(HttpMethod.Post, "/identity/v1/oauth/token",
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:wrong"))),
            content: new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.StatusCode);
        Assert.Equal("application/json; charset=utf-8", wrongSecret.Content.Headers.ContentType?.ToString());
        Assert.Equal("no-store", wrongSecret.Headers.CacheControl?.ToString());
        Assert.Equal("Basic realm=\"cityos\"", wrongSecret.Headers.WwwAuthenticate.ToString());
        var error = JsonNode.Parse(await wrongSecret.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["error", "error_description"], error.Select(m => m.Key));
        Assert.Equal("invalid_client", error["error"]!.GetValue<string>());

        var notAForm = await SendAsync(HttpMethod.Post, "/identity/v1/oauth/token", content: new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notAForm.StatusCode);
        Assert.Equal("invalid_request", JsonNode.Parse(await notAForm.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());

        var (serviceId, serviceSecret) = await host.CreateClientAsync(memberships: [new TenantMembership("city-e", BuiltInRoles.Service)]);
        var (status, tokens) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials", ["scope"] = "ngsi-ld" }, serviceId, serviceSecret);
        Assert.Equal(HttpStatusCode.OK, status);
        var noOpenId = await SendAsync(HttpMethod.Get, "/identity/v1/oauth/userinfo", Bearer(tokens["access_token"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Forbidden, noOpenId.StatusCode);
        Assert.StartsWith("Bearer realm=\"cityos\", error=\"insufficient_scope\"", noOpenId.Headers.WwwAuthenticate.ToString());
        Assert.Equal("insufficient_scope", JsonNode.Parse(await noOpenId.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());

        // The endpoints take no caller token: a garbage bearer does not stop discovery.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/.well-known/openid-configuration", Bearer("garbage"))).StatusCode);
    }

    [Theory]
    [InlineData("GET", "/no-such-path", 404, null)]
    [InlineData("GET", "/ngsi-ld/v1/no-such-resource", 404, "text/html")]
    [InlineData("GET", "/identity/v1/no-such-page", 404, "text/html")]
    [InlineData("PUT", "/identity/v1/login", 405, "text/html")]
    [InlineData("DELETE", "/identity/v1/oauth/token", 405, null)]
    public async Task A_path_or_method_no_api_offers_answers_rfc_9457_problem_details(string method, string path, int status, string? accept)
    {
        var response = await SendAsync(new HttpMethod(method), path, accept: accept);
        var problem = await AssertProblemAsync(response, status, "application/problem+json", status == 404 ? "ResourceNotFound" : "InvalidRequest");
        Assert.Equal(path, problem["instance"]!.GetValue<string>());
    }
}

/// <summary>
/// The writers of each surface, in a host of endpoints built here: 401 (the caller's challenge) and 403 (a refusal of the
/// endpoint) in the form of the surface, and the HTML page for a browser on the HTML surface.
/// </summary>
public sealed class SurfaceProblemWriterTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<ITokenValidator, OneTokenValidator>();
        builder.Services.AddCityOsHttpEdge();
        _app = builder.Build();
        _app.UseMiddleware<ErrorResponseMiddleware>();
        _app.UseStatusCodePages(ProblemResponses.WriteUnroutedAsync);
        _app.UseAuthentication();
        _app.UseAuthorization();
        foreach (var surface in Enum.GetValues<ApiSurface>())
        {
            var group = _app.MapGroup("/" + surface).WithSurface(surface).RequireAuthorization(CallerAuthentication.AccountPolicy);
            group.MapGet("/refused", () => Task.FromException<IResult>(new NgsiLdException(NgsiLdErrorType.Forbidden, "Not for this caller.")));
        }
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<HttpResponseMessage> GetAsync(ApiSurface surface, string? token, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/{surface}/refused");
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        return await _client.SendAsync(request);
    }

    [Theory]
    [InlineData(ApiSurface.NgsiLd, null, 401, "application/json")]
    [InlineData(ApiSurface.NgsiLd, OneTokenValidator.Token, 403, "application/json")]
    [InlineData(ApiSurface.Json, null, 401, "application/problem+json")]
    [InlineData(ApiSurface.Json, OneTokenValidator.Token, 403, "application/problem+json")]
    [InlineData(ApiSurface.Html, null, 401, "application/problem+json")]
    [InlineData(ApiSurface.Html, OneTokenValidator.Token, 403, "application/problem+json")]
    public async Task Json_surfaces_answer_problem_details_with_the_ngsi_ld_type(ApiSurface surface, string? token, int status, string contentType)
    {
        var response = await GetAsync(surface, token, accept: surface == ApiSurface.Html ? "application/json" : "text/html");
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(NgsiLdErrors.TypeUri(status == 401 ? NgsiLdErrorType.Unauthorized : NgsiLdErrorType.Forbidden), problem["type"]!.GetValue<string>());
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.Equal($"/{surface}/refused", problem["instance"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null, 401, "invalid_token")]
    [InlineData(OneTokenValidator.Token, 403, "access_denied")]
    public async Task The_oauth_surface_answers_rfc_6749_errors(string? token, int status, string error)
    {
        var response = await GetAsync(ApiSurface.OAuth, token, accept: "text/html");
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["error", "error_description"], body.Select(m => m.Key));
        Assert.Equal(error, body["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null, 401, "サインインが必要です。")]
    [InlineData("garbage", 401, "サインインが必要です。")]
    [InlineData(OneTokenValidator.Token, 403, "この操作は許可されていません。")]
    public async Task The_html_surface_shows_a_browser_a_page_in_japanese_and_english(string? token, int status, string japanese)
    {
        var response = await GetAsync(ApiSurface.Html, token, accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        if (status == 401) Assert.StartsWith("Bearer realm=\"CityOS\"", response.Headers.WwwAuthenticate.ToString());
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("<html lang=\"ja\">", page);
        Assert.Contains(japanese, page);
        Assert.Contains(status == 401 ? "Unauthorized" : "Forbidden: Not for this caller.", page);
    }

    [Fact]
    public async Task A_path_no_endpoint_takes_answers_rfc_9457_even_to_a_browser()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/Html/missing");
        request.Headers.Accept.ParseAdd("text/html");
        var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(NgsiLdErrors.TypeUri(NgsiLdErrorType.ResourceNotFound), JsonNode.Parse(await response.Content.ReadAsStringAsync())!["type"]!.GetValue<string>());
    }

    /// <summary>Knows one token, of a caller who holds no role.</summary>
    private sealed class OneTokenValidator : ITokenValidator
    {
        public const string Token = "the-token";

        public Task<CallerIdentity> ValidateAsync(string bearer, CancellationToken ct) => bearer == Token
            ? Task.FromResult(new CallerIdentity { Subject = "someone" })
            : throw new NgsiLdException(NgsiLdErrorType.Unauthorized, "The token is not valid.");
    }
}
