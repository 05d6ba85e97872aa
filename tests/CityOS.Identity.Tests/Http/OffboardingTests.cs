using System.Net;
using System.Text.Json.Nodes;
using CityOS.Core.Security;
using CityOS.Identity.Model;

namespace CityOS.Identity.Tests.Http;

/// <summary>
/// Access that ends when its owner goes: a subscription notifies only while its owner account or client exists, is enabled
/// and holds a role that lets it read, checked at every delivery against a live receiver.
/// </summary>
public sealed class OffboardingTests(OffboardingTests.Fixture fixture) : IClassFixture<OffboardingTests.Fixture>
{
    private const string Tenant = "offboarding";

    public sealed class Fixture : IAsyncLifetime
    {
        public IdentityTestHost Host { get; } = IdentityTestHost.WithSettings("--CityOS:Security:Enabled", "true");
        public string Admin { get; private set; } = "";

        public async Task InitializeAsync()
        {
            await Host.InitializeAsync();
            Admin = await Host.UserTokenAsync(new TenantMembership(SecurityTenants.All, BuiltInRoles.SystemAdmin));
        }

        public Task DisposeAsync() => Host.DisposeAsync();

        public Task<HttpResponseMessage> SendAsync(string token, HttpMethod method, string url, string? json = null) =>
            Host.SendAsync(method, url, token, json, Tenant);

