using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace CityOS.Portal.Tests.Browser;

/// <summary>
/// One browser window on the portal. It records every error the page's console or scripts report, and
/// <see cref="CheckAsync"/> runs axe-core on the page and saves its screenshot in both languages
/// (TestResults/screenshots/{name}.{lang}.png of the test project, the run's artefacts).
/// </summary>
public sealed class PortalTab : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly Uri _base;
    private readonly List<string> _errors = [];

    public PortalTab(IBrowserContext context, IPage page, Uri baseAddress)
    {
        _context = context;
        _base = baseAddress;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (_errors) _errors.Add($"{page.Url}: console: {message.Text}");
        };
        page.PageError += (_, error) =>
        {
            lock (_errors) _errors.Add($"{page.Url}: script: {error}");
        };
    }

    public IPage Page { get; }

    public static string ScreenshotDirectory { get; } = Path.Combine(NodeTool.TestProjectDirectory, "TestResults", "screenshots");

    public async Task GoAsync(string path)
    {
        var response = await Page.GotoAsync(path);
        Assert.NotNull(response);
        Assert.True(response.Ok, $"{path}: {response.Status}");
    }

    /// <summary>The language the page is shown in (its html lang).</summary>
    public Task<string?> LangAsync() => Page.Locator("html").GetAttributeAsync("lang");

    /// <summary>
    /// Checks the page as it is now in Japanese and in English: no axe-core violation, no console error; saves both
    /// screenshots. The page is left in the language it had.
    /// </summary>
    public async Task CheckAsync(string name)
    {
        var original = await LangAsync() ?? "ja";
        foreach (var lang in new[] { original, original == "ja" ? "en" : "ja" })
        {
            if (lang != await LangAsync()) await ShowInAsync(lang);
            await AssertAccessibleAsync($"{name} ({lang})");
            Directory.CreateDirectory(ScreenshotDirectory);
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, $"{name}.{lang}.png"), FullPage = true });
        }
        await ShowInAsync(original);
        AssertNoErrors();
    }

    /// <summary>Shows the same page in <paramref name="lang"/> (the language cookie the switch sets, then a reload).</summary>
    private async Task ShowInAsync(string lang)
    {
        await _context.AddCookiesAsync([new Cookie { Name = "cityos_lang", Value = lang, Url = _base.ToString() }]);
        await Page.ReloadAsync();
        Assert.Equal(lang, await LangAsync());
    }

    public async Task AssertAccessibleAsync(string what)
    {
        var result = await Page.RunAxe();
        var violations = result.Violations.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}").ToList();
        Assert.True(violations.Count == 0, $"axe-core on {what}:\n" + string.Join("\n", violations));
    }

    public void AssertNoErrors()
    {
        lock (_errors) Assert.True(_errors.Count == 0, "Browser console errors:\n" + string.Join("\n", _errors));
    }

    /// <summary>Signs in through the identity provider's form (the portal's OpenID Connect code flow with PKCE).</summary>
    public async Task SignInAsync((string Username, string Password) account)
    {
        await Page.Locator("#sign-in").ClickAsync();
        await Page.WaitForURLAsync(u => u.Contains("/identity/", StringComparison.Ordinal));
        await Page.Locator("input[name=username]").FillAsync(account.Username);
        await Page.Locator("input[name=password]").FillAsync(account.Password);
        await Page.Locator("button[type=submit]").ClickAsync();
        await Page.WaitForURLAsync(u => new Uri(u).AbsolutePath.StartsWith("/portal/", StringComparison.Ordinal) && !u.Contains("signin-oidc", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
    }
}
