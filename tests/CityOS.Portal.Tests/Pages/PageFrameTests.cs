using System.Net;
using System.Text.RegularExpressions;

namespace CityOS.Portal.Tests.Pages;

/// <summary>The frame of every page as a browser receives it: language from Accept-Language or the switch's cookie, landmarks, security headers.</summary>
public class PageFrameTests(PortalHost host) : IClassFixture<PortalHost>
{
    [Fact]
    public async Task The_root_leads_to_the_portal_home()
    {
        using var client = host.BrowserlessClient();
        var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/portal/", response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("en-US,en;q=0.9", "en", "Welcome to CityOS")]
    [InlineData("ja,en;q=0.5", "ja", "CityOS へようこそ")]
    [InlineData("fr-FR, en;q=0.4", "en", "Welcome to CityOS")]
    [InlineData("", "ja", "CityOS へようこそ")]
    public async Task The_home_page_speaks_the_language_the_browser_prefers(string acceptLanguage, string lang, string heading)
    {
        using var client = host.BrowserlessClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/portal/");
        if (acceptLanguage.Length > 0) request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"<html lang=\"{lang}\">", html);
        Assert.Contains($"<h1>{heading}</h1>", html);
        Assert.Contains("<main id=\"main\">", html);
        Assert.Matches("<nav aria-label=\"[^\"]+\">", html);
    }

    [Fact]
    public async Task The_switch_remembers_the_language_in_a_cookie_and_returns_to_the_page()
    {
        using var client = host.BrowserlessClient();
        var response = await client.GetAsync("/portal/lang/en?return=" + Uri.EscapeDataString("/portal/apis"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/portal/apis", response.Headers.Location!.OriginalString);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("cityos_lang=", StringComparison.Ordinal));
        Assert.Contains("cityos_lang=en", cookie);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/portal/");
        request.Headers.Add("Accept-Language", "ja");
        request.Headers.Add("Cookie", "cityos_lang=en");
        var html = await (await client.SendAsync(request)).Content.ReadAsStringAsync();
        Assert.Contains("<html lang=\"en\">", html);
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/portal/")]
    [InlineData("/portal//evil.example")]
    [InlineData("/identity/v1/accounts")]
    public async Task The_switch_returns_only_to_a_portal_page(string returnTo)
    {
        using var client = host.BrowserlessClient();
        var response = await client.GetAsync("/portal/lang/ja?return=" + Uri.EscapeDataString(returnTo));
        Assert.Equal("/portal/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Pages_send_a_strict_content_security_policy_and_refuse_framing()
    {
        var response = await host.Client.GetAsync("/portal/");
        var csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("DENY", string.Join("", response.Headers.GetValues("X-Frame-Options")));
        var html = await response.Content.ReadAsStringAsync();
        foreach (Match link in Regex.Matches(html, "(?:href|src)=\"(/portal/assets/[^\"]+)\""))
        {
            Assert.True((await host.Client.GetAsync(link.Groups[1].Value)).IsSuccessStatusCode, link.Groups[1].Value);
        }
        Assert.DoesNotMatch("<script>|style=\"", html);
    }

    [Fact]
    public async Task An_unknown_asset_is_not_found()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/portal/assets/nothing.js")).StatusCode);
    }
}
