using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Services;
using static Microsoft.Playwright.Assertions;

namespace CityOS.Portal.Tests.Browser;

/// <summary>An administrator in Chromium creates an account, gives it a role and sees a subscription that fails.</summary>
public class AdminTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private const string Tenant = "admin-town";

    [Fact]
    public async Task An_administrator_creates_an_account_and_gives_it_a_role()
    {
        var admin = await browser.AccountAsync("admin", "Admin", new TenantMembership(SecurityTenants.All, BuiltInRoles.SystemAdmin));
        await using var tab = await browser.OpenAsync("en");
        await tab.SignInAsync(admin);
        await tab.Page.Locator("header nav a", new() { HasText = "Admin console" }).ClickAsync();
        await tab.CheckAsync("admin");

        await tab.Page.Locator("#new-username").FillAsync("sachiko");
        await tab.Page.Locator("#new-display-name").FillAsync("Sachiko Kato");
        await tab.Page.Locator("#new-password").FillAsync("Kato-pass-phrase-2026");
        await tab.Page.Locator("#create-account button[type=submit]").ClickAsync();
        await Expect(tab.Page.Locator("#outcome[role=status]")).ToBeVisibleAsync();
        await Expect(tab.Page.Locator("#accounts tr[data-username=sachiko]")).ToContainTextAsync("Sachiko Kato");

        await tab.Page.Locator("#role-account").SelectOptionAsync(new Microsoft.Playwright.SelectOptionValue { Label = "sachiko" });
        await tab.Page.Locator("#role-tenant").FillAsync(Tenant);
        await tab.Page.Locator("#role-name").SelectOptionAsync("operator");
        await tab.Page.Locator("#grant-role button[type=submit]").ClickAsync();
        await Expect(tab.Page.Locator("#outcome[role=status]")).ToBeVisibleAsync();
        await Expect(tab.Page.Locator("#accounts tr[data-username=sachiko] td.roles")).ToHaveTextAsync($"operator ({Tenant})");
        await tab.AssertAccessibleAsync("admin after changes");

        var account = await browser.Services.GetRequiredService<AccountManager>().FindAsync("sachiko", CancellationToken.None);
        Assert.Contains(new TenantMembership(Tenant, BuiltInRoles.Operator), account.Memberships);
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task An_administrator_sees_a_failing_subscription()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var id = await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", $$"""
            {"type": "Subscription", "description": "Noise alerts", "entities": [{"type": "NoiseLevel"}],
             "notification": {"endpoint": {"uri": "http://127.0.0.1:{{port}}/notify", "accept": "application/json"} } }
            """);
        await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", """{"id": "urn:ngsi-ld:NoiseLevel:1", "type": "NoiseLevel", "db": {"type": "Property", "value": 71}}""");
        Assert.True(await Eventually.TrueAsync(async () =>
            JsonNode.Parse(await SendAsync(HttpMethod.Get, "/ngsi-ld/v1/subscriptions/" + id, null))?["notification"]?["status"]?.ToString() == "failed", 20_000));

        var admin = await browser.AccountAsync("town-admin", "Town Admin", new TenantMembership(Tenant, BuiltInRoles.TenantAdmin));
        await using var tab = await browser.OpenAsync("ja");
        await tab.SignInAsync(admin);
        await tab.GoAsync($"/portal/admin/subscriptions?tenant={Tenant}");
        var row = tab.Page.Locator("#subscriptions tr", new() { HasText = "Noise alerts" });
        await Expect(row.Locator("td.state")).ToHaveTextAsync("失敗中");
        await Expect(row.Locator("td.failures")).Not.ToHaveTextAsync("0");
        await Expect(row).ToContainTextAsync($"http://127.0.0.1:{port}/notify");
        await tab.CheckAsync("admin-subscriptions");
    }

    [Fact]
    public async Task The_admin_console_is_denied_to_a_user_without_an_admin_role()
    {
        var user = await browser.AccountAsync("resident", "Resident", new TenantMembership(Tenant, BuiltInRoles.Resident));
        await using var tab = await browser.OpenAsync("en");
        await tab.SignInAsync(user);
        await Expect(tab.Page.Locator("header nav a", new() { HasText = "Admin console" })).ToHaveCountAsync(0);
        foreach (var path in new[] { "/portal/admin", $"/portal/admin/subscriptions?tenant={Tenant}" })
        {
            var response = await tab.Page.GotoAsync(path);
            Assert.Equal(403, response!.Status);
            await Expect(tab.Page.Locator("#accounts, #subscriptions")).ToHaveCountAsync(0);
        }
    }

    private async Task<string> SendAsync(HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        request.Headers.Add("NGSILD-Tenant", Tenant);
        var response = await browser.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {text}");
        return method == HttpMethod.Post && path.EndsWith("subscriptions", StringComparison.Ordinal) ? response.Headers.Location!.OriginalString.Split('/')[^1] : text;
    }
}
