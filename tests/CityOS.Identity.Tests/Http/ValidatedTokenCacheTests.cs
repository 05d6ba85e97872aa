using System.Net;
using System.Net.Http.Json;
using CityOS.Core;
using CityOS.Core.Security;
using CityOS.Identity.Cli;
using CityOS.Identity.Model;
using CityOS.Identity.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CityOS.Identity.Tests.Http;

/// <summary>
/// ITokenValidator remembers the tokens it accepted. Here a remembered token would stay good for 30 minutes,
/// three times an access token's life, so each refusal below comes from the change itself, not from the cache ageing.
/// </summary>
public class ValidatedTokenCacheTests(ValidatedTokenCacheTests.LongCacheHost host) : IClassFixture<ValidatedTokenCacheTests.LongCacheHost>
{
    public sealed class LongCacheHost() : IdentityTestHost(testClock: true, "--CityOS:Identity:CacheMaxAge", "00:30:00");

    private ITokenValidator Validator => host.Services.GetRequiredService<ITokenValidator>();

    [Fact]
    public async Task A_revoked_access_token_is_refused_right_after_it_was_accepted()
    {
        var (id, secret) = await host.CreateClientAsync(memberships: new TenantMembership("city-a", "service"));
        var token = await ClientTokenAsync(host, id, secret!);
        Assert.Equal(["service"], (await Validator.ValidateAsync(token, default)).RolesIn("city-a"));
        Assert.Equal(id, (await Validator.ValidateAsync(token, default)).Subject);

        using var client = host.NewClient();
        var revoked = await client.PostAsync("/identity/v1/oauth/revoke",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = id, ["client_secret"] = secret!, ["token"] = token }));
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        await AssertRefusedAsync(token, "revoked");
    }

    [Fact]
    public async Task Reusing_a_refresh_token_refuses_the_access_tokens_of_its_grant_at_once()
    {
        var account = await host.CreateAccountAsync();
        var (id, secret, first) = await host.SignInTokensAsync(account);
        var access = first["access_token"]!.GetValue<string>();
        var refresh = first["refresh_token"]!.GetValue<string>();
        Assert.Equal(account.Id, (await Validator.ValidateAsync(access, default)).Subject);

        var (rotated, _) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh }, id, secret);
        Assert.Equal(HttpStatusCode.OK, rotated);
        var (reused, _) = await host.TokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh }, id, secret);
        Assert.Equal(HttpStatusCode.BadRequest, reused);

        await AssertRefusedAsync(access, "revoked");
    }

    [Fact]
    public async Task Disabling_or_deleting_an_account_refuses_its_tokens_at_once()
    {
        var admin = await host.UserTokenAsync(new TenantMembership(SecurityTenants.All, "system-admin"));
        var account = await host.CreateAccountAsync(null, new TenantMembership("city-a", "operator"));
        var token = (await host.SignInTokensAsync(account)).Tokens["access_token"]!.GetValue<string>();
        Assert.Equal(["operator"], (await Validator.ValidateAsync(token, default)).RolesIn("city-a"));

        Assert.Equal(HttpStatusCode.NoContent, (await AdminAsync(HttpMethod.Post, $"/identity/v1/accounts/{account.Id}/disable", admin)).StatusCode);
        await AssertRefusedAsync(token, "disabled");

        Assert.Equal(HttpStatusCode.NoContent, (await AdminAsync(HttpMethod.Post, $"/identity/v1/accounts/{account.Id}/enable", admin)).StatusCode);
        Assert.Equal(account.Id, (await Validator.ValidateAsync(token, default)).Subject);

        Assert.Equal(HttpStatusCode.NoContent, (await AdminAsync(HttpMethod.Delete, $"/identity/v1/accounts/{account.Id}", admin)).StatusCode);
        await AssertRefusedAsync(token, "deleted");
    }

    [Fact]
    public async Task An_accepted_token_is_refused_once_it_expires()
    {
        var (id, secret) = await host.CreateClientAsync();
        var token = await ClientTokenAsync(host, id, secret!);
        Assert.Equal(id, (await Validator.ValidateAsync(token, default)).Subject);

        host.Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(id, (await Validator.ValidateAsync(token, default)).Subject);

        host.Clock.Advance(TimeSpan.FromMinutes(1));
        await AssertRefusedAsync(token, "expired");
    }

    [Fact]
    public async Task A_deleted_client_gets_no_more_tokens_at_once()
    {
        var admin = await host.UserTokenAsync(new TenantMembership(SecurityTenants.All, "system-admin"));
        var (id, secret) = await host.CreateClientAsync();
        await ClientTokenAsync(host, id, secret!);

        Assert.Equal(HttpStatusCode.NoContent, (await AdminAsync(HttpMethod.Delete, $"/identity/v1/clients/{id}", admin)).StatusCode);
        var (status, body) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id, secret);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body["error"]!.GetValue<string>());
    }

    internal static async Task<string> ClientTokenAsync(IdentityTestHost host, string id, string secret)
    {
        var (status, body) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, id, secret);
        Assert.Equal(HttpStatusCode.OK, status);
        return body["access_token"]!.GetValue<string>();
    }

    private async Task<HttpResponseMessage> AdminAsync(HttpMethod method, string url, string token)
    {
        using var client = host.NewClient();
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new("Bearer", token);
        return await client.SendAsync(request);
    }

    private async Task AssertRefusedAsync(string token, string reason)
    {
        var refused = await Assert.ThrowsAsync<NgsiLdException>(() => Validator.ValidateAsync(token, default));
        Assert.Equal(NgsiLdErrorType.Unauthorized, refused.Type);
        Assert.Contains(reason, refused.Detail);
    }
}

