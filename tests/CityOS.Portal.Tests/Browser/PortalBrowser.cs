using CityOS.Identity.Model;
using CityOS.Identity.Services;
using Microsoft.Playwright;

namespace CityOS.Portal.Tests.Browser;

/// <summary>
/// The real cityos host with security on, and Debian's Chromium (/usr/bin/chromium) driven by Playwright: a person's
/// browser opening the portal. Each test opens its own browser context (cookies of its own) through <see cref="OpenAsync"/>.
/// </summary>
public sealed class PortalBrowser : PortalHost
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    protected override bool SecurityOn => true;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public override async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>A new browser window (its own cookies) preferring <paramref name="acceptLanguage"/>, on the portal's home page.</summary>
    public async Task<PortalTab> OpenAsync(string acceptLanguage = "ja")
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString().TrimEnd('/'),
            Locale = acceptLanguage,
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Language"] = acceptLanguage },
            ViewportSize = new ViewportSize { Width = 1200, Height = 900 },
        });
        var tab = new PortalTab(context, await context.NewPageAsync(), BaseAddress);
        await tab.GoAsync("/portal/");
        return tab;
    }

    /// <summary>An account (a person who signs in with a password) holding <paramref name="memberships"/>.</summary>
    public async Task<(string Username, string Password)> AccountAsync(string username, string displayName, params TenantMembership[] memberships)
    {
        const string password = "Portal-test-password-42";
        await Services.GetRequiredService<AccountManager>().CreateAsync(new AccountDraft
        {
            Username = username,
            Password = password,
            DisplayName = displayName,
            Memberships = [.. memberships],
        }, CancellationToken.None);
        return (username, password);
    }
}
