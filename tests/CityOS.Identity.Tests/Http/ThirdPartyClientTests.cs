using System.Text.Json.Nodes;
using CityOS.Identity.Model;

namespace CityOS.Identity.Tests.Http;

/// <summary>The provider as real third-party clients see it: openid-client and jose (npm), run by node against the running host.</summary>
public class ThirdPartyClientTests(SystemClockIdentityHost host) : IClassFixture<SystemClockIdentityHost>
{
    private static string JsDirectory => Path.Combine(TestProjectDirectory, "js");

    [Fact]
    public async Task Openid_client_completes_code_flow_with_pkce_and_client_credentials_jose_verifies_the_tokens_and_the_broker_accepts_them()
    {
        Assert.True(Directory.Exists(Path.Combine(JsDirectory, "node_modules", "openid-client")) && Directory.Exists(Path.Combine(JsDirectory, "node_modules", "jose")),
            $"The npm clients are not installed: run `npm ci` in {JsDirectory}.");
        var account = await host.CreateAccountAsync(null, new TenantMembership("city-a", "resident"));
        const string redirectUri = "http://127.0.0.1:9/callback";
        var (publicClient, _) = await host.CreateClientAsync(isPublic: true, redirectUri: redirectUri);
        var (service, secret) = await host.CreateClientAsync(algorithm: "RS256", grants: [GrantTypes.ClientCredentials], memberships: new TenantMembership("city-a", "service"));

        var input = new JsonObject
        {
            ["issuer"] = host.Issuer,
            ["publicClientId"] = publicClient,
            ["redirectUri"] = redirectUri,
            ["username"] = account.Username,
            ["password"] = IdentityTestHost.Password,
            ["clientId"] = service,
            ["clientSecret"] = secret,
        };
        var result = await RunNodeAsync(input.ToJsonString());

        var code = result["authorizationCode"]!;
        Assert.Equal("en", result["signInPageLanguage"]!.GetValue<string>());
        Assert.Equal("ES256", code["accessTokenAlg"]!.GetValue<string>());
        Assert.Equal(account.Id, code["sub"]!.GetValue<string>());
        Assert.Equal(account.Id, code["idTokenSub"]!.GetValue<string>());
        Assert.Equal(publicClient, code["clientId"]!.GetValue<string>());
        Assert.Equal("Test User", code["idTokenName"]!.GetValue<string>());
        Assert.Equal("pwd", code["amr"]![0]!.GetValue<string>());
        Assert.Equal("resident", code["tenants"]!["city-a"]![0]!.GetValue<string>());
        Assert.True(code["hasRefreshToken"]!.GetValue<bool>());
        Assert.Equal(account.Username, result["userinfo"]!["preferred_username"]!.GetValue<string>());
        Assert.True(result["refresh"]!["rotated"]!.GetValue<bool>());
        Assert.True(result["refresh"]!["reuseRefused"]!.GetValue<bool>());

        var credentials = result["clientCredentials"]!;
        Assert.Equal("RS256", credentials["accessTokenAlg"]!.GetValue<string>());
        Assert.Equal(service, credentials["sub"]!.GetValue<string>());
        Assert.Equal("ngsi-ld", credentials["scope"]!.GetValue<string>());
        Assert.True(credentials["active"]!.GetValue<bool>());
        Assert.False(credentials["activeAfterRevocation"]!.GetValue<bool>());

        // The same tokens on the NGSI-LD API (security on): the service creates and reads, the resident (no policy) is
        // refused (and, once its refresh token was replayed, its tokens are revoked), a caller without a token is asked for
        // one, and the revoked token is refused at once.
        var broker = result["broker"]!;
        Assert.Equal("201", broker["serviceCreates"]!.ToJsonString());
        Assert.Equal("200", broker["serviceReads"]!.ToJsonString());
        Assert.Equal("403", broker["residentReads"]!.ToJsonString());
        Assert.Equal("401", broker["residentReadsAfterRefreshReuse"]!.ToJsonString());
        Assert.Equal("401", broker["anonymousReads"]!.ToJsonString());
        Assert.Equal("401", broker["serviceReadsAfterRevocation"]!.ToJsonString());
    }

    private static async Task<JsonNode> RunNodeAsync(string input)
    {
        var stdout = await NodeScript.RunAsync(JsDirectory, "oidc-clients.mjs", input);
        return JsonNode.Parse(stdout) ?? throw new InvalidOperationException("node printed nothing");
    }

    private static string TestProjectDirectory
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CityOS.Identity.Tests.csproj"))) directory = directory.Parent;
            return directory?.FullName ?? throw new DirectoryNotFoundException("CityOS.Identity.Tests.csproj not found above " + AppContext.BaseDirectory);
        }
    }
}
