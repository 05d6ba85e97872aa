using System.Text.Json.Nodes;
using CityOS.Identity.Model;
using CityOS.Portal.Explorer;
using static Microsoft.Playwright.Assertions;

namespace CityOS.Portal.Tests.Browser;

/// <summary>Staff in Chromium browse a tenant's data: types, entities, an entity with its history chart, map and live value.</summary>
public class ExplorerTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    private const string Tenant = "explorer-town";
    private const string Station = "urn:ngsi-ld:WeatherObserved:shibuya";

    [Fact]
    public async Task An_operator_browses_types_and_entities_and_watches_a_value_change_live()
    {
        await CreateAsync(Entity(Station, 35.6595, 139.7005, 20.5, """, "refPointOfInterest": {"type": "Relationship", "object": "urn:ngsi-ld:WeatherObserved:ebisu"}"""));
        await CreateAsync(Entity("urn:ngsi-ld:WeatherObserved:ebisu", 35.6467, 139.7101, 19.0, ""));
        await UpdateTemperatureAsync(21.25);
        await UpdateTemperatureAsync(22.75);
        var account = await browser.AccountAsync("taro", "Taro Suzuki", new TenantMembership(Tenant, BuiltInRoles.Operator));

        await using var tab = await browser.OpenAsync("en");
        await tab.SignInAsync(account);
        await tab.GoAsync($"/portal/explore?tenant={Tenant}");
        await Expect(tab.Page.Locator("#types a")).ToHaveTextAsync("WeatherObserved");
        await Expect(tab.Page.Locator("#types li")).ToContainTextAsync("2 entities");
        await tab.CheckAsync("explorer");

        await tab.Page.Locator("#types a", new() { HasText = "WeatherObserved" }).ClickAsync();
        await Expect(tab.Page.Locator("#entities tbody tr")).ToHaveCountAsync(2);
        await tab.CheckAsync("entities");
        await tab.Page.Locator("#q").FillAsync("temperature>20");
        await tab.Page.Locator("main button[type=submit]").ClickAsync();
        await Expect(tab.Page.Locator("#entities tbody tr")).ToHaveCountAsync(1);

        await tab.Page.Locator("#entities a", new() { HasText = Station }).ClickAsync();
        await Expect(tab.Page.Locator("h1")).ToHaveTextAsync(Station);
        await Expect(tab.Page.Locator("tr[data-attr=temperature] td.value")).ToHaveTextAsync("22.75");
        await Expect(tab.Page.Locator("#relationships a")).ToHaveTextAsync("urn:ngsi-ld:WeatherObserved:ebisu");
        await Expect(tab.Page.Locator("figure.history[data-attr=temperature] circle.point")).ToHaveCountAsync(3);
        await Expect(tab.Page.Locator("#map-svg circle.marker")).ToHaveCountAsync(1);
        await Expect(tab.Page.Locator("#map-svg circle.neighbour")).ToHaveCountAsync(1);
        await Expect(tab.Page.Locator("#map figcaption")).ToContainTextAsync("35.6595, 139.7005");
        await tab.CheckAsync("entity");

        await Expect(tab.Page.Locator("#live")).ToHaveAttributeAsync("data-state", "on");
        await UpdateTemperatureAsync(31.5);
        await Expect(tab.Page.Locator("tr[data-attr=temperature] td.value")).ToHaveTextAsync("31.5");
        await Expect(tab.Page.Locator("tr[data-attr=temperature] td.value")).ToHaveClassAsync("value changed");

        await tab.Page.Locator("#relationships a").ClickAsync();
        await Expect(tab.Page.Locator("h1")).ToHaveTextAsync("urn:ngsi-ld:WeatherObserved:ebisu");
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task An_operator_pages_through_more_entities_than_fit_on_one_page()
    {
        const string tenant = "paging-town";
        var total = 2 * ExplorerPages.PageSize + 1;
        for (var i = 1; i <= total; i++)
        {
            await CreateAsync($$$"""{"id": "urn:ngsi-ld:ParkingSpot:{{{i:00}}}", "type": "ParkingSpot", "status": {"type": "Property", "value": "free"}}""", tenant);
        }
        var account = await browser.AccountAsync("saburo", "Saburo", new TenantMembership(tenant, BuiltInRoles.Operator));
        await using var tab = await browser.OpenAsync("en");
        await tab.SignInAsync(account);
        await tab.GoAsync($"/portal/explore/entities?tenant={tenant}&type=ParkingSpot");
        var rows = tab.Page.Locator("#entities tbody tr");
        var ids = tab.Page.Locator("#entities tbody td:first-child a");
        await Expect(rows).ToHaveCountAsync(ExplorerPages.PageSize);
        await Expect(tab.Page.Locator("#range")).ToHaveTextAsync($"1–{ExplorerPages.PageSize} of {total}");
        await Expect(tab.Page.Locator("a[rel=prev]")).ToHaveCountAsync(0);
        var firstPage = await ids.AllTextContentsAsync();

        await tab.Page.Locator("a[rel=next]").ClickAsync();
        await Expect(tab.Page.Locator("#range")).ToHaveTextAsync($"{ExplorerPages.PageSize + 1}–{2 * ExplorerPages.PageSize} of {total}");
        var secondPage = await ids.AllTextContentsAsync();
        Assert.Empty(secondPage.Intersect(firstPage));

        await tab.Page.Locator("a[rel=next]").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(tab.Page.Locator("#range")).ToHaveTextAsync($"{total}–{total} of {total}");
        await Expect(tab.Page.Locator("a[rel=next]")).ToHaveCountAsync(0);
        Assert.DoesNotContain(await ids.TextContentAsync(), firstPage.Concat(secondPage));

        // Back through the same pages, then to the first.
        await tab.Page.Locator("a[rel=prev]").ClickAsync();
        await Expect(tab.Page.Locator("#range")).ToHaveTextAsync($"{ExplorerPages.PageSize + 1}–{2 * ExplorerPages.PageSize} of {total}");
        Assert.Equal(secondPage, await ids.AllTextContentsAsync());
        await tab.Page.Locator("a[rel=prev]").ClickAsync();
        await Expect(tab.Page.Locator("#range")).ToHaveTextAsync($"1–{ExplorerPages.PageSize} of {total}");
        Assert.Equal(firstPage, await ids.AllTextContentsAsync());
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_person_without_a_role_in_the_tenant_does_not_see_its_entities()
    {
        await CreateAsync(Entity("urn:ngsi-ld:WeatherObserved:private", 35.0, 139.0, 10, ""), "closed-town");
        var account = await browser.AccountAsync("jiro", "Jiro", new TenantMembership(Tenant, BuiltInRoles.Operator));
        await using var tab = await browser.OpenAsync("en");
        await tab.SignInAsync(account);
        var types = await tab.Page.GotoAsync("/portal/explore?tenant=closed-town");
        Assert.Equal(403, types!.Status);
        await Expect(tab.Page.Locator("#types a")).ToHaveCountAsync(0);
        await Expect(tab.Page.Locator("[role=alert]")).ToBeVisibleAsync();
        var response = await tab.Page.GotoAsync("/portal/explore/entity?tenant=closed-town&id=urn:ngsi-ld:WeatherObserved:private");
        Assert.NotEqual(200, response!.Status);
        await Expect(tab.Page.Locator("[role=alert]")).ToBeVisibleAsync();
    }

    private static string Entity(string id, double lat, double lon, double temperature, string more) => $$$"""
        {"id": "{{{id}}}", "type": "WeatherObserved",
         "temperature": {"type": "Property", "value": {{{temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}, "observedAt": "2026-12-03T09:00:00Z"},
         "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [{{{lon.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}, {{{lat.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}]}}{{{more}}}
        }
        """;

    private async Task CreateAsync(string entity, string tenant = Tenant)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entities") { Content = new StringContent(entity, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("NGSILD-Tenant", tenant);
        var response = await browser.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static int _minute;

    private async Task UpdateTemperatureAsync(double value)
    {
        var at = $"2026-12-03T09:{Interlocked.Increment(ref _minute):00}:00Z";
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{Station}/attrs")
        {
            Content = new StringContent(new JsonObject { ["temperature"] = new JsonObject { ["type"] = "Property", ["value"] = value, ["observedAt"] = at } }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("NGSILD-Tenant", Tenant);
        var response = await browser.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
