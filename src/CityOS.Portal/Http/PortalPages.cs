using CityOS.Core.Http;
using CityOS.Portal.Pages;
using CityOS.Portal.Session;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static CityOS.Portal.Pages.Html;

namespace CityOS.Portal.Http;

/// <summary>
/// The portal's frame: the home page, the language switch, sign-in and sign-out, and its own static files. Pages are not
/// API: they are left out of the OpenAPI description on purpose.
/// </summary>
public static class PortalPages
{
    public static RouteGroupBuilder MapPortalGroup(this IEndpointRouteBuilder routes) =>
        routes.MapGroup(PortalRoutes.Base).ExcludeFromDescription().WithSurface(ApiSurface.Html).DisableAntiforgery().WithTags("Portal pages");

    public static IEndpointRouteBuilder MapPortalPages(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", ToHome).ExcludeFromDescription().WithName("PortalRoot");
        var pages = routes.MapPortalGroup();
        pages.MapGet("/", ShowHome).WithName("PortalHome");
        pages.MapGet("/lang/{lang}", SwitchLanguage).WithName("PortalLanguage");
        pages.MapGet("/signin", SignIn).WithName("PortalSignIn");
        pages.MapPost("/signout", SignOut).WithName("PortalSignOut");
        pages.MapGet("/assets/{name}", PortalAssets.Serve).WithName("PortalAssets");
        return routes;
    }

    private static IResult ToHome(CancellationToken ct) => Results.Redirect(PortalRoutes.Home);

    private static async Task<IResult> ShowHome(HttpContext context, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(context);
        var t = page.T;
        var admin = page.User?.IsAdmin == true
            ? $"""<li><h2><a href="{PortalRoutes.Admin}">{E(t.Admin)}</a></h2><p>{E(t.HomeAdmin)}</p></li>"""
            : "";
        var hint = page.User is null ? $"<p>{E(t.HomeSignInHint)}</p>" : "";
        return page.Render(t.HomeTitle, $"""
            <p class="lead">{E(t.HomeIntro)}</p>
            {hint}
            <ul class="cards">
            <li><h2><a href="{PortalRoutes.Apis}">{E(t.Apis)}</a></h2><p>{E(t.HomeApis)}</p></li>
            <li><h2><a href="{PortalRoutes.Explorer}">{E(t.Explorer)}</a></h2><p>{E(t.HomeExplorer)}</p></li>
            {admin}
            </ul>
            """);
    }

    private static IResult SwitchLanguage(HttpContext context, string lang, string? @return, CancellationToken ct)
    {
        var text = PortalLanguage.Find(lang);
        if (text is null) return Results.Redirect(PortalRoutes.Home);
        PortalLanguage.Remember(context, text);
        return Results.Redirect(PortalRoutes.IsLocalPage(@return) ? @return! : PortalRoutes.Home);
    }

    private static async Task<IResult> SignIn(HttpContext context, PortalClient client, string? @return, CancellationToken ct)
    {
        await client.EnsureAsync(ct);
        var back = PortalRoutes.IsLocalPage(@return) ? @return! : PortalRoutes.Home;
        return Results.Challenge(new AuthenticationProperties { RedirectUri = back }, [PortalAuthentication.OidcScheme]);
    }

    private static async Task<IResult> SignOut(HttpContext context, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(context);
        if (!await page.FormIsValidAsync()) return page.Error(StatusCodes.Status400BadRequest, page.T.FormExpired);
        if ((await context.AuthenticateAsync(PortalAuthentication.CookieScheme)).Succeeded)
        {
            // The provider's session ends too (RP-initiated logout with the ID token as hint), then it sends the browser home.
            await context.SignOutAsync(PortalAuthentication.OidcScheme, new AuthenticationProperties { RedirectUri = PortalRoutes.Home });
            await context.SignOutAsync(PortalAuthentication.CookieScheme);
            return Results.Empty;
        }
        return Results.Redirect(PortalRoutes.Home);
    }
}
