using System.Text.Json;
using CityOS.Core;
using CityOS.Identity;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Services;
using CityOS.Identity.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CityOS.Storage.Contracts;

/// <summary>
/// What every engine's <see cref="IIdentityStore"/> must do, as the identity block's services rely on it: accounts with
/// unique (case-insensitive) user names and atomic updates, clients, roles per tenant, policies, sign-in sessions,
/// authorization codes redeemed once, refresh tokens consumed once, revocations remembered until the tokens would expire,
/// signing keys, the <see cref="IIdentityStore.Changed"/> notification, and all of it across a restart. The store takes
/// the time of each expiring write as an argument; the tests take it from <see cref="Time"/>. An engine's test project
/// derives a class that opens its store on one test's storage.
/// </summary>
public abstract class IdentityStoreContract : IAsyncLifetime
{
    private static readonly TimeSpan AccessLifetime = TimeSpan.FromMinutes(15);

    /// <summary>The time the tests pass to the store's expiring writes.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    protected IIdentityStore Store { get; private set; } = null!;

    private DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>A store on this test's storage: empty on the first call, holding everything written before on the later ones.</summary>
    protected abstract ValueTask<IIdentityStore> OpenAsync();

    /// <summary>Closes a store; <see cref="OpenAsync"/> may be called again afterwards.</summary>
    protected abstract ValueTask CloseAsync(IIdentityStore store);

    /// <summary>Removes this test's storage once its store is closed.</summary>
    protected abstract ValueTask DestroyAsync();

    public async Task InitializeAsync() => Store = await OpenAsync();

    public async Task DisposeAsync()
    {
        await CloseAsync(Store);
        await DestroyAsync();
    }

    /// <summary>Closes the store and opens a new one on the same storage, as after a restart.</summary>
    private async Task ReopenAsync()
    {
        await CloseAsync(Store);
        Store = await OpenAsync();
    }

    /// <summary>Records every notification of the current store.</summary>
    private List<IdentityChange> Listen()
    {
        var changes = new List<IdentityChange>();
        Store.Changed += change =>
        {
            lock (changes) changes.Add(change);
        };
        return changes;
    }

    private Account NewAccount(string id, string username) => new()
    {
        Id = id,
        Username = username,
        DisplayName = "Hanako " + username,
        Email = username + "@example.org",
        Locale = "en",
        Memberships = [new TenantMembership("city-a", BuiltInRoles.Operator)],
        PasswordHash = "hash-of-" + username,
        Created = Now,
        Updated = Now,
    };

    private static Client NewClient(string id, string? secretHash = "c2VjcmV0LWhhc2g") => new()
    {
        Id = id,
        Name = "Client " + id,
        SecretHash = secretHash,
        RedirectUris = ["https://app.example.org/callback"],
        GrantTypes = [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken],
        Scopes = ["openid", "offline_access"],
        Memberships = [new TenantMembership("city-a", BuiltInRoles.Service)],
        Created = DateTimeOffset.UnixEpoch,
    };

    private AuthorizationCode NewCode(string accountId, TimeSpan lifetime) => new()
    {
        ClientId = "app",
        AccountId = accountId,
        RedirectUri = "https://app.example.org/callback",
        Scope = "openid offline_access",
        Nonce = "n-1",
        CodeChallenge = "challenge",
        SessionId = "session-1",
        AuthTime = Now,
        Amr = ["pwd"],
        Expires = Now + lifetime,
    };

    private RefreshToken NewRefreshToken(string family, string accountId, TimeSpan lifetime) => new()
    {
        Family = family,
        ClientId = "app",
        AccountId = accountId,
        Scope = "openid offline_access",
        AuthTime = Now,
        Amr = ["pwd", "otp"],
        Issued = Now,
        Expires = Now + lifetime,
    };

    private LoginSession NewSession(string id, string accountId, TimeSpan lifetime) => new()
    {
        Id = id,
        AccountId = accountId,
        AuthTime = Now,
        Expires = Now + lifetime,
        Amr = ["pwd"],
    };

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task The_store_answers_a_ping()
    {
        Assert.True(await Store.PingAsync(default));
    }

