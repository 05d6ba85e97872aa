using System.Net;
using System.Text.Json.Nodes;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.WebUtilities;

namespace CityOS.Identity.Tests;

/// <summary>
/// The real cityos host (all blocks) on a free loopback port with its own data directory and a test clock
/// in place of the system clock, plus helpers that create accounts and clients and sign in over HTTP.
/// </summary>
public class IdentityTestHost : IAsyncLifetime
{
    public const string Password = "correct horse battery";
    private readonly bool _testClock;
    private readonly string[] _settings;
    private WebApplication? _app;

    public IdentityTestHost()
        : this(testClock: true)
    {
    }

    /// <param name="testClock">False for tests with real third-party clients, which check token times against the real clock.</param>
    /// <param name="settings">More command-line settings, e.g. trusted issuers.</param>
    protected IdentityTestHost(bool testClock, params string[] settings)
    {
        _testClock = testClock;
        _settings = settings;
    }

    /// <summary>A host (test clock) with more settings, started by the caller.</summary>
    public static IdentityTestHost WithSettings(params string[] settings) => new(true, settings);

    public TestClock Clock { get; } = new();
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "cityos-identity-test-" + Guid.NewGuid().ToString("N"));
    public Uri BaseAddress { get; private set; } = null!;
    public string Issuer => BaseAddress.ToString().TrimEnd('/');
    public IServiceProvider Services => _app!.Services;

    public async Task InitializeAsync()
    {
        _app = CityOS.Server.CityOsHost.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--data", DataDirectory,
            "--Logging:LogLevel:Default", "Warning",
            "--CityOS:Mqtt:Broker:Port", "0",
            "--CityOS:Identity:PasswordIterations", "1000",
            "--CityOS:Identity:AnonymousReadTenants:0", "opendata",
            .. _settings,
        ], services =>
        {
            if (_testClock) services.AddSingleton<TimeProvider>(Clock);
        });
        BaseAddress = await InProcessHost.StartAsync(_app);
    }

    public async Task DisposeAsync()
    {
        await InProcessHost.StopAsync(_app, DataDirectory);
    }

    /// <summary>A browser: its own cookies, redirects not followed so the tests see every hop.</summary>
    public Browser NewBrowser() => new(BaseAddress);

    public HttpClient NewClient() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };

    public async Task<Account> CreateAccountAsync(string? username = null, params TenantMembership[] memberships) =>
        await Services.GetRequiredService<AccountManager>().CreateAsync(new AccountDraft
        {
            Username = username ?? "user" + Guid.NewGuid().ToString("N")[..8],
            Password = Password,
            DisplayName = "Test User",
            Email = "user@example.jp",
            Memberships = [.. memberships],
        }, CancellationToken.None);

    public async Task<(string Id, string? Secret)> CreateClientAsync(bool isPublic = false, string algorithm = "ES256", string[]? grants = null,
        string redirectUri = "https://app.example/callback", params TenantMembership[] memberships)
    {
        var (client, secret) = await Services.GetRequiredService<ClientRegistry>().RegisterAsync(new ClientDraft
        {
            ClientId = "test-" + Guid.NewGuid().ToString("N")[..10],
            Public = isPublic,
            RedirectUris = [redirectUri],
            PostLogoutRedirectUris = ["https://app.example/bye"],
            GrantTypes = [.. grants ?? (isPublic ? [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken] : GrantTypes.All)],
            Scopes = ["openid", "profile", "email", "offline_access", "ngsi-ld"],
            SigningAlgorithm = algorithm,
            Memberships = [.. memberships],
        }, CancellationToken.None);
        return (client.Id, secret);
    }

    /// <summary>A JSON request with a bearer token (and a tenant), its body buffered.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? token, string? json = null, string? tenant = null)
    {
        using var http = NewClient();
        using var request = new HttpRequestMessage(method, url);
        if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        if (tenant is not null) request.Headers.Add("NGSILD-Tenant", tenant);
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public static string AuthorizeQuery(string clientId, string verifier, string redirectUri = "https://app.example/callback", string scope = "openid profile offline_access",
        string? extra = null) =>
        $"/identity/v1/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(redirectUri)}&scope={Uri.EscapeDataString(scope)}"
        + $"&state=st4te&nonce=n0nce&code_challenge={Pkce.Challenge(verifier)}&code_challenge_method=S256{extra}";

    public static string NewVerifier() => Secrets.NewToken() + "-verifier";

    /// <summary>The whole browser side of the code flow: authorize, sign in, authorize again, capture the code.</summary>
    public async Task<string> SignInForCodeAsync(Browser browser, string clientId, string verifier, string username, string password = Password, string? otp = null)
    {
        var first = await browser.GetAsync(AuthorizeQuery(clientId, verifier));
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        var login = await browser.GetAsync(first.Headers.Location!.ToString());
        var page = await login.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var posted = await browser.PostFormAsync("/identity/v1/login", new()
        {
            ["username"] = username,
            ["password"] = password,
            ["csrf"] = Browser.HiddenField(page, "csrf"),
            ["return_to"] = Browser.HiddenField(page, "return_to"),
        });
        if (otp is not null)
        {
            var otpPage = await posted.Content.ReadAsStringAsync();
            Assert.True(posted.StatusCode == HttpStatusCode.OK, otpPage);
            posted = await browser.PostFormAsync("/identity/v1/login/otp", new()
            {
                ["code"] = otp,
                ["csrf"] = Browser.HiddenField(otpPage, "csrf"),
                ["return_to"] = Browser.HiddenField(otpPage, "return_to"),
            });
        }
        Assert.True(posted.StatusCode == HttpStatusCode.Redirect, await posted.Content.ReadAsStringAsync());
        var back = await browser.GetAsync(posted.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        return CodeFrom(back.Headers.Location!);
    }

    public static string CodeFrom(Uri location)
    {
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.True(query.ContainsKey("code"), $"no code in {location}");
        Assert.Equal("st4te", query["state"].ToString());
        return query["code"].ToString();
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> TokenAsync(Dictionary<string, string> form, string? clientId = null, string? secret = null)
    {
        using var client = NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/identity/v1/oauth/token") { Content = new FormUrlEncodedContent(form) };
        if (secret is not null)
        {
            request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        }
        else if (clientId is not null)
        {
            form["client_id"] = clientId;
            request.Content = new FormUrlEncodedContent(form);
        }
        var response = await client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    public async Task<JsonObject> ExchangeCodeAsync(string clientId, string? secret, string code, string verifier)
    {
        var (status, body) = await TokenAsync(new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = "https://app.example/callback",
            ["code_verifier"] = verifier,
        }, clientId, secret);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return body;
    }

    /// <summary>An access token of a fresh account with the given memberships, through the real code flow.</summary>
    public async Task<string> UserTokenAsync(params TenantMembership[] memberships) =>
        (await SignInTokensAsync(await CreateAccountAsync(null, memberships))).Tokens["access_token"]!.GetValue<string>();

    /// <summary>The token response of the real code flow for <paramref name="account"/>, through a fresh confidential client.</summary>
    public async Task<(string ClientId, string Secret, JsonObject Tokens)> SignInTokensAsync(Account account)
    {
        var (clientId, secret) = await CreateClientAsync();
        var verifier = NewVerifier();
        var code = await SignInForCodeAsync(NewBrowser(), clientId, verifier, account.Username);
        return (clientId, secret!, await ExchangeCodeAsync(clientId, secret, code, verifier));
    }
}

/// <summary>The host on the system clock.</summary>
public sealed class SystemClockIdentityHost() : IdentityTestHost(testClock: false, "--CityOS:Security:Enabled", "true");

/// <summary>An HTTP client that keeps cookies like a browser but shows redirects to the test.</summary>
public sealed class Browser(Uri baseAddress) : IDisposable
{
    private readonly CookieContainer _cookies = new();
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = baseAddress };

    public CookieContainer Cookies => _cookies;

    /// <summary>Headers sent with every request, e.g. the X-Forwarded-For of a proxy in front of the browser.</summary>
    public Dictionary<string, string> Headers { get; } = [];

    public Task<HttpResponseMessage> GetAsync(string url, string? acceptLanguage = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (acceptLanguage is not null) request.Headers.AcceptLanguage.ParseAdd(acceptLanguage);
        return SendAsync(request);
    }

    public Task<HttpResponseMessage> PostFormAsync(string url, Dictionary<string, string> form) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) });

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        var uri = new Uri(baseAddress, request.RequestUri!);
        foreach (var (name, value) in Headers) request.Headers.TryAddWithoutValidation(name, value);
        var header = _cookies.GetCookieHeader(uri);
        if (header.Length > 0) request.Headers.Add("Cookie", header);
        var response = await _http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var cookie in setCookies) _cookies.SetCookies(uri, cookie);
        }
        return response;
    }

    /// <summary>The value of a hidden input of a page (the forms are ours: name before value).</summary>
    public static string HiddenField(string html, string name)
    {
        var match = System.Text.RegularExpressions.Regex.Match(html, $"<input type=\"hidden\" name=\"{name}\" value=\"([^\"]*)\"");
        Assert.True(match.Success, $"no hidden field {name} in:\n{html}");
        return System.Net.WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public void Dispose() => _http.Dispose();
}