/// <summary>What another process changes in identity.db (the command line, a second cityos) reaches this one's caches.</summary>
public class OtherProcessChangeTests(IdentityTestHost host) : IClassFixture<IdentityTestHost>
{
    [Fact]
    public async Task An_account_disabled_by_the_command_line_is_refused_within_the_cache_max_age()
    {
        var account = await host.CreateAccountAsync();
        var token = (await host.SignInTokensAsync(account)).Tokens["access_token"]!.GetValue<string>();
        var validator = host.Services.GetRequiredService<ITokenValidator>();
        Assert.Equal(account.Id, (await validator.ValidateAsync(token, default)).Subject);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("CityOS:DataDirectory", host.DataDirectory)]).Build();
        Assert.Equal(0, await AccountCommand.RunAsync(["account", "disable", account.Username], configuration, TextWriter.Null, TextWriter.Null));

        host.Clock.Advance(TimeSpan.FromSeconds(30));
        var refused = await Assert.ThrowsAsync<NgsiLdException>(() => validator.ValidateAsync(token, default));
        Assert.Contains("disabled", refused.Detail);
    }

    [Fact]
    public async Task A_token_signed_by_a_key_another_process_rotated_in_is_accepted()
    {
        var (id, secret) = await host.CreateClientAsync();
        var validator = host.Services.GetRequiredService<ITokenValidator>();
        var before = await ValidatedTokenCacheTests.ClientTokenAsync(host, id, secret!);
        await validator.ValidateAsync(before, default);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("CityOS:DataDirectory", host.DataDirectory),
            new("CityOS:Identity:SigningKeyLifetime", "00:00:00.001"),
        ]).Build();
        await using var other = new ServiceCollection().AddSingleton<TimeProvider>(host.Clock).AddCityOsIdentity(configuration).BuildServiceProvider();
        host.Clock.Advance(TimeSpan.FromSeconds(2));
        var issued = await other.GetRequiredService<TokenIssuer>().AccessTokenAsync(host.Issuer,
            new TokenSubject(id, id, "ngsi-ld", new Dictionary<string, IReadOnlyList<string>>(), [], null, null), "ES256", default);
        Assert.NotEqual(new JsonWebToken(before).Kid, new JsonWebToken(issued.Token).Kid);
        Assert.Equal(id, (await validator.ValidateAsync(issued.Token, default)).Subject);
    }
}
