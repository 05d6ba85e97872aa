using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityOS.Portal.Tests.Browser;

/// <summary>A person in Chromium: signs in through CityOS's own OpenID Connect provider, sees their name, signs out, switches language.</summary>
public class SignInTests(PortalBrowser browser) : IClassFixture<PortalBrowser>
{
    [Fact]
    public async Task A_person_signs_in_sees_their_name_and_signs_out()
    {
        var account = await browser.AccountAsync("hanako", "山田 花子");
        await using var tab = await browser.OpenAsync("ja");
        await tab.CheckAsync("home");
        await Expect(tab.Page.Locator("#user")).ToHaveCountAsync(0);

        await tab.SignInAsync(account);
        await Expect(tab.Page.Locator("#user")).ToContainTextAsync("山田 花子");
        await tab.CheckAsync("home-signed-in");

        await tab.Page.Locator("#sign-out").ClickAsync();
        await tab.Page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/portal/");
        await Expect(tab.Page.Locator("#sign-in")).ToBeVisibleAsync();
        await Expect(tab.Page.Locator("#user")).ToHaveCountAsync(0);
        await tab.GoAsync("/portal/");
        await Expect(tab.Page.Locator("#user")).ToHaveCountAsync(0);
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task The_language_switch_changes_the_page_and_is_remembered()
    {
        await using var tab = await browser.OpenAsync("ja");
        await Expect(tab.Page.Locator("h1")).ToHaveTextAsync("CityOS へようこそ");
        await tab.Page.Locator("#lang-en").ClickAsync();
        await Expect(tab.Page.Locator("h1")).ToHaveTextAsync("Welcome to CityOS");
        Assert.Equal("en", await tab.LangAsync());
        await tab.GoAsync("/portal/");
        await Expect(tab.Page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await tab.Page.Locator("#lang-ja").ClickAsync();
        await Expect(tab.Page.Locator("h1")).ToHaveTextAsync("CityOS へようこそ");
        tab.AssertNoErrors();
    }
}
