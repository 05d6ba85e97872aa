using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityOS.Core.Security;
using CityOS.Identity.Cli;
using CityOS.Identity.Model;
using Microsoft.Extensions.Configuration;

namespace CityOS.Identity.Tests.Http;

public class AdminApiTests(IdentityTestHost host) : IClassFixture<IdentityTestHost>
{
    [Fact]
    public async Task Without_a_token_or_without_an_admin_role_the_api_answers_problem_details()
    {
        using var client = host.NewClient();
        var anonymous = await client.GetAsync("/identity/v1/accounts");
        await AssertProblemAsync(anonymous, 401, "Unauthorized");

        var resident = await host.UserTokenAsync(new TenantMembership("city-a", "resident"));
        await AssertProblemAsync(await SendAsync(HttpMethod.Get, "/identity/v1/accounts", resident), 403, "Forbidden");
        await AssertProblemAsync(await SendAsync(HttpMethod.Get, "/identity/v1/accounts", "garbage"), 401, "Unauthorized");
    }

    [Fact]
    public async Task A_system_admin_manages_accounts_passwords_and_roles()
    {
        var admin = await host.UserTokenAsync(new TenantMembership(SecurityTenants.All, "system-admin"));
        var created = await SendAsync(HttpMethod.Post, "/identity/v1/accounts", admin, new
        {
            username = "hanako",
            password = "sakura-no-hana-2026",
            displayName = "山田 花子",
            organisation = "市役所",
            email = "hanako@city.example.jp",
            locale = "ja",
            memberships = new[] { new { tenant = "city-a", role = "operator" } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var account = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var id = account["id"]!.GetValue<string>();
        Assert.Null(account["passwordHash"]);
        Assert.Equal("山田 花子", account["displayName"]!.GetValue<string>());

        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/identity/v1/accounts", admin, new { username = "hanako", password = "another-password-1" }), 409, "AlreadyExists");
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/identity/v1/accounts", admin, new { username = "taro", password = "short" }), 400, "BadRequestData");
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/identity/v1/accounts", admin,
            new { username = "jiro", password = "long-enough-pass", memberships = new[] { new { tenant = "city-a", role = "wizard" } } }), 400, "BadRequestData");

        var patched = await SendAsync(HttpMethod.Patch, $"/identity/v1/accounts/{id}", admin, new { locale = "en", organisation = "City Hall" });
        Assert.Equal("en", JsonNode.Parse(await patched.Content.ReadAsStringAsync())!["locale"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Put, $"/identity/v1/accounts/{id}/password", admin, new { password = "new-password-2026" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Post, $"/identity/v1/accounts/{id}/disable", admin)).StatusCode);
        Assert.True(JsonNode.Parse(await (await SendAsync(HttpMethod.Get, $"/identity/v1/accounts/{id}", admin)).Content.ReadAsStringAsync())!["disabled"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Post, $"/identity/v1/accounts/{id}/enable", admin)).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "/identity/v1/tenants/city-a/roles", admin, new { name = "analyst", description = "reads air quality" })).StatusCode);
        var granted = await SendAsync(HttpMethod.Post, $"/identity/v1/accounts/{id}/roles", admin, new { tenant = "city-a", role = "analyst" });
        Assert.Contains("analyst", await granted.Content.ReadAsStringAsync());

        var list = JsonNode.Parse(await (await SendAsync(HttpMethod.Get, "/identity/v1/accounts", admin)).Content.ReadAsStringAsync())!.AsArray();
        Assert.Contains(list, a => a!["username"]!.GetValue<string>() == "hanako");
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/identity/v1/accounts/{id}", admin)).StatusCode);
        await AssertProblemAsync(await SendAsync(HttpMethod.Get, $"/identity/v1/accounts/{id}", admin), 404, "ResourceNotFound");
    }

    [Fact]
    public async Task A_tenant_admin_manages_its_own_tenant_only()
    {
        var tenantAdmin = await host.UserTokenAsync(new TenantMembership("city-x", "tenant-admin"));
        var own = await host.CreateAccountAsync(null, new TenantMembership("city-x", "resident"));
        var foreign = await host.CreateAccountAsync(null, new TenantMembership("city-y", "resident"));
        var shared = await host.CreateAccountAsync(null, new TenantMembership("city-x", "resident"), new TenantMembership("city-y", "operator"));

        var list = JsonNode.Parse(await (await SendAsync(HttpMethod.Get, "/identity/v1/accounts", tenantAdmin)).Content.ReadAsStringAsync())!.AsArray();
        var names = list.Select(a => a!["username"]!.GetValue<string>()).ToArray();
        Assert.Contains(own.Username, names);
        Assert.DoesNotContain(foreign.Username, names);

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Put, $"/identity/v1/accounts/{own.Id}/password", tenantAdmin, new { password = "reset-by-admin-1" })).StatusCode);
        await AssertProblemAsync(await SendAsync(HttpMethod.Put, $"/identity/v1/accounts/{foreign.Id}/password", tenantAdmin, new { password = "reset-by-admin-1" }), 404, "ResourceNotFound");
        await AssertProblemAsync(await SendAsync(HttpMethod.Put, $"/identity/v1/accounts/{shared.Id}/password", tenantAdmin, new { password = "reset-by-admin-1" }), 403, "Forbidden");
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, $"/identity/v1/accounts/{own.Id}/roles", tenantAdmin, new { tenant = "city-y", role = "operator" }), 403, "Forbidden");
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, $"/identity/v1/accounts/{own.Id}/roles", tenantAdmin, new { tenant = "*", role = "system-admin" }), 403, "Forbidden");
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/identity/v1/accounts", tenantAdmin,
            new { username = "outsider", password = "long-enough-pass", memberships = new[] { new { tenant = "city-y", role = "resident" } } }), 403, "Forbidden");
        await AssertProblemAsync(await SendAsync(HttpMethod.Get, "/identity/v1/clients", tenantAdmin), 403, "Forbidden");
    }

    [Fact]
    public async Task Policies_saved_through_the_api_take_effect_and_are_validated()
    {
        var tenantAdmin = await host.UserTokenAsync(new TenantMembership("city-p", "tenant-admin"));
        var residentToken = await host.UserTokenAsync(new TenantMembership("city-p", "resident"));
        var resident = await host.Services.GetRequiredService<ITokenValidator>().ValidateAsync(residentToken, default);
        var pdp = host.Services.GetRequiredService<IAccessPolicy>();
        Assert.False((await pdp.DecideAsync(resident, AccessAction.Read, new("city-p", "ParkingSpot"), default)).Allowed);

        var saved = await SendAsync(HttpMethod.Post, "/identity/v1/policies", tenantAdmin, new
        {
            id = "p-parking",
            tenant = "city-p",
            subject = new { role = "resident" },
            actions = new[] { "read" },
            entityTypes = new[] { "ParkingSpot" },
            notAfter = host.Clock.GetUtcNow().AddDays(1),
        });
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        Assert.True((await pdp.DecideAsync(resident, AccessAction.Read, new("city-p", "ParkingSpot"), default)).Allowed);

        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/identity/v1/policies", tenantAdmin,
            new { tenant = "city-q", subject = new { role = "resident" }, actions = new[] { "read" } }), 403, "Forbidden");
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/identity/v1/policies", tenantAdmin,
            new { tenant = "city-p", subject = new { role = "resident", anonymous = true }, actions = new[] { "read" } }), 400, "BadRequestData");
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/identity/v1/policies", tenantAdmin,
            new { tenant = "city-p", subject = new { role = "resident" }, actions = new[] { "fly" } }), 400, "BadRequestData");

        host.Clock.Advance(TimeSpan.FromDays(2));
        Assert.False((await pdp.DecideAsync(resident, AccessAction.Read, new("city-p", "ParkingSpot"), default)).Allowed);
        var freshAdmin = await host.UserTokenAsync(new TenantMembership("city-p", "tenant-admin"));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "/identity/v1/policies/p-parking", freshAdmin)).StatusCode);
    }

    [Fact]
    public async Task A_system_admin_registers_clients_and_the_secret_is_shown_once()
    {
        var admin = await host.UserTokenAsync(new TenantMembership(SecurityTenants.All, "system-admin"));
        var response = await SendAsync(HttpMethod.Post, "/identity/v1/clients", admin, new
        {
            clientId = "parking-app",
            redirectUris = new[] { "https://parking.example/cb" },
            grantTypes = new[] { "authorization_code", "client_credentials" },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var secret = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["clientSecret"]!.GetValue<string>();
        var (status, _) = await host.TokenAsync(new() { ["grant_type"] = "client_credentials" }, "parking-app", secret);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(secret, await (await SendAsync(HttpMethod.Get, "/identity/v1/clients", admin)).Content.ReadAsStringAsync());
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/identity/v1/clients", admin,
            new { clientId = "bad", @public = true, grantTypes = new[] { "client_credentials" } }), 400, "BadRequestData");
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/identity/v1/clients", admin,
            new { clientId = "bad2", redirectUris = new[] { "https://x.example/cb#frag" }, grantTypes = new[] { "authorization_code" } }), 400, "BadRequestData");
    }

    [Fact]
    public async Task The_command_line_creates_the_first_administrator_on_the_data_directory()
    {
        var data = Path.Combine(Path.GetTempPath(), "cityos-cli-test-" + Guid.NewGuid().ToString("N"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("CityOS:DataDirectory", data), new("CityOS:Identity:PasswordIterations", "1000")]).Build();
        async Task<(int Code, string Out, string Err)> Run(params string[] args)
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var code = await AccountCommand.RunAsync(args, configuration, output, error);
            return (code, output.ToString(), error.ToString());
        }
        try
        {
            Assert.Equal(0, (await Run("account", "create", "--username", "root", "--password", "first-admin-2026", "--tenant", "*", "--role", "system-admin")).Code);
            var clerk = await Run("account", "create", "--username", "clerk", "--password", "counter-window-7", "--locale", "en");
            Assert.True(clerk.Code == 0, clerk.Err);
            Assert.Equal(0, (await Run("account", "grant-role", "clerk", "--tenant", "city-a", "--role", "operator")).Code);
            var list = await Run("account", "list");
            Assert.Contains("root", list.Out);
            Assert.Contains("*:system-admin", list.Out);
            Assert.Contains("city-a:operator", list.Out);
            Assert.Contains("\"locale\": \"en\"", (await Run("account", "show", "clerk")).Out);
            Assert.Equal(0, (await Run("account", "set-password", "clerk", "--password", "another-password-2")).Code);
            Assert.Contains("disabled", (await Run("account", "disable", "clerk")).Out);
            Assert.Contains("enabled", (await Run("account", "enable", "clerk")).Out);
            var client = await Run("client", "create", "--client-id", "portal", "--redirect-uri", "https://portal.example/cb");
            Assert.True(client.Code == 0, client.Err);
            Assert.Contains("client secret (shown once):", client.Out);
            Assert.Contains("portal", (await Run("client", "list")).Out);
            var duplicate = await Run("account", "create", "--username", "root", "--password", "first-admin-2026");
            Assert.Equal(1, duplicate.Code);
            Assert.Contains("already exists", duplicate.Err);
            Assert.Equal(0, (await Run("account", "delete", "clerk")).Code);
            Assert.Equal(1, (await Run("account", "show", "clerk")).Code);
            Assert.Equal(2, (await Run("account", "fly")).Code);
            Assert.True(File.Exists(Path.Combine(data, "identity.db")));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string token, object? body = null)
    {
        using var client = host.NewClient();
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", token);
        return await client.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, int status, string errorType)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + errorType, problem["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));
    }
}
