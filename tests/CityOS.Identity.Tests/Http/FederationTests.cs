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
}