    [Fact]
    public async Task An_account_is_found_by_id_and_by_user_name_whatever_its_case()
    {
        var account = NewAccount("acc-1", "Hanako") with { Totp = new TotpEnrolment("SECRET", 42), RecoveryCodeHashes = ["r1", "r2"], FailedLogins = [Now] };
        await Store.CreateAccountAsync(account, default);

        Assert.Equal(Json(account), Json(await Store.GetAccountAsync("acc-1", default)));
        Assert.Equal(Json(account), Json(await Store.FindAccountAsync("Hanako", default)));
        Assert.Equal("acc-1", (await Store.FindAccountAsync("hanako", default))?.Id);
        Assert.Equal("acc-1", (await Store.FindAccountAsync("HANAKO", default))?.Id);
        Assert.Null(await Store.GetAccountAsync("acc-none", default));
        Assert.Null(await Store.GetAccountAsync("Hanako", default));
        Assert.Null(await Store.FindAccountAsync("acc-1", default));
        Assert.Null(await Store.FindAccountAsync("taro", default));
    }

    [Fact]
    public async Task User_names_are_unique_whatever_their_case()
    {
        await Store.CreateAccountAsync(NewAccount("acc-1", "hanako"), default);
        await Store.CreateAccountAsync(NewAccount("acc-2", "taro"), default);

        var created = await Assert.ThrowsAsync<NgsiLdException>(() => Store.CreateAccountAsync(NewAccount("acc-3", "HANAKO"), default));
        Assert.Equal(NgsiLdErrorType.AlreadyExists, created.Type);
        var renamed = await Assert.ThrowsAsync<NgsiLdException>(() => Store.UpdateAccountAsync("acc-2", a => a with { Username = "Hanako" }, default));
        Assert.Equal(NgsiLdErrorType.AlreadyExists, renamed.Type);

        Assert.Equal(["hanako", "taro"], (await Store.ListAccountsAsync(default)).Select(a => a.Username));
        Assert.Equal("taro", (await Store.GetAccountAsync("acc-2", default))!.Username);
        Assert.Null(await Store.GetAccountAsync("acc-3", default));
    }

    [Fact]
    public async Task Accounts_are_listed_by_user_name()
    {
        foreach (var (id, name) in new[] { ("acc-1", "mika"), ("acc-2", "aiko"), ("acc-3", "taro") }) await Store.CreateAccountAsync(NewAccount(id, name), default);

        Assert.Equal(["aiko", "mika", "taro"], (await Store.ListAccountsAsync(default)).Select(a => a.Username));
    }

    [Fact]
    public async Task An_update_changes_the_current_record_keeps_its_id_and_is_announced()
    {
        await Store.CreateAccountAsync(NewAccount("acc-1", "hanako"), default);
        var changes = Listen();

        var updated = await Store.UpdateAccountAsync("acc-1", a => a with { Id = "acc-other", Username = "hanako2", Disabled = true, Memberships = [] }, default);

        Assert.Equal(("acc-1", "hanako2", true), (updated!.Id, updated.Username, updated.Disabled));
        var stored = await Store.GetAccountAsync("acc-1", default);
        Assert.Equal(Json(updated), Json(stored));
        Assert.Equal("acc-1", (await Store.FindAccountAsync("hanako2", default))?.Id);
        Assert.Null(await Store.FindAccountAsync("hanako", default));
        Assert.Null(await Store.GetAccountAsync("acc-other", default));
        Assert.Equal([new IdentityChange(IdentityChangeKind.Account, "acc-1")], changes);

        Assert.Null(await Store.UpdateAccountAsync("acc-none", a => a with { Disabled = true }, default));
        Assert.Single(changes);
    }

    [Fact]
    public async Task A_disabled_account_stays_disabled_until_enabled()
    {
        await Store.CreateAccountAsync(NewAccount("acc-1", "hanako"), default);

        await Store.UpdateAccountAsync("acc-1", a => a with { Disabled = true }, default);
        Assert.True((await Store.FindAccountAsync("hanako", default))!.Disabled);
        await Store.UpdateAccountAsync("acc-1", a => a with { Disabled = false }, default);
        Assert.False((await Store.GetAccountAsync("acc-1", default))!.Disabled);
    }

