using CityOS.Core.Security;
using CityOS.Identity.Model;
using static Microsoft.Playwright.Assertions;

namespace CityOS.Portal.Tests.Browser;

/// <summary>A developer in Chromium finds an API, calls it from the console as themselves, and registers an application.</summary>
public class DeveloperTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    [Fact]
    public async Task A_developer_finds_an_api_and_calls_it_from_the_console_with_their_own_rights()
    {
        using (var create = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entities")
        {
            Content = new StringContent("""{"id": "urn:ngsi-ld:Bus:route-7", "type": "Bus", "speed": {"type": "Property", "value": 31}}""", System.Text.Encoding.UTF8, "application/json"),
        })
        {
            create.Headers.Add("NGSILD-Tenant", "dev-town");
            Assert.True((await browser.Client.SendAsync(create)).IsSuccessStatusCode);
        }
        var account = await browser.AccountAsync("kenji", "Kenji Sato", new TenantMembership("dev-town", BuiltInRoles.Operator));
        await using var tab = await browser.OpenAsync("en");
        await tab.SignInAsync(account);
        await tab.GoAsync("/portal/apis");
        await tab.CheckAsync("apis");
        await tab.Page.Locator("#api-search").FillAsync("query entities");
        await tab.Page.Locator("main button[type=submit]").ClickAsync();
        await Expect(tab.Page.Locator("#operations tbody tr", new() { HasText = "/ngsi-ld/v1/entities" }).First).ToBeVisibleAsync();
        Assert.True(await tab.Page.Locator("#operations tbody tr").CountAsync() < 20);

        await tab.Page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Try it: GET /ngsi-ld/v1/entities", Exact = true }).ClickAsync();
        await Expect(tab.Page.Locator("#path")).ToHaveValueAsync("/ngsi-ld/v1/entities");
        await tab.CheckAsync("api-console");
        await tab.Page.Locator("#path").FillAsync("/ngsi-ld/v1/entities?type=Bus");
        await tab.Page.Locator("#console-tenant").FillAsync("dev-town");
        await tab.Page.Locator("#send").ClickAsync();
        await Expect(tab.Page.Locator("#response-status")).ToContainTextAsync("200");
        await Expect(tab.Page.Locator("#response-body")).ToContainTextAsync("urn:ngsi-ld:Bus:route-7");
        await tab.AssertAccessibleAsync("api-console with a response");

        // The console calls as the user: in a tenant where the user holds no role, the broker refuses.
        await tab.Page.Locator("#console-tenant").FillAsync("other-town");
        await tab.Page.Locator("#send").ClickAsync();
        await Expect(tab.Page.Locator("#response-status")).ToContainTextAsync("403");
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_developer_registers_an_application_and_sees_its_credentials_once()
    {
        var account = await browser.AccountAsync("emi", "Emi Ito");
        await using var tab = await browser.OpenAsync("ja");
        await tab.GoAsync("/portal/apps");
        Assert.Contains("/identity/", tab.Page.Url);
        await tab.Page.Locator("input[name=username]").FillAsync(account.Username);
        await tab.Page.Locator("input[name=password]").FillAsync(account.Password);
        await tab.Page.Locator("button[type=submit]").ClickAsync();
        await tab.Page.WaitForURLAsync(u => u.Contains("/portal/apps", StringComparison.Ordinal));
        await tab.CheckAsync("apps");

        await tab.Page.Locator("#app-name").FillAsync("バス接近情報");
        await tab.Page.Locator("#redirect-uri").FillAsync("https://bus.example.jp/callback");
        await tab.Page.Locator("#confidential").CheckAsync();
        await tab.Page.Locator("#register-app button[type=submit]").ClickAsync();
        var clientId = (await tab.Page.Locator("#client-id").TextContentAsync())!;
        await Expect(tab.Page.Locator("#client-secret")).Not.ToBeEmptyAsync();
        await tab.AssertAccessibleAsync("apps after registration");

        var registered = await browser.Services.GetRequiredService<IApplicationClients>().FindAsync(clientId, CancellationToken.None);
        Assert.NotNull(registered);
        Assert.Equal("バス接近情報", registered.Name);
        Assert.True(registered.Confidential);
        Assert.Equal(["https://bus.example.jp/callback"], registered.RedirectUris);
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_developer_sees_only_their_own_applications_and_deletes_one()
    {
        var clients = browser.Services.GetRequiredService<IApplicationClients>();
        var account = await browser.AccountAsync("haruto", "Haruto Kato");
        await using var tab = await browser.OpenAsync("en");
        await tab.SignInAsync(account);
        await tab.GoAsync("/portal/apps");
        await Expect(tab.Page.Locator("#no-apps")).ToBeVisibleAsync();

        foreach (var (name, uri) in new[] { ("Parking map", "https://parking.example.org/cb"), ("Snow alerts", "https://snow.example.org/cb") })
        {
            await tab.Page.Locator("#app-name").FillAsync(name);
            await tab.Page.Locator("#redirect-uri").FillAsync(uri);
            await tab.Page.Locator("#register-app button[type=submit]").ClickAsync();
            await Expect(tab.Page.Locator("#client-id")).Not.ToBeEmptyAsync();
        }
        // Reopened later, the page lists both, newest first, with client id, kind and redirect URI.
        await tab.GoAsync("/portal/apps");
        var rows = tab.Page.Locator("#my-apps tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToContainTextAsync("Snow alerts");
        await Expect(rows.Nth(0)).ToContainTextAsync("https://snow.example.org/cb");
        await Expect(rows.Nth(1)).ToContainTextAsync("Parking map");
        await Expect(rows.Nth(1)).ToContainTextAsync("Public");
        var parkingId = (await rows.Nth(1).Locator("code").First.TextContentAsync())!;
        Assert.Equal("Parking map", (await clients.FindAsync(parkingId, CancellationToken.None))?.Name);
        await tab.CheckAsync("my-apps");

        // Another developer sees none of them and cannot delete them.
        var other = await browser.AccountAsync("mio", "Mio Abe");
        await using (var otherTab = await browser.OpenAsync("ja"))
        {
            await otherTab.SignInAsync(other);
            await otherTab.GoAsync("/portal/apps");
            await Expect(otherTab.Page.Locator("#no-apps")).ToBeVisibleAsync();
            var csrf = await otherTab.Page.Locator("#register-app input[name=csrf]").InputValueAsync();
            var refused = await otherTab.Page.APIRequest.PostAsync("/portal/apps/delete", new() { Form = otherTab.Page.APIRequest.CreateFormData().Set("csrf", csrf).Set("clientId", parkingId) });
            Assert.Equal(404, refused.Status);
            Assert.NotNull(await clients.FindAsync(parkingId, CancellationToken.None));
        }

        await tab.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Delete: Parking map", Exact = true }).ClickAsync();
        await Expect(tab.Page.Locator("#app-deleted")).ToContainTextAsync("Parking map");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Nth(0)).ToContainTextAsync("Snow alerts");
        Assert.Null(await clients.FindAsync(parkingId, CancellationToken.None));
        await tab.AssertAccessibleAsync("my-apps after a deletion");
        tab.AssertNoErrors();
    }
}
