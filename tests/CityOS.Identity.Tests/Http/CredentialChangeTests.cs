using System.Net;
using CityOS.Core;
using CityOS.Core.Security;
using CityOS.Identity.Model;
using Microsoft.AspNetCore.WebUtilities;

namespace CityOS.Identity.Tests.Http;

/// <summary>A credential change (or an administrator's "sign out everywhere") ends the refresh tokens, sign-in sessions and access tokens of the account.</summary>
public class CredentialChangeTests(IdentityTestHost host) : IClassFixture<IdentityTestHost>
{
    [Theory]
    [InlineData("password reset")]
    [InlineData("mfa reset")]
    [InlineData("sign out everywhere")]
    public async Task Old_refresh_tokens_sessions_and_access_tokens_end(string change)
    {
        var admin = await host.UserTokenAsync(new TenantMembership(SecurityTenants.All, BuiltInRoles.SystemAdmin));
        var account = await host.CreateAccountAsync(null, new TenantMembership("city-a", BuiltInRoles.Operator));
        var (clientId, secret) = await host.CreateClientAsync();
        using var browser = host.NewBrowser();
        var verifier = IdentityTestHost.NewVerifier();
        var tokens = await host.ExchangeCodeAsync(clientId, secret, await host.SignInForCodeAsync(browser, clientId, verifier, account.Username), verifier);
        var validator = host.Services.GetRequiredService<ITokenValidator>();
        Assert.Equal(account.Id, (await validator.ValidateAsync(tokens["access_token"]!.GetValue<string>(), default)).Subject);

        const string newPassword = "a brand new passphrase";
        var response = change switch
        {
            "password reset" => await host.SendAsync(HttpMethod.Put, $"/identity/v1/accounts/{account.Id}/password", admin, $$"""{"password":"{{newPassword}}"}"""),
            "mfa reset" => await host.SendAsync(HttpMethod.Delete, $"/identity/v1/accounts/{account.Id}/mfa", admin),
            _ => await host.SendAsync(HttpMethod.Post, $"/identity/v1/accounts/{account.Id}/sign-out", admin),
        };
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        var (_, refreshed) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = tokens["refresh_token"]!.GetValue<string>() }, clientId, secret);
        Assert.Equal("invalid_grant", refreshed["error"]!.GetValue<string>());
        var silent = await browser.GetAsync(IdentityTestHost.AuthorizeQuery(clientId, verifier, extra: "&prompt=none"));
        Assert.Equal("login_required", QueryHelpers.ParseQuery(silent.Headers.Location!.Query)["error"].ToString());
        var refused = await Assert.ThrowsAsync<NgsiLdException>(() => validator.ValidateAsync(tokens["access_token"]!.GetValue<string>(), default));
        Assert.Contains("revoked", refused.Detail);

        // Signing in again (with the new password after a reset) works as before.
        var again = IdentityTestHost.NewVerifier();
        var fresh = await host.ExchangeCodeAsync(clientId, secret,
            await host.SignInForCodeAsync(host.NewBrowser(), clientId, again, account.Username, change == "password reset" ? newPassword : IdentityTestHost.Password), again);
        Assert.Equal(account.Id, (await validator.ValidateAsync(fresh["access_token"]!.GetValue<string>(), default)).Subject);
        var (status, _) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = fresh["refresh_token"]!.GetValue<string>() }, clientId, secret);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task An_unredeemed_code_of_the_old_session_is_refused()
    {
        var admin = await host.UserTokenAsync(new TenantMembership(SecurityTenants.All, BuiltInRoles.SystemAdmin));
        var account = await host.CreateAccountAsync();
        var (clientId, secret) = await host.CreateClientAsync();
        var verifier = IdentityTestHost.NewVerifier();
        var code = await host.SignInForCodeAsync(host.NewBrowser(), clientId, verifier, account.Username);
        Assert.Equal(HttpStatusCode.NoContent, (await host.SendAsync(HttpMethod.Post, $"/identity/v1/accounts/{account.Id}/sign-out", admin)).StatusCode);
        var (_, body) = await host.TokenAsync(new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "https://app.example/callback", ["code_verifier"] = verifier,
        }, clientId, secret);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }
}