        public async Task<string> ClientTokenAsync(string clientId, string secret)
        {
            var (status, body) = await Host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, clientId, secret);
            Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
            return body["access_token"]!.GetValue<string>();
        }
    }

    [Theory]
    [InlineData("account disabled")]
    [InlineData("account deleted")]
    [InlineData("role revoked")]
    [InlineData("client deleted")]
    public async Task A_subscription_stops_notifying_once_its_owner_is_gone_and_shows_why(string offboarding)
    {
        var ownerAccount = offboarding.StartsWith("account", StringComparison.Ordinal) || offboarding == "role revoked"
            ? await fixture.Host.CreateAccountAsync(null, new TenantMembership(Tenant, BuiltInRoles.Operator))
            : null;
        var (ownerClient, ownerSecret) = await fixture.Host.CreateClientAsync(memberships: new TenantMembership(Tenant, BuiltInRoles.Operator));
        var owner = ownerAccount is null
            ? await fixture.ClientTokenAsync(ownerClient, ownerSecret!)
            : (await fixture.Host.SignInTokensAsync(ownerAccount)).Tokens["access_token"]!.GetValue<string>();
        var (controlClient, controlSecret) = await fixture.Host.CreateClientAsync(memberships: new TenantMembership(Tenant, BuiltInRoles.Service));
        var control = await fixture.ClientTokenAsync(controlClient, controlSecret!);

        await using var receiver = await NotificationReceiver.StartNewAsync();
        var path = receiver.NewPath();
        var entity = "urn:ngsi-ld:Building:" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.Created, (await fixture.SendAsync(fixture.Admin, HttpMethod.Post, "/ngsi-ld/v1/entities",
            $$$"""{"id":"{{{entity}}}","type":"Building","name":{"type":"Property","value":"v0"}}""")).StatusCode);
        var owned = await SubscribeAsync(owner, entity, receiver.Url(path));
        var controlled = await SubscribeAsync(control, entity, receiver.Url(path));

        await RenameAsync(entity, "v1");
        var before = await ReceiveUntilAsync(receiver, path, controlled, "v1");
        Assert.Contains(before, n => From(n, owned) && Name(n) == "v1");

        var ownerId = ownerAccount?.Id;
        var done = offboarding switch
        {
            "account disabled" => await fixture.SendAsync(fixture.Admin, HttpMethod.Post, $"/identity/v1/accounts/{ownerId}/disable"),
            "account deleted" => await fixture.SendAsync(fixture.Admin, HttpMethod.Delete, $"/identity/v1/accounts/{ownerId}"),
            "role revoked" => await fixture.SendAsync(fixture.Admin, HttpMethod.Delete, $"/identity/v1/accounts/{ownerId}/roles/{Tenant}/{BuiltInRoles.Operator}"),
            _ => await fixture.SendAsync(fixture.Admin, HttpMethod.Delete, $"/identity/v1/clients/{ownerClient}"),
        };
        Assert.True(done.IsSuccessStatusCode, await done.Content.ReadAsStringAsync());

        // Two changes later the control subscription has heard both: the owner's would have heard the first by then.
        await RenameAsync(entity, "v2");
        await RenameAsync(entity, "v3");
        var after = await ReceiveUntilAsync(receiver, path, controlled, "v3");
        Assert.DoesNotContain(after, n => From(n, owned));

        var shown = JsonNode.Parse(await (await fixture.SendAsync(fixture.Admin, HttpMethod.Get, "/ngsi-ld/v1/subscriptions/" + Uri.EscapeDataString(owned))).Content.ReadAsStringAsync())!;
        if (offboarding == "role revoked")
        {
            // The owner still exists: its subscription is as active as before; it just may read nothing now.
            Assert.Equal("active", shown["status"]!.GetValue<string>());
        }
        else
        {
            Assert.Equal("paused", shown["status"]!.GetValue<string>());
            Assert.Contains("disabled or removed", shown["statusReason"]!.GetValue<string>());
            Assert.NotEqual(false, shown["isActive"]?.GetValue<bool>());
        }
        Assert.False(JsonNode.Parse(await (await fixture.SendAsync(fixture.Admin, HttpMethod.Get, "/ngsi-ld/v1/subscriptions/" + Uri.EscapeDataString(controlled))).Content.ReadAsStringAsync())!
            .AsObject().ContainsKey("statusReason"));
    }

    [Fact]
    public async Task A_role_given_back_reaches_the_subscription_and_the_token_at_once()
    {
        var account = await fixture.Host.CreateAccountAsync(null, new TenantMembership(Tenant, BuiltInRoles.Resident));
        var token = (await fixture.Host.SignInTokensAsync(account)).Tokens["access_token"]!.GetValue<string>();
        var validator = fixture.Host.Services.GetRequiredService<ITokenValidator>();
        Assert.Equal([BuiltInRoles.Resident], (await validator.ValidateAsync(token, default)).RolesIn(Tenant));

        var granted = await fixture.SendAsync(fixture.Admin, HttpMethod.Post, $"/identity/v1/accounts/{account.Id}/roles",
            $$"""{"tenant":"{{Tenant}}","role":"operator"}""");
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Contains(BuiltInRoles.Operator, (await validator.ValidateAsync(token, default)).RolesIn(Tenant));

        var revoked = await fixture.SendAsync(fixture.Admin, HttpMethod.Delete, $"/identity/v1/accounts/{account.Id}/roles/{Tenant}/{BuiltInRoles.Operator}");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal([BuiltInRoles.Resident], (await validator.ValidateAsync(token, default)).RolesIn(Tenant));
        var write = await fixture.SendAsync(token, HttpMethod.Post, "/ngsi-ld/v1/entities",
            $$$"""{"id":"urn:ngsi-ld:Building:{{{Guid.NewGuid():N}}}","type":"Building"}""");
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
    }

    [Fact]
    public async Task The_tokens_of_a_deleted_client_are_refused_at_once()
    {
        var (clientId, secret) = await fixture.Host.CreateClientAsync(memberships: new TenantMembership(Tenant, BuiltInRoles.Service));
        var service = await fixture.ClientTokenAsync(clientId, secret!);
        var account = await fixture.Host.CreateAccountAsync(null, new TenantMembership(Tenant, BuiltInRoles.Operator));
        var verifier = IdentityTestHost.NewVerifier();
        var code = await fixture.Host.SignInForCodeAsync(fixture.Host.NewBrowser(), clientId, verifier, account.Username);
        var user = (await fixture.Host.ExchangeCodeAsync(clientId, secret, code, verifier))["access_token"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await fixture.SendAsync(service, HttpMethod.Get, "/ngsi-ld/v1/entities?type=Building")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.SendAsync(user, HttpMethod.Get, "/ngsi-ld/v1/entities?type=Building")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await fixture.SendAsync(fixture.Admin, HttpMethod.Delete, $"/identity/v1/clients/{clientId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.SendAsync(service, HttpMethod.Get, "/ngsi-ld/v1/entities?type=Building")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.SendAsync(user, HttpMethod.Get, "/ngsi-ld/v1/entities?type=Building")).StatusCode);
    }

    private async Task<string> SubscribeAsync(string token, string entity, string url)
    {
        var response = await fixture.SendAsync(token, HttpMethod.Post, "/ngsi-ld/v1/subscriptions",
            $$$$"""{"type":"Subscription","entities":[{"id":"{{{{entity}}}}","type":"Building"}],"notification":{"endpoint":{"uri":"{{{{url}}}}"}}}""");
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return Uri.UnescapeDataString(response.Headers.Location!.OriginalString["/ngsi-ld/v1/subscriptions/".Length..]);
    }

    private async Task RenameAsync(string entity, string name)
    {
        var response = await fixture.SendAsync(fixture.Admin, HttpMethod.Patch, $"/ngsi-ld/v1/entities/{entity}/attrs", $$$"""{"name":{"type":"Property","value":"{{{name}}}"}}""");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>Every notification received until the one of <paramref name="subscription"/> with this name (included).</summary>
    private static async Task<List<JsonNode>> ReceiveUntilAsync(NotificationReceiver receiver, string path, string subscription, string name)
    {
        var received = new List<JsonNode>();
        while (true)
        {
            JsonNode notification = (await receiver.NextAsync(path)).Body;
            received.Add(notification);
            if (From(notification, subscription) && Name(notification) == name) return received;
        }
    }

    private static bool From(JsonNode notification, string subscription) => notification["subscriptionId"]?.GetValue<string>() == subscription;

    private static string? Name(JsonNode notification) => notification["data"]?[0]?["name"]?["value"]?.GetValue<string>();
}
