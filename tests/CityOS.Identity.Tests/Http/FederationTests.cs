using CityOS.Core;
using CityOS.Core.Security;
using CityOS.Identity.Model;

namespace CityOS.Identity.Tests.Http;

/// <summary>SL-11: a City OS accepts the tokens of another one it trusts, with roles only from its own mapping rules.</summary>
public class FederationTests
{
    [Fact]
    public async Task Tokens_of_a_trusted_city_are_accepted_with_mapped_roles_and_others_are_refused()
    {
        var home = new IdentityTestHost();
        var stranger = new IdentityTestHost();
        IdentityTestHost? local = null;
        try
        {
            await home.InitializeAsync();
            await stranger.InitializeAsync();
            var (visitor, secret) = await home.CreateClientAsync(memberships: new TenantMembership("city-a", "tenant-admin"));
            local = IdentityTestHost.WithSettings(
                "--CityOS:Identity:TrustedIssuers:0:Issuer", home.Issuer,
                "--CityOS:Identity:TrustedIssuers:0:RoleMappings:0:Claim", "client_id",
                "--CityOS:Identity:TrustedIssuers:0:RoleMappings:0:Value", visitor,
                "--CityOS:Identity:TrustedIssuers:0:RoleMappings:0:Tenant", "shared",
                "--CityOS:Identity:TrustedIssuers:0:RoleMappings:0:Role", "service");
            await local.InitializeAsync();
            var validator = local.Services.GetRequiredService<ITokenValidator>();

            var token = (await home.TokenAsync(new() { ["grant_type"] = "client_credentials" }, visitor, secret)).Body["access_token"]!.GetValue<string>();
            var caller = await validator.ValidateAsync(token, default);
            Assert.Equal(home.Issuer, caller.Issuer);
            Assert.Equal(["service"], caller.RolesIn("shared"));
            Assert.Empty(caller.RolesIn("city-a"));

            var (strangerId, strangerSecret) = await stranger.CreateClientAsync(memberships: new TenantMembership("shared", "tenant-admin"));
            var foreign = (await stranger.TokenAsync(new() { ["grant_type"] = "client_credentials" }, strangerId, strangerSecret)).Body["access_token"]!.GetValue<string>();
            await Assert.ThrowsAsync<NgsiLdException>(() => validator.ValidateAsync(foreign, default));
        }
        finally
        {
            if (local is not null) await local.DisposeAsync();
            await stranger.DisposeAsync();
            await home.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_trusted_issuers_subject_is_not_a_local_account_and_its_id_tokens_are_no_access_tokens()
    {
        var home = new IdentityTestHost();
        IdentityTestHost? local = null;
        try
        {
            await home.InitializeAsync();
            var visitor = await home.CreateAccountAsync();
            var (_, _, tokens) = await home.SignInTokensAsync(visitor);
            local = IdentityTestHost.WithSettings("--CityOS:Identity:TrustedIssuers:0:Issuer", home.Issuer);
            await local.InitializeAsync();
            var validator = local.Services.GetRequiredService<ITokenValidator>();

            var idToken = await Assert.ThrowsAsync<NgsiLdException>(() => validator.ValidateAsync(tokens["id_token"]!.GetValue<string>(), default));
            Assert.Contains(home.Issuer, idToken.Detail);
            var caller = await validator.ValidateAsync(tokens["access_token"]!.GetValue<string>(), default);
            Assert.Equal(visitor.Id, caller.Subject);

            // A policy for the local account of that id grants the federated caller nothing; one that names the issuer does.
            var store = local.Services.GetRequiredService<CityOS.Identity.Storage.IIdentityStore>();
            await store.SavePolicyAsync(new Policy { Id = "local-account", Tenant = "lookalike", Subject = new(Account: visitor.Id), Actions = [AccessAction.Read] }, default);
            await store.SavePolicyAsync(new Policy { Id = "federated-account", Tenant = "partners", Subject = new(Account: visitor.Id, Issuer: home.Issuer), Actions = [AccessAction.Read] }, default);
            local.Services.GetRequiredService<CityOS.Identity.Rules.AccessPolicy>().Invalidate();
            var policy = local.Services.GetRequiredService<IAccessPolicy>();
            Assert.False((await policy.DecideAsync(caller, AccessAction.Read, new AccessResource("lookalike", "Building"), default)).Allowed);
            Assert.True((await policy.DecideAsync(caller, AccessAction.Read, new AccessResource("partners", "Building"), default)).Allowed);
        }
        finally
        {
            if (local is not null) await local.DisposeAsync();
            await home.DisposeAsync();
        }
    }
}
