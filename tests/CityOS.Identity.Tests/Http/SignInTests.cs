using System.Net;
using CityOS.Identity.Mfa;
using CityOS.Identity.Services;
using CityOS.Identity.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CityOS.Identity.Tests.Http;

public class SignInTests(IdentityTestHost host) : IClassFixture<IdentityTestHost>
{
    [Theory]
    [InlineData("&ui_locales=en", null, "en", "Sign in to CityOS")]
    [InlineData("&ui_locales=ja", "en", "ja", "CityOS にサインイン")]
    [InlineData("", "en-GB,en;q=0.9", "en", "Sign in to CityOS")]
    [InlineData("", "ja-JP,ja;q=0.9,en;q=0.5", "ja", "ユーザー名")]
    [InlineData("", null, "ja", "パスワード")]
    public async Task Sign_in_page_speaks_japanese_or_english(string locales, string? acceptLanguage, string lang, string text)
    {
        var (id, _) = await host.CreateClientAsync(isPublic: true);
        using var browser = host.NewBrowser();
        var redirect = await browser.GetAsync(IdentityTestHost.AuthorizeQuery(id, IdentityTestHost.NewVerifier(), extra: locales), acceptLanguage);
        var page = await browser.GetAsync(redirect.Headers.Location!.ToString(), acceptLanguage);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains($"<html lang=\"{lang}\">", html);
        Assert.Contains(text, html);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task A_post_without_the_csrf_cookie_or_field_is_refused()
    {
        var account = await host.CreateAccountAsync();
        using var browser = host.NewBrowser();
        var page = await (await browser.GetAsync("/identity/v1/login?return_to=%2Fidentity%2Fv1%2Faccount%2Fmfa")).Content.ReadAsStringAsync();
        var withoutField = await browser.PostFormAsync("/identity/v1/login", new()
        {
            ["username"] = account.Username, ["password"] = IdentityTestHost.Password, ["return_to"] = "/identity/v1/account/mfa",
        });
        Assert.Equal(HttpStatusCode.Forbidden, withoutField.StatusCode);

        using var otherBrowser = host.NewBrowser();
        var withoutCookie = await otherBrowser.PostFormAsync("/identity/v1/login", new()
        {
            ["username"] = account.Username, ["password"] = IdentityTestHost.Password, ["return_to"] = "/identity/v1/account/mfa",
            ["csrf"] = Browser.HiddenField(page, "csrf"),
        });
        Assert.Equal(HttpStatusCode.Forbidden, withoutCookie.StatusCode);
        Assert.DoesNotContain(withoutCookie.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("cityos_sso"));
    }

    [Fact]
    public async Task Login_page_refuses_foreign_return_urls()
    {
        using var browser = host.NewBrowser();
        var response = await browser.GetAsync("/identity/v1/login?return_to=https%3A%2F%2Fevil.example%2F");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Brute_force_locks_the_account_even_for_the_right_password_until_the_lock_expires()
    {
        var account = await host.CreateAccountAsync();
        using var browser = host.NewBrowser();
        for (var i = 0; i < 5; i++)
        {
            var failed = await SignInAsync(browser, account.Username, "wrong password " + i);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }
        var locked = await SignInAsync(browser, account.Username, IdentityTestHost.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Contains("ロック", await locked.Content.ReadAsStringAsync());

        host.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(browser, account.Username, IdentityTestHost.Password)).StatusCode);
    }

    [Fact]
    public async Task Unknown_users_and_wrong_passwords_get_the_same_answer()
    {
        var account = await host.CreateAccountAsync();
        using var browser = host.NewBrowser();
        var unknown = await SignInAsync(browser, "nobody-" + Guid.NewGuid().ToString("N")[..6], IdentityTestHost.Password);
        var wrong = await SignInAsync(browser, account.Username, "not the password");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("ユーザー名またはパスワードが正しくありません", await unknown.Content.ReadAsStringAsync());
        Assert.Contains("ユーザー名またはパスワードが正しくありません", await wrong.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_disabled_account_cannot_sign_in_refresh_or_use_its_tokens()
    {
        var account = await host.CreateAccountAsync();
        var (id, secret) = await host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        var tokens = await host.ExchangeCodeAsync(id, secret, await host.SignInForCodeAsync(host.NewBrowser(), id, verifier, account.Username), verifier);
        await host.Services.GetRequiredService<AccountManager>().SetDisabledAsync(account.Id, true, default);

        using var browser = host.NewBrowser();
        var signIn = await SignInAsync(browser, account.Username, IdentityTestHost.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
        Assert.Contains("無効", await signIn.Content.ReadAsStringAsync());
        var (_, refresh) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = tokens["refresh_token"]!.GetValue<string>() }, id, secret);
        Assert.Equal("invalid_grant", refresh["error"]!.GetValue<string>());
        await Assert.ThrowsAsync<CityOS.Core.NgsiLdException>(() =>
            host.Services.GetRequiredService<CityOS.Core.Security.ITokenValidator>().ValidateAsync(tokens["access_token"]!.GetValue<string>(), default));
    }

    [Fact]
    public async Task Single_sign_on_then_logout_ends_the_session()
    {
        var account = await host.CreateAccountAsync();
        var (id, _) = await host.CreateClientAsync(isPublic: true);
        using var browser = host.NewBrowser();
        var verifier = IdentityTestHost.NewVerifier();
        await host.SignInForCodeAsync(browser, id, verifier, account.Username);

        var silent = await browser.GetAsync(IdentityTestHost.AuthorizeQuery(id, verifier, extra: "&prompt=none"));
        Assert.True(QueryHelpers.ParseQuery(silent.Headers.Location!.Query).ContainsKey("code"), "a signed-in browser gets a code without a page");

        // A plain GET (which any other site can make the browser send) only asks; the answer of that page signs out.
        var question = await browser.GetAsync($"/identity/v1/oauth/logout?client_id={id}&post_logout_redirect_uri={Uri.EscapeDataString("https://app.example/bye")}&state=xyz");
        Assert.Equal(HttpStatusCode.OK, question.StatusCode);
        var still = await browser.GetAsync(IdentityTestHost.AuthorizeQuery(id, verifier, extra: "&prompt=none"));
        Assert.True(QueryHelpers.ParseQuery(still.Headers.Location!.Query).ContainsKey("code"), "a GET without id_token_hint does not sign out");
        var page = await question.Content.ReadAsStringAsync();
        var forged = await browser.PostFormAsync("/identity/v1/oauth/logout", new() { ["client_id"] = id, ["csrf"] = "forged-" + new string('x', 40) });
        Assert.Equal(HttpStatusCode.OK, forged.StatusCode);
        var logout = await browser.PostFormAsync("/identity/v1/oauth/logout", new()
        {
            ["csrf"] = Browser.HiddenField(page, "csrf"),
            ["client_id"] = Browser.HiddenField(page, "client_id"),
            ["post_logout_redirect_uri"] = Browser.HiddenField(page, "post_logout_redirect_uri"),
            ["state"] = Browser.HiddenField(page, "state"),
        });
        Assert.Equal("https://app.example/bye?state=xyz", logout.Headers.Location!.ToString());
        var after = await browser.GetAsync(IdentityTestHost.AuthorizeQuery(id, verifier, extra: "&prompt=none"));
        Assert.Equal("login_required", QueryHelpers.ParseQuery(after.Headers.Location!.Query)["error"].ToString());

        var foreign = await browser.GetAsync($"/identity/v1/oauth/logout?client_id={id}&post_logout_redirect_uri={Uri.EscapeDataString("https://evil.example/")}");
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
    }

    [Fact]
    public async Task Totp_enrolment_then_sign_in_needs_the_code_and_refuses_wrong_and_replayed_codes()
    {
        var account = await host.CreateAccountAsync();
        var (id, secret) = await host.CreateClientAsync();
        using var browser = host.NewBrowser();
        await host.SignInForCodeAsync(browser, id, IdentityTestHost.NewVerifier(), account.Username);

        var enrolPage = await (await browser.GetAsync("/identity/v1/account/mfa?ui_locales=en")).Content.ReadAsStringAsync();
        Assert.Contains("src=\"data:image/png;base64,", enrolPage);
        var totpSecret = System.Text.RegularExpressions.Regex.Match(enrolPage, "<code id=\"secret\">([A-Z2-7]+)</code>").Groups[1].Value;
        var wrongEnrol = await browser.PostFormAsync("/identity/v1/account/mfa", new() { ["code"] = "000000", ["csrf"] = Browser.HiddenField(enrolPage, "csrf") });
        Assert.Equal(HttpStatusCode.BadRequest, wrongEnrol.StatusCode);
        var enrolled = await browser.PostFormAsync("/identity/v1/account/mfa", new() { ["code"] = CodeNow(totpSecret), ["csrf"] = Browser.HiddenField(enrolPage, "csrf") });
        var recoveryPage = await enrolled.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
        var recoveryCodes = System.Text.RegularExpressions.Regex.Matches(recoveryPage, "<li><code>([A-Z2-7-]+)</code></li>").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(10, recoveryCodes.Length);
        var stored = await host.Services.GetRequiredService<IIdentityStore>().GetAccountAsync(account.Id, default);
        Assert.DoesNotContain(recoveryCodes[0], stored!.RecoveryCodeHashes);

        host.Clock.Advance(TimeSpan.FromMinutes(1));
        using var second = host.NewBrowser();
        var wrong = await PasswordThenCodeAsync(second, id, account.Username, "123456");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        host.Clock.Advance(TimeSpan.FromMinutes(1));
        var code = CodeNow(totpSecret);
        var verifier = IdentityTestHost.NewVerifier();
        using var third = host.NewBrowser();
        var right = await PasswordThenCodeAsync(third, id, account.Username, code, verifier);
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        var back = await third.GetAsync(right.Headers.Location!.ToString());
        var tokens = await host.ExchangeCodeAsync(id, secret, IdentityTestHost.CodeFrom(back.Headers.Location!), verifier);
        var access = new JsonWebToken(tokens["access_token"]!.GetValue<string>());
        Assert.Equal(["pwd", "otp"], CityOS.Identity.Tokens.TokenValidator.StringList(access, "amr"));
        Assert.Equal(CityOS.Identity.Tokens.TokenIssuer.AcrMultiFactor, access.GetClaim("acr").Value);

        using var replay = host.NewBrowser();
        Assert.Equal(HttpStatusCode.Unauthorized, (await PasswordThenCodeAsync(replay, id, account.Username, code)).StatusCode);

        using var recovery = host.NewBrowser();
        Assert.Equal(HttpStatusCode.Redirect, (await PasswordThenCodeAsync(recovery, id, account.Username, recoveryCodes[0])).StatusCode);
        using var recoveryAgain = host.NewBrowser();
        Assert.Equal(HttpStatusCode.Unauthorized, (await PasswordThenCodeAsync(recoveryAgain, id, account.Username, recoveryCodes[0])).StatusCode);
    }

    private string CodeNow(string base32Secret) => Totp.Code(Base32.Decode(base32Secret), Totp.StepAt(host.Clock.GetUtcNow()));

    private async Task<HttpResponseMessage> PasswordThenCodeAsync(Browser browser, string clientId, string username, string code, string? verifier = null)
    {
        var redirect = await browser.GetAsync(IdentityTestHost.AuthorizeQuery(clientId, verifier ?? IdentityTestHost.NewVerifier()));
        var page = await (await browser.GetAsync(redirect.Headers.Location!.ToString())).Content.ReadAsStringAsync();
        var password = await browser.PostFormAsync("/identity/v1/login", new()
        {
            ["username"] = username, ["password"] = IdentityTestHost.Password,
            ["csrf"] = Browser.HiddenField(page, "csrf"), ["return_to"] = Browser.HiddenField(page, "return_to"),
        });
        var otpPage = await password.Content.ReadAsStringAsync();
        Assert.Contains("name=\"code\"", otpPage);
        return await browser.PostFormAsync("/identity/v1/login/otp", new()
        {
            ["code"] = code, ["csrf"] = Browser.HiddenField(otpPage, "csrf"), ["return_to"] = Browser.HiddenField(otpPage, "return_to"),
        });
    }

    private static async Task<HttpResponseMessage> SignInAsync(Browser browser, string username, string password)
    {
        var page = await (await browser.GetAsync("/identity/v1/login?return_to=%2Fidentity%2Fv1%2Faccount%2Fmfa")).Content.ReadAsStringAsync();
        return await browser.PostFormAsync("/identity/v1/login", new()
        {
            ["username"] = username, ["password"] = password,
            ["csrf"] = Browser.HiddenField(page, "csrf"), ["return_to"] = "/identity/v1/account/mfa",
        });
    }
}
