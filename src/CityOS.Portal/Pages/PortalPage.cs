using CityOS.Core.Http;
using System.Text;
using CityOS.Portal.Session;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static CityOS.Portal.Pages.Html;

namespace CityOS.Portal.Pages;

/// <summary>One page being answered: its language, its signed-in user (or none), and the layout every page shares.</summary>
public sealed class PortalPage
{
    private PortalPage(HttpContext http, PortalText text, PortalUser? user)
    {
        Http = http;
        T = text;
        User = user;
    }

    public HttpContext Http { get; }
    public PortalText T { get; }
    public PortalUser? User { get; }

    /// <summary>The address of this page, as a return address.</summary>
    public string Here => Http.Request.Path + Http.Request.QueryString;

    public static async Task<PortalPage> ForAsync(HttpContext http) => new(http, PortalLanguage.Of(http.Request), await PortalUser.OfAsync(http));

    /// <summary>The hidden field of a form that changes something (antiforgery token, checked by <see cref="FormIsValidAsync"/>).</summary>
    public string CsrfField()
    {
        var tokens = Http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(Http);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    public Task<bool> FormIsValidAsync() => Http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(Http);

    /// <summary>To the provider's sign-in, and back to this page.</summary>
    public IResult SignInFirst() => Results.Redirect(PortalRoutes.SignInFor(Here));

    public IResult Error(int status, string message) =>
        Render(T.ErrorTitle, $"<p class=\"error\" role=\"alert\">{E(message)}</p>", status: status);

    /// <param name="scripts">Scripts of /portal/assets the page needs (none for most pages).</param>
    public IResult Render(string title, string body, int status = 200, params string[] scripts)
    {
        var html = new StringBuilder(4096 + body.Length);
        html.Append($"""
            <!DOCTYPE html>
            <html lang="{T.Lang}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} — {E(T.SiteName)}</title>
            <link rel="icon" href="{PortalRoutes.Assets}favicon.svg" type="image/svg+xml">
            <link rel="stylesheet" href="{PortalRoutes.Assets}portal.css">
            {string.Concat(scripts.Select(s => $"<script src=\"{PortalRoutes.Assets}{E(s)}\" defer></script>"))}
            </head>
            <body>
            <a class="skip" href="#main">{E(T.SkipToContent)}</a>
            <header class="site">
            <a class="brand" href="{PortalRoutes.Home}">{E(T.SiteName)}</a>
            <nav aria-label="{E(T.MainNavigation)}"><ul>
            """);
        NavItem(html, PortalRoutes.Home, T.Home, exact: true);
        NavItem(html, PortalRoutes.Apis, T.Apis);
        NavItem(html, PortalRoutes.Apps, T.Applications);
        NavItem(html, PortalRoutes.Explorer, T.Explorer);
        if (User?.IsAdmin == true) NavItem(html, PortalRoutes.Admin, T.Admin);
        html.Append("</ul></nav>\n<div class=\"session\">");
        html.Append($"<nav aria-label=\"{E(T.LanguageSwitch)}\" class=\"languages\"><ul>");
        foreach (var language in PortalText.All)
        {
            html.Append(language == T
                ? $"<li><span aria-current=\"true\" lang=\"{language.Lang}\">{E(language.LanguageName)}</span></li>"
                : $"<li><a href=\"{E(PortalRoutes.Language(language.Lang, Here))}\" lang=\"{language.Lang}\" hreflang=\"{language.Lang}\" id=\"lang-{language.Lang}\">{E(language.LanguageName)}</a></li>");
        }
        html.Append("</ul></nav>");
        if (User is null)
        {
            html.Append($"<a class=\"button\" id=\"sign-in\" href=\"{E(PortalRoutes.SignInFor(Here))}\">{E(T.SignIn)}</a>");
        }
        else
        {
            html.Append($"""
                <span id="user">{F(T.SignedInAs, User.Name)}</span>
                <form method="post" action="{PortalRoutes.SignOut}" class="inline">{CsrfField()}<button type="submit" id="sign-out">{E(T.SignOut)}</button></form>
                """);
        }
        html.Append($"""
            </div>
            </header>
            <main id="main">
            <h1>{E(title)}</h1>
            {body}
            </main>
            <footer class="site"><p>{E(T.Footer)}</p></footer>
            </body>
            </html>
            """);
        return new HtmlPageResult(html.ToString(), status, PortalHeaders.ContentSecurityPolicy, "same-origin");
    }

    private void NavItem(StringBuilder html, string href, string label, bool exact = false)
    {
        var path = Http.Request.Path.Value ?? "";
        var current = exact ? path == href || path + "/" == href : path.StartsWith(href, StringComparison.Ordinal);
        html.Append(current ? $"<li><a href=\"{href}\" aria-current=\"page\">{E(label)}</a></li>" : $"<li><a href=\"{href}\">{E(label)}</a></li>");
    }
}

public static class PortalHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
}
