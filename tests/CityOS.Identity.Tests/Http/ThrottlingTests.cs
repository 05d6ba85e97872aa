using System.Net;

namespace CityOS.Identity.Tests.Http;

/// <summary>
/// Brute force is slowed per source: the sign-in back-off of one address and user name leaves other addresses alone, answers
/// the same for unknown and real user names, and the request rates of credential endpoints are bounded per address.
/// The host believes X-Forwarded-For from 127.0.0.1 (a proxy in front of it), so the tests can speak from several addresses.
/// </summary>
public sealed class ThrottlingTests(ThrottlingTests.BehindProxyHost host) : IClassFixture<ThrottlingTests.BehindProxyHost>
{
    public sealed class BehindProxyHost() : IdentityTestHost(testClock: true, "--CityOS:KnownProxies:0", "127.0.0.1",
        "--CityOS:Identity:SignInRequestsPerMinute", "40", "--CityOS:Identity:TokenRequestsPerMinute", "5");

    [Fact]
    public async Task An_attacker_locks_only_its_own_address_out_and_cannot_tell_real_user_names_from_unknown_ones()
    {
        var admin = await host.CreateAccountAsync();
        var unknown = "nobody-" + Guid.NewGuid().ToString("N")[..6];
        using var attacker = Browser("203.0.113.9");
        string? lockedAnswer = null;
        foreach (var name in new[] { admin.Username, unknown })
        {
            for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(attacker, name, "guess " + i)).StatusCode);
            var locked = await SignInAsync(attacker, name, name == unknown ? "guess" : IdentityTestHost.Password);
            Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
            var answer = await locked.Content.ReadAsStringAsync();
            Assert.Contains("ロック", answer);
            lockedAnswer ??= answer;
            Assert.Equal(Normalised(lockedAnswer), Normalised(answer));
        }

        using var desk = Browser("198.51.100.20");
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(desk, admin.Username, IdentityTestHost.Password)).StatusCode);
    }

    [Fact]
    public async Task The_token_endpoint_answers_429_beyond_its_rate_per_address()
    {
        var (id, secret) = await host.CreateClientAsync();
        using var http = host.NewClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/identity/v1/oauth/token")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret! }),
            };
            request.Headers.Add("X-Forwarded-For", "192.0.2.77");
            var response = await http.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) Assert.True(response.Headers.RetryAfter is not null);
        }
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 5).Append(HttpStatusCode.TooManyRequests), statuses);

        using var other = new HttpRequestMessage(HttpMethod.Post, "/identity/v1/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret! }),
        };
        other.Headers.Add("X-Forwarded-For", "192.0.2.78");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(other)).StatusCode);
    }

    [Fact]
    public async Task Cookies_are_secure_behind_a_tls_proxy()
    {
        using var browser = Browser("198.51.100.30");
        browser.Headers["X-Forwarded-Proto"] = "https";
        var page = await browser.GetAsync("/identity/v1/login?return_to=%2Fidentity%2Fv1%2Faccount%2Fmfa");
        Assert.Contains(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith("cityos_csrf=", StringComparison.Ordinal) && c.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }

    private Browser Browser(string address)
    {
        var browser = host.NewBrowser();
        browser.Headers["X-Forwarded-For"] = address;
        return browser;
    }

    /// <summary>The page without its per-request parts (CSRF value, the user name typed).</summary>
    private static string Normalised(string html) =>
        System.Text.RegularExpressions.Regex.Replace(html, "value=\"[^\"]*\"", "value=\"\"");

    private static async Task<HttpResponseMessage> SignInAsync(Browser browser, string username, string password)
    {
        var page = await (await browser.GetAsync("/identity/v1/login?return_to=%2Fidentity%2Fv1%2Faccount%2Fmfa")).Content.ReadAsStringAsync();
        return await browser.PostFormAsync("/identity/v1/login", new()
        {
            ["username"] = username, ["password"] = password, ["csrf"] = global::CityOS.Identity.Tests.Browser.HiddenField(page, "csrf"),
            ["return_to"] = "/identity/v1/account/mfa",
        });
    }
}

/// <summary>Without CityOS:KnownProxies no forwarded header is believed: not the address, not the scheme.</summary>
public sealed class NoProxyTests(IdentityTestHost host) : IClassFixture<IdentityTestHost>
{
    [Fact]
    public async Task Forwarded_headers_of_an_unknown_proxy_change_nothing()
    {
        using var browser = host.NewBrowser();
        browser.Headers["X-Forwarded-Proto"] = "https";
        browser.Headers["X-Forwarded-For"] = "203.0.113.50";
        var page = await browser.GetAsync("/identity/v1/login?return_to=%2Fidentity%2Fv1%2Faccount%2Fmfa");
        Assert.DoesNotContain(page.Headers.GetValues("Set-Cookie"), c => c.Contains("secure", StringComparison.OrdinalIgnoreCase));
        using var http = host.NewClient();
        using var discovery = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        discovery.Headers.Host = "evil.example";
        discovery.Headers.Add("X-Forwarded-Host", "evil.example");
        var metadata = System.Text.Json.Nodes.JsonNode.Parse(await (await http.SendAsync(discovery)).Content.ReadAsStringAsync())!;
        Assert.Equal(host.Issuer, metadata["issuer"]!.GetValue<string>());
        Assert.StartsWith(host.Issuer + "/", metadata["token_endpoint"]!.GetValue<string>());
    }
}
