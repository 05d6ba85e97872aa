using CityOS.Identity.Model;
using CityOS.Identity.Rules;

namespace CityOS.Identity.Tests.Rules;

public class RuleTests
{
    [Fact]
    public void Pkce_S256_matches_rfc7636_appendix_b()
    {
        const string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        Assert.Equal("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Pkce.Challenge(verifier));
        Assert.True(Pkce.Verify(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        Assert.False(Pkce.Verify(verifier + "x", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        Assert.False(Pkce.Verify(null, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        Assert.False(Pkce.Verify("short", Pkce.Challenge("short")));
    }

    [Fact]
    public void Passwords_hash_with_salt_and_verify()
    {
        var a = PasswordHasher.Hash("correct horse battery", 1000);
        var b = PasswordHasher.Hash("correct horse battery", 1000);
        Assert.NotEqual(a, b);
        Assert.StartsWith("pbkdf2-sha512$1000$", a);
        Assert.True(PasswordHasher.Verify("correct horse battery", a));
        Assert.False(PasswordHasher.Verify("correct horse batterY", a));
        Assert.False(PasswordHasher.Verify("x", "garbage"));
    }

    [Theory]
    [InlineData("short", "alice", false)]
    [InlineData("aaaaaaaaaaaa", "alice", false)]
    [InlineData("xxalice1234567", "alice", false)]
    [InlineData("correct horse battery", "alice", true)]
    public void Password_policy(string password, string username, bool acceptable) =>
        Assert.Equal(acceptable, new PasswordPolicy(10).Check(password, username) is null);

    [Fact]
    public void Lockout_after_threshold_within_window_only()
    {
        var policy = new LockoutPolicy(3, TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15));
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var account = new Account { Id = "a", Username = "a" };
        account = policy.RecordFailure(account, t0);
        account = policy.RecordFailure(account, t0.AddMinutes(1));
        account = policy.RecordFailure(account, t0.AddMinutes(20));
        Assert.False(policy.IsLocked(account, t0.AddMinutes(20)));
        account = policy.RecordFailure(account, t0.AddMinutes(21));
        account = policy.RecordFailure(account, t0.AddMinutes(22));
        Assert.True(policy.IsLocked(account, t0.AddMinutes(22)));
        Assert.False(policy.IsLocked(account, t0.AddMinutes(37)));
        Assert.False(policy.IsLocked(LockoutPolicy.RecordSuccess(account), t0.AddMinutes(22)));
    }

    [Theory]
    [InlineData("/identity/v1/oauth/authorize?client_id=a", true)]
    [InlineData("/identity/v1/account/mfa", true)]
    [InlineData("https://evil.example/identity/v1/", false)]
    [InlineData("//evil.example/identity/v1/", false)]
    [InlineData("/identity/v1//evil.example", false)]
    [InlineData("/identity/v1/../../evil", false)]
    [InlineData("/other", false)]
    public void Return_urls_stay_on_this_provider(string url, bool safe) => Assert.Equal(safe, LocalReturnUrl.IsSafe(url));

    [Fact]
    public void Redirect_uris_compare_exactly()
    {
        var client = new Client { Id = "c", RedirectUris = ["https://app.example/callback"] };
        Assert.True(ClientRules.IsRegisteredRedirect(client, "https://app.example/callback"));
        Assert.False(ClientRules.IsRegisteredRedirect(client, "https://app.example/callback/"));
        Assert.False(ClientRules.IsRegisteredRedirect(client, "https://APP.example/callback"));
        Assert.False(ClientRules.IsRegisteredRedirect(client, "https://app.example/callback?x=1"));
        Assert.False(ClientRules.IsRegisteredRedirect(client, null));
    }
}