    [Fact]
    public async Task Concurrent_updates_of_an_account_each_see_the_previous_one()
    {
        await Store.CreateAccountAsync(NewAccount("acc-1", "hanako"), default);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            Store.UpdateAccountAsync("acc-1", a => a with { FailedLogins = [.. a.FailedLogins, Now.AddSeconds(i)] }, default))));

        Assert.Equal(20, (await Store.GetAccountAsync("acc-1", default))!.FailedLogins.Distinct().Count());
    }

    [Fact]
    public async Task A_deleted_account_is_gone_and_announced_once()
    {
        await Store.CreateAccountAsync(NewAccount("acc-1", "hanako"), default);
        var changes = Listen();

        Assert.True(await Store.DeleteAccountAsync("acc-1", default));
        Assert.False(await Store.DeleteAccountAsync("acc-1", default));

        Assert.Null(await Store.GetAccountAsync("acc-1", default));
        Assert.Null(await Store.FindAccountAsync("hanako", default));
        Assert.Empty(await Store.ListAccountsAsync(default));
        Assert.Equal([new IdentityChange(IdentityChangeKind.Account, "acc-1")], changes);
        await Store.CreateAccountAsync(NewAccount("acc-2", "hanako"), default);
        Assert.Equal("acc-2", (await Store.FindAccountAsync("hanako", default))?.Id);
    }

    [Fact]
    public async Task Clients_are_created_found_listed_by_id_and_deleted()
    {
        var confidential = NewClient("b-app");
        var pub = NewClient("a-spa", secretHash: null) with { SigningAlgorithm = "RS256", PostLogoutRedirectUris = ["https://spa.example.org/"] };
        await Store.CreateClientAsync(confidential, default);
        await Store.CreateClientAsync(pub, default);
        var changes = Listen();

        Assert.Equal(Json(confidential), Json(await Store.GetClientAsync("b-app", default)));
        var storedPublic = (await Store.GetClientAsync("a-spa", default))!;
        Assert.Equal(Json(pub), Json(storedPublic));
        Assert.True(storedPublic.IsPublic);
        Assert.Null(await Store.GetClientAsync("c-none", default));
        Assert.Equal(["a-spa", "b-app"], (await Store.ListClientsAsync(default)).Select(c => c.Id));
        var duplicate = await Assert.ThrowsAsync<NgsiLdException>(() => Store.CreateClientAsync(NewClient("b-app") with { Name = "other" }, default));
        Assert.Equal(NgsiLdErrorType.AlreadyExists, duplicate.Type);
        Assert.Equal("Client b-app", (await Store.GetClientAsync("b-app", default))!.Name);

        Assert.True(await Store.DeleteClientAsync("b-app", default));
        Assert.False(await Store.DeleteClientAsync("b-app", default));
        Assert.Null(await Store.GetClientAsync("b-app", default));
        Assert.Equal(["a-spa"], (await Store.ListClientsAsync(default)).Select(c => c.Id));
        Assert.Equal([new IdentityChange(IdentityChangeKind.Client, "b-app")], changes);
    }

    [Fact]
    public async Task A_registered_client_and_a_created_account_are_stored_with_the_hashes_of_their_secrets()
    {
        var options = Options.Create(new IdentityOptions { PasswordIterations = 10_000 });
        var accounts = new AccountManager(Store, options, Time);
        var registry = new ClientRegistry(Store, accounts, options, Time);

        var (client, secret) = await registry.RegisterAsync(new ClientDraft
        {
            ClientId = "app",
            RedirectUris = ["https://app.example.org/callback"],
            GrantTypes = [GrantTypes.AuthorizationCode],
        }, default);
        const string Password = "correct horse battery staple";
        var account = await accounts.CreateAsync(new AccountDraft { Username = "hanako", Password = Password }, default);

        var storedClient = (await Store.GetClientAsync(client.Id, default))!;
        Assert.Equal(Secrets.Hash(secret!), storedClient.SecretHash);
        Assert.DoesNotContain(secret!, Json(storedClient));
        var storedAccount = (await Store.GetAccountAsync(account.Id, default))!;
        Assert.True(PasswordHasher.Verify(Password, storedAccount.PasswordHash));
        Assert.DoesNotContain(Password, Json(storedAccount));
    }

    [Fact]
    public async Task Roles_are_kept_per_tenant_replaced_by_name_and_deleted()
    {
        await Store.SaveRoleAsync(new Role("city-a", "gardener", "Parks"), default);
        await Store.SaveRoleAsync(new Role("city-a", "analyst", "Reads"), default);
        await Store.SaveRoleAsync(new Role("city-b", "gardener", "Other city"), default);
        await Store.SaveRoleAsync(new Role("city-a", "gardener", "Parks and trees"), default);

        Assert.Equal([new Role("city-a", "analyst", "Reads"), new Role("city-a", "gardener", "Parks and trees")], await Store.ListRolesAsync("city-a", default));
        Assert.Equal([new Role("city-b", "gardener", "Other city")], await Store.ListRolesAsync("city-b", default));
        Assert.Empty(await Store.ListRolesAsync("city-c", default));

        Assert.True(await Store.DeleteRoleAsync("city-a", "gardener", default));
        Assert.False(await Store.DeleteRoleAsync("city-a", "gardener", default));
        Assert.False(await Store.DeleteRoleAsync("city-c", "analyst", default));
        Assert.Equal(["analyst"], (await Store.ListRolesAsync("city-a", default)).Select(r => r.Name));
        Assert.Single(await Store.ListRolesAsync("city-b", default));
    }

    [Fact]
    public async Task Policies_are_saved_replaced_by_id_listed_by_id_and_deleted()
    {
        var operators = new Policy
        {
            Id = "p-2",
            Tenant = "city-a",
            Subject = new PolicySubject(Role: BuiltInRoles.Operator),
            Actions = [CityOS.Core.Security.AccessAction.Read, CityOS.Core.Security.AccessAction.Update],
            EntityTypes = ["https://example.org/Park"],
            IdPatterns = ["urn:ngsi-ld:Park:*"],
            Attributes = ["https://example.org/status"],
            NotBefore = Now,
            NotAfter = Now.AddDays(30),
            RequiresMfa = true,
            Description = "Operators look after parks",
        };
        var federated = new Policy { Id = "p-1", Tenant = "city-b", Subject = new PolicySubject(Account: "sub-9", Issuer: "https://idp.example.org") };
        await Store.SavePolicyAsync(operators, default);
        await Store.SavePolicyAsync(federated, default);

        Assert.Equal(Json(operators), Json(await Store.GetPolicyAsync("p-2", default)));
        Assert.Equal(Json(federated), Json(await Store.GetPolicyAsync("p-1", default)));
        Assert.Null(await Store.GetPolicyAsync("p-none", default));
        Assert.Equal(["p-1", "p-2"], (await Store.ListPoliciesAsync(default)).Select(p => p.Id));

        var anonymous = operators with { Subject = new PolicySubject(Anonymous: true), RequiresMfa = false, Actions = [CityOS.Core.Security.AccessAction.Read] };
        await Store.SavePolicyAsync(anonymous, default);
        Assert.Equal(Json(anonymous), Json(await Store.GetPolicyAsync("p-2", default)));
        Assert.Equal(2, (await Store.ListPoliciesAsync(default)).Count);

        Assert.True(await Store.DeletePolicyAsync("p-1", default));
        Assert.False(await Store.DeletePolicyAsync("p-1", default));
        Assert.Equal(["p-2"], (await Store.ListPoliciesAsync(default)).Select(p => p.Id));
    }

    [Fact]
    public async Task A_session_is_found_by_the_hash_of_its_id_and_replaced_when_saved_again()
    {
        var session = NewSession("s-1", "acc-1", TimeSpan.FromHours(8)) with { PendingMfa = true };
        await Store.SaveSessionAsync("hash-s-1", session, default);

        Assert.Equal(Json(session), Json(await Store.GetSessionAsync("hash-s-1", default)));
        Assert.Null(await Store.GetSessionAsync("s-1", default));

        var confirmed = session with { PendingMfa = false, Amr = ["pwd", "otp"] };
        await Store.SaveSessionAsync("hash-s-1", confirmed, default);
        Assert.Equal(Json(confirmed), Json(await Store.GetSessionAsync("hash-s-1", default)));
    }

    [Fact]
    public async Task Saving_a_session_keeps_the_sessions_that_have_not_expired()
    {
        await Store.SaveSessionAsync("hash-long", NewSession("s-long", "acc-1", TimeSpan.FromHours(8)), default);
        Time.Advance(TimeSpan.FromHours(7));

        await Store.SaveSessionAsync("hash-new", NewSession("s-new", "acc-2", TimeSpan.FromHours(8)), default);

        Assert.Equal("s-long", (await Store.GetSessionAsync("hash-long", default))?.Id);
        Assert.Equal("s-new", (await Store.GetSessionAsync("hash-new", default))?.Id);
    }

    [Fact]
    public async Task A_code_is_redeemed_once_with_its_family_and_recognised_when_it_comes_back()
    {
        var code = NewCode("acc-1", TimeSpan.FromMinutes(1));
        await Store.SaveCodeAsync("hash-c", code, Now, default);

        var first = await Store.TryRedeemCodeAsync("hash-c", "family-1", default);
        var again = await Store.TryRedeemCodeAsync("hash-c", "family-2", default);

        Assert.True(first!.Value.Redeemed);
        Assert.Equal(Json(code with { IssuedFamily = "family-1" }), Json(first.Value.Code));
        Assert.False(again!.Value.Redeemed);
        Assert.Equal("family-1", again.Value.Code.IssuedFamily);
        Assert.Null(await Store.TryRedeemCodeAsync("hash-none", "family-3", default));
        Assert.Null(await Store.TryRedeemCodeAsync("c", "family-3", default));
    }

    [Fact]
    public async Task An_expired_code_is_still_returned_so_the_caller_can_refuse_it()
    {
        await Store.SaveCodeAsync("hash-c", NewCode("acc-1", TimeSpan.FromMinutes(1)), Now, default);
        Time.Advance(TimeSpan.FromMinutes(2));

        var redeemed = await Store.TryRedeemCodeAsync("hash-c", "family-1", default);

        Assert.True(redeemed!.Value.Code.Expires <= Now);
    }

    [Fact]
    public async Task Concurrent_redemptions_of_a_code_redeem_it_once()
    {
        await Store.SaveCodeAsync("hash-c", NewCode("acc-1", TimeSpan.FromMinutes(1)), Now, default);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => Store.TryRedeemCodeAsync("hash-c", "family-" + i, default))));

        var winner = Assert.Single(results, r => r!.Value.Redeemed);
        Assert.All(results, r => Assert.Equal(winner!.Value.Code.IssuedFamily, r!.Value.Code.IssuedFamily));
    }

    [Fact]
    public async Task Saving_a_code_keeps_a_redeemed_code_until_it_expires()
    {
        await Store.SaveCodeAsync("hash-old", NewCode("acc-1", TimeSpan.FromMinutes(10)), Now, default);
        await Store.TryRedeemCodeAsync("hash-old", "family-1", default);
        Time.Advance(TimeSpan.FromMinutes(5));

        await Store.SaveCodeAsync("hash-new", NewCode("acc-1", TimeSpan.FromMinutes(10)), Now, default);

        var replay = await Store.TryRedeemCodeAsync("hash-old", "family-2", default);
        Assert.Equal((false, "family-1"), (replay!.Value.Redeemed, replay.Value.Code.IssuedFamily));
    }

    [Fact]
    public async Task A_refresh_token_is_found_by_its_hash_and_consumed_once()
    {
        var token = NewRefreshToken("family-1", "acc-1", TimeSpan.FromDays(30));
        await Store.SaveRefreshTokenAsync("hash-r", token, Now, default);
        Assert.Equal(Json(token), Json(await Store.GetRefreshTokenAsync("hash-r", default)));
        Assert.Null(await Store.GetRefreshTokenAsync("hash-none", default));
        Time.Advance(TimeSpan.FromMinutes(3));

        Assert.True(await Store.TryConsumeRefreshTokenAsync("hash-r", Now, default));
        Assert.False(await Store.TryConsumeRefreshTokenAsync("hash-r", Now, default));
        Assert.False(await Store.TryConsumeRefreshTokenAsync("hash-none", Now, default));

        var consumed = (await Store.GetRefreshTokenAsync("hash-r", default))!;
        Assert.Equal(Now, consumed.Consumed);
        Assert.False(consumed.Revoked);
    }

    [Fact]
    public async Task Concurrent_refreshes_with_one_token_consume_it_once()
    {
        await Store.SaveRefreshTokenAsync("hash-r", NewRefreshToken("family-1", "acc-1", TimeSpan.FromDays(30)), Now, default);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => Store.TryConsumeRefreshTokenAsync("hash-r", Now, default))));

        Assert.Single(results, consumed => consumed);
    }

    [Fact]
    public async Task Revoking_a_family_revokes_its_refresh_tokens_and_access_tokens_and_is_announced()
    {
        await Store.SaveRefreshTokenAsync("hash-1", NewRefreshToken("family-1", "acc-1", TimeSpan.FromDays(30)), Now, default);
        await Store.TryConsumeRefreshTokenAsync("hash-1", Now, default);
        await Store.SaveRefreshTokenAsync("hash-2", NewRefreshToken("family-1", "acc-1", TimeSpan.FromDays(30)), Now, default);
        await Store.SaveRefreshTokenAsync("hash-other", NewRefreshToken("family-2", "acc-1", TimeSpan.FromDays(30)), Now, default);
        var changes = Listen();

        await Store.RevokeFamilyAsync("family-1", Now + AccessLifetime, default);

        Assert.True((await Store.GetRefreshTokenAsync("hash-1", default))!.Revoked);
        Assert.True((await Store.GetRefreshTokenAsync("hash-2", default))!.Revoked);
        Assert.False(await Store.TryConsumeRefreshTokenAsync("hash-2", Now, default));
        Assert.True(await Store.IsRevokedAsync("jti-any", "family-1", default));
        Assert.True(await Store.IsRevokedAsync("", "family-1", default));
        Assert.False((await Store.GetRefreshTokenAsync("hash-other", default))!.Revoked);
        Assert.False(await Store.IsRevokedAsync("jti-any", "family-2", default));
        Assert.False(await Store.IsRevokedAsync("jti-any", null, default));
        Assert.Equal([new IdentityChange(IdentityChangeKind.Revocation, "family-1")], changes);
    }

    [Fact]
    public async Task A_revoked_family_is_remembered_while_its_tokens_are_valid()
    {
        // The family of a grant without refresh tokens until its access tokens expire; one with refresh tokens until they expire.
        await Store.RevokeFamilyAsync("family-access", Now + AccessLifetime, default);
        await Store.SaveRefreshTokenAsync("hash-r", NewRefreshToken("family-refresh", "acc-1", TimeSpan.FromDays(30)), Now, default);
        await Store.RevokeFamilyAsync("family-refresh", Now + AccessLifetime, default);
        Time.Advance(AccessLifetime - TimeSpan.FromMinutes(1));

        await Store.RevokeAccessTokenAsync("jti-x", Now + AccessLifetime, Now, default);
        Assert.True(await Store.IsRevokedAsync("jti-1", "family-access", default));

        Time.Advance(TimeSpan.FromDays(1));
        await Store.RevokeAccessTokenAsync("jti-y", Now + AccessLifetime, Now, default);
        Assert.True(await Store.IsRevokedAsync("", "family-refresh", default));
    }

    [Fact]
    public async Task A_revoked_access_token_is_remembered_until_it_expires_and_announced()
    {
        var changes = Listen();
        await Store.RevokeAccessTokenAsync("jti-1", Now + AccessLifetime, Now, default);
        Time.Advance(AccessLifetime - TimeSpan.FromMinutes(1));
        await Store.RevokeAccessTokenAsync("jti-2", Now + AccessLifetime, Now, default);

        Assert.True(await Store.IsRevokedAsync("jti-1", null, default));
        Assert.True(await Store.IsRevokedAsync("jti-1", "family-none", default));
        Assert.True(await Store.IsRevokedAsync("jti-2", null, default));
        Assert.False(await Store.IsRevokedAsync("jti-3", null, default));
        Assert.Equal([new IdentityChange(IdentityChangeKind.Revocation, "jti-1"), new IdentityChange(IdentityChangeKind.Revocation, "jti-2")], changes);
    }

    [Fact]
    public async Task Revoking_an_account_ends_its_sessions_codes_refresh_tokens_and_grants_only()
    {
        await Store.SaveSessionAsync("hash-s-1", NewSession("s-1", "acc-1", TimeSpan.FromHours(8)), default);
        await Store.SaveSessionAsync("hash-s-2", NewSession("s-2", "acc-2", TimeSpan.FromHours(8)), default);
        await Store.SaveCodeAsync("hash-c-open", NewCode("acc-1", TimeSpan.FromMinutes(1)), Now, default);
        await Store.SaveCodeAsync("hash-c-used", NewCode("acc-1", TimeSpan.FromMinutes(1)), Now, default);
        await Store.TryRedeemCodeAsync("hash-c-used", "family-code", default);
        await Store.SaveCodeAsync("hash-c-other", NewCode("acc-2", TimeSpan.FromMinutes(1)), Now, default);
        await Store.SaveRefreshTokenAsync("hash-r-1", NewRefreshToken("family-refresh", "acc-1", TimeSpan.FromDays(30)), Now, default);
        await Store.SaveRefreshTokenAsync("hash-r-2", NewRefreshToken("family-other", "acc-2", TimeSpan.FromDays(30)), Now, default);
        await Store.RecordGrantAsync("family-access", "acc-1", Now + AccessLifetime, Now, default);
        await Store.RecordGrantAsync("family-other-access", "acc-2", Now + AccessLifetime, Now, default);
        var changes = Listen();

        await Store.RevokeAccountAsync("acc-1", Now + AccessLifetime, default);

        Assert.True((await Store.GetSessionAsync("hash-s-1", default))!.Ended);
        Assert.False((await Store.GetSessionAsync("hash-s-2", default))!.Ended);
        Assert.Null(await Store.TryRedeemCodeAsync("hash-c-open", "family-late", default));
        Assert.False((await Store.TryRedeemCodeAsync("hash-c-used", "family-late", default))!.Value.Redeemed);
        Assert.True((await Store.TryRedeemCodeAsync("hash-c-other", "family-b", default))!.Value.Redeemed);
        Assert.True((await Store.GetRefreshTokenAsync("hash-r-1", default))!.Revoked);
        Assert.False(await Store.TryConsumeRefreshTokenAsync("hash-r-1", Now, default));
        Assert.True(await Store.TryConsumeRefreshTokenAsync("hash-r-2", Now, default));
        Assert.True(await Store.IsRevokedAsync("jti", "family-refresh", default));
        Assert.True(await Store.IsRevokedAsync("jti", "family-access", default));
        Assert.False(await Store.IsRevokedAsync("jti", "family-other", default));
        Assert.False(await Store.IsRevokedAsync("jti", "family-other-access", default));
        Assert.Equal([new IdentityChange(IdentityChangeKind.Revocation, "acc-1")], changes);
    }

    [Fact]
    public async Task Revoking_an_account_keeps_its_grants_revoked_until_their_tokens_expire()
    {
        await Store.RecordGrantAsync("family-long", "acc-1", Now + TimeSpan.FromHours(2), Now, default);
        Time.Advance(TimeSpan.FromMinutes(10));
        await Store.RecordGrantAsync("family-short", "acc-1", Now + AccessLifetime, Now, default);
        await Store.RevokeAccountAsync("acc-1", Now + AccessLifetime, default);
        Time.Advance(TimeSpan.FromHours(1));

        await Store.RevokeAccessTokenAsync("jti-x", Now + AccessLifetime, Now, default);

        Assert.True(await Store.IsRevokedAsync("jti", "family-long", default));
    }

    [Fact]
    public async Task Signing_keys_are_listed_and_replaced_by_kid()
    {
        var first = new SigningKey("kid-1", "ES256", [1, 2, 3, 4], Now, null);
        var second = new SigningKey("kid-2", "RS256", [5, 6, 7], Now.AddDays(1), null);
        await Store.SaveSigningKeyAsync(first, default);
        await Store.SaveSigningKeyAsync(second, default);
        await Store.SaveSigningKeyAsync(first with { Retired = Now.AddDays(1) }, default);

        var keys = (await Store.ListSigningKeysAsync(default)).OrderBy(k => k.Kid).ToList();

        Assert.Equal(["kid-1", "kid-2"], keys.Select(k => k.Kid));
        Assert.Equal(Json(first with { Retired = Now.AddDays(1) }), Json(keys[0]));
        Assert.Equal(Json(second), Json(keys[1]));
    }

    [Fact]
    public async Task Everything_written_is_there_after_a_restart()
    {
        var account = NewAccount("acc-1", "hanako");
        var client = NewClient("app");
        var policy = new Policy { Id = "p-1", Tenant = "city-a", Subject = new PolicySubject(Role: "gardener") };
        var session = NewSession("s-1", "acc-1", TimeSpan.FromHours(8));
        var key = new SigningKey("kid-1", "ES256", [9, 8, 7], Now, null);
        await Store.CreateAccountAsync(account, default);
        await Store.CreateClientAsync(client, default);
        await Store.SaveRoleAsync(new Role("city-a", "gardener", "Parks"), default);
        await Store.SavePolicyAsync(policy, default);
        await Store.SaveSessionAsync("hash-s", session, default);
        await Store.SaveCodeAsync("hash-c-used", NewCode("acc-1", TimeSpan.FromMinutes(1)), Now, default);
        await Store.TryRedeemCodeAsync("hash-c-used", "family-code", default);
        await Store.SaveCodeAsync("hash-c-open", NewCode("acc-1", TimeSpan.FromMinutes(1)), Now, default);
        await Store.SaveRefreshTokenAsync("hash-r-used", NewRefreshToken("family-1", "acc-1", TimeSpan.FromDays(30)), Now, default);
        await Store.TryConsumeRefreshTokenAsync("hash-r-used", Now, default);
        await Store.SaveRefreshTokenAsync("hash-r-open", NewRefreshToken("family-1", "acc-1", TimeSpan.FromDays(30)), Now, default);
        await Store.RevokeAccessTokenAsync("jti-1", Now + AccessLifetime, Now, default);
        await Store.RevokeFamilyAsync("family-revoked", Now + AccessLifetime, default);
        await Store.RecordGrantAsync("family-grant", "acc-1", Now + AccessLifetime, Now, default);
        await Store.SaveSigningKeyAsync(key, default);

        await ReopenAsync();

        Assert.True(await Store.PingAsync(default));
        Assert.Equal(Json(account), Json(await Store.FindAccountAsync("HANAKO", default)));
        Assert.Equal(Json(client), Json(await Store.GetClientAsync("app", default)));
        Assert.Equal([new Role("city-a", "gardener", "Parks")], await Store.ListRolesAsync("city-a", default));
        Assert.Equal(Json(policy), Json(await Store.GetPolicyAsync("p-1", default)));
        Assert.Equal(Json(session), Json(await Store.GetSessionAsync("hash-s", default)));
        Assert.False((await Store.TryRedeemCodeAsync("hash-c-used", "family-2", default))!.Value.Redeemed);
        Assert.True((await Store.TryRedeemCodeAsync("hash-c-open", "family-3", default))!.Value.Redeemed);
        Assert.False(await Store.TryConsumeRefreshTokenAsync("hash-r-used", Now, default));
        Assert.True(await Store.TryConsumeRefreshTokenAsync("hash-r-open", Now, default));
        Assert.True(await Store.IsRevokedAsync("jti-1", null, default));
        Assert.True(await Store.IsRevokedAsync("jti-2", "family-revoked", default));
        Assert.Equal(Json(key), Json(Assert.Single(await Store.ListSigningKeysAsync(default))));
        var duplicate = await Assert.ThrowsAsync<NgsiLdException>(() => Store.CreateAccountAsync(NewAccount("acc-2", "hanako"), default));
        Assert.Equal(NgsiLdErrorType.AlreadyExists, duplicate.Type);

        await Store.RevokeAccountAsync("acc-1", Now + AccessLifetime, default);
        Assert.True(await Store.IsRevokedAsync("jti-3", "family-grant", default));
    }
}
