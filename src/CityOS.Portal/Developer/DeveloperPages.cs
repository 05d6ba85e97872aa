using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Security;
using CityOS.Portal.Http;
using CityOS.Portal.Pages;
using CityOS.Portal.Session;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using static CityOS.Portal.Pages.Html;

namespace CityOS.Portal.Developer;

/// <summary>
/// The developer portal: the API list (from /openapi/v1.json, <see cref="ApiCatalog"/>) with a search, a console that calls an API as the signed-in
/// user (the server sends the request with the user's token: the token never reaches the page's script), and the
/// registration of an application's OAuth client (<see cref="IApplicationClients"/>).
/// </summary>
public static class DeveloperPages
{
    private static readonly string[] ConsoleMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapDeveloperPages(this IEndpointRouteBuilder routes)
    {
        var pages = routes.MapPortalGroup();
        pages.MapGet("/apis", ShowApis).WithName("PortalApis");
        pages.MapGet("/apis/console", ShowConsole).WithName("PortalApiConsole");
        pages.MapPost("/apis/console", CallApi).WithName("PortalApiCall");
        pages.MapGet("/apps", ShowApps).WithName("PortalApps");
        pages.MapPost("/apps", RegisterApp).WithName("PortalRegisterApp");
        pages.MapPost("/apps/delete", DeleteApp).WithName("PortalDeleteApp");
        return routes;
    }

    private static async Task<IResult> ShowApis(HttpContext http, ApiCatalog catalog, string? q, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        var found = ApiOperations.Matching(await catalog.OperationsAsync(ct), q).ToList();
        var body = new StringBuilder($"""
            <p>{E(t.ApisIntro)}</p>
            <p><a href="{ApiReference.Path}">{E(t.OpenReference)}</a> · <a href="/openapi/v1.json">{E(t.OpenApiDocument)}</a></p>
            <form method="get" action="{PortalRoutes.Apis}" class="row" role="search">
            <label for="api-search">{E(t.FindApi)}<input id="api-search" name="q" type="text" value="{E(q)}"></label>
            <button type="submit">{E(t.Filter)}</button>
            </form>
            <p>{F(t.Operations, found.Count)}</p>
            <div class="table-wrap"><table id="operations"><thead><tr><th scope="col">{E(t.Method)}</th><th scope="col">{E(t.Path)}</th><th scope="col">{E(t.Summary)}</th><th scope="col">{E(t.Tag)}</th><th scope="col">{E(t.ApiConsole)}</th></tr></thead><tbody>
            """);
        foreach (var o in found)
        {
            body.Append($"<tr><td class=\"method\">{E(o.Method)}</td><td><code>{E(o.Path)}</code></td><td>{E(o.Summary)}</td><td>{E(o.Tag)}</td>"
                + $"<td><a href=\"{PortalRoutes.ApiConsole}?method={Q(o.Method)}&amp;path={Q(o.Path)}\" aria-label=\"{E(t.Try)}: {E(o.Method)} {E(o.Path)}\">{E(t.Try)}</a></td></tr>");
        }
        body.Append("</tbody></table></div>");
        return page.Render(t.ApisTitle, body.ToString());
    }

    private static async Task<IResult> ShowConsole(HttpContext http, string? method, string? path, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        return page.Render(page.T.ApiConsole, ConsoleForm(page, Method(method), path ?? "/", null, null));
    }

    private static async Task<IResult> CallApi(HttpContext http, SelfApi api, [FromForm] string? method, [FromForm] string? path, [FromForm] string? tenant, [FromForm] string? body, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        if (!await page.FormIsValidAsync()) return page.Error(StatusCodes.Status400BadRequest, t.FormExpired);
        var verb = Method(method);
        if (path is not { Length: > 0 } || !path.StartsWith('/') || path.StartsWith("//", StringComparison.Ordinal) || path.Any(char.IsControl))
        {
            return page.Render(t.ApiConsole, ConsoleForm(page, verb, path ?? "", tenant, body, $"<p class=\"error\" role=\"alert\">{F(t.BadRequest, t.RequestPath)}</p>"), StatusCodes.Status400BadRequest);
        }
        var answer = await api.SendAsync(page.User, new HttpMethod(verb), path, tenant, verb is "GET" or "DELETE" ? null : body, ct);
        var shown = answer.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true && answer.Json() is { } json
            ? json.ToJsonString(Indented)
            : answer.Body;
        var response = $"""
            <section aria-labelledby="response-title"><h2 id="response-title">{E(t.Response)}</h2>
            <p id="response-status" class="{(answer.Ok ? "status-ok" : "status-failed")}">{F(t.ResponseStatus, answer.Status)} <code>{E(answer.ContentType)}</code></p>
            <pre id="response-body" tabindex="0">{E(shown)}</pre></section>
            """;
        return page.Render(t.ApiConsole, ConsoleForm(page, verb, path, tenant, body, response));
    }

    private static string ConsoleForm(PortalPage page, string method, string path, string? tenant, string? body, string after = "")
    {
        var t = page.T;
        var options = string.Concat(ConsoleMethods.Select(m => $"<option{(m == method ? " selected" : "")}>{m}</option>"));
        return $"""
            <p><a href="{PortalRoutes.Apis}">{E(t.ApisTitle)}</a></p>
            <form method="post" action="{PortalRoutes.ApiConsole}" class="stack" id="console">
            {page.CsrfField()}
            <label for="method">{E(t.Method)}</label><select id="method" name="method">{options}</select>
            <label for="path">{E(t.RequestPath)}</label><input id="path" name="path" type="text" value="{E(path)}" required>
            <label for="console-tenant">{E(t.Tenant)}</label><input id="console-tenant" name="tenant" type="text" value="{E(tenant)}" placeholder="{E(t.DefaultTenant)}">
            <label for="body">{E(t.RequestBody)}</label><textarea id="body" name="body" rows="6">{E(body)}</textarea>
            <button type="submit" id="send">{E(t.Send)}</button>
            </form>
            {after}
            """;
    }

    private static string Method(string? method) =>
        ConsoleMethods.FirstOrDefault(m => string.Equals(m, method, StringComparison.OrdinalIgnoreCase)) ?? "GET";

    private static async Task<IResult> ShowApps(HttpContext http, [FromServices] IOwnedApplications owned, [FromServices] IApplicationClients clients, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        if (page.User is null) return page.SignInFirst();
        return page.Render(page.T.AppsTitle, AppForm(page, null, null, false) + await AppListAsync(page, owned, clients, ct));
    }

    private static async Task<IResult> DeleteApp(HttpContext http, [FromServices] IOwnedApplications owned, [FromServices] IApplicationClients clients, [FromForm] string? clientId, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        if (page.User is null) return page.SignInFirst();
        if (!await page.FormIsValidAsync()) return page.Error(StatusCodes.Status400BadRequest, t.FormExpired);
        // Only the user who registered an application may delete it here; any other client id is not found.
        if (clientId is not { Length: > 0 } || !await owned.OwnsAsync(page.User.Caller.Subject, clientId, ct)) return page.Error(StatusCodes.Status404NotFound, t.NotFound);
        var name = (await clients.FindAsync(clientId, ct))?.Name ?? clientId;
        await clients.DeleteAsync(clientId, ct);
        await owned.RemoveAsync(page.User.Caller.Subject, clientId, ct);
        var notice = $"<div class=\"notice\" role=\"status\"><p id=\"app-deleted\">{F(t.AppDeleted, name)}</p></div>";
        return page.Render(t.AppsTitle, notice + AppForm(page, null, null, false) + await AppListAsync(page, owned, clients, ct));
    }

    /// <summary>The applications the signed-in user registered (those still registered in the identity block).</summary>
    private static async Task<string> AppListAsync(PortalPage page, IOwnedApplications owned, IApplicationClients clients, CancellationToken ct)
    {
        var t = page.T;
        var apps = new List<ApplicationClient>();
        foreach (var id in await owned.ListAsync(page.User!.Caller.Subject, ct))
        {
            if (await clients.FindAsync(id, ct) is { } client) apps.Add(client);
        }
        var list = new StringBuilder($"<section aria-labelledby=\"my-apps-title\"><h2 id=\"my-apps-title\">{E(t.YourApps)}</h2>");
        if (apps.Count == 0) return list.Append($"<p id=\"no-apps\">{E(t.NoApps)}</p></section>").ToString();
        list.Append($"<div class=\"table-wrap\"><table id=\"my-apps\"><thead><tr><th scope=\"col\">{E(t.AppName)}</th><th scope=\"col\">{E(t.ClientId)}</th>"
            + $"<th scope=\"col\">{E(t.Kind)}</th><th scope=\"col\">{E(t.RedirectUri)}</th><th scope=\"col\">{E(t.Created)}</th><th scope=\"col\">{E(t.Actions)}</th></tr></thead><tbody>");
        foreach (var app in apps)
        {
            list.Append($"<tr><td>{E(app.Name)}</td><td><code>{E(app.ClientId)}</code></td><td>{E(app.Confidential ? t.ConfidentialClient : t.PublicClient)}</td>"
                + $"<td>{string.Join("<br>", app.RedirectUris.Select(u => $"<code>{E(u)}</code>"))}</td>"
                + $"<td><time datetime=\"{E(app.Created.ToString("O", CultureInfo.InvariantCulture))}\">{E(app.Created.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture))}</time></td>"
                + $"<td><form method=\"post\" action=\"{PortalRoutes.Apps}/delete\">{page.CsrfField()}<input type=\"hidden\" name=\"clientId\" value=\"{E(app.ClientId)}\">"
                + $"<button type=\"submit\" aria-label=\"{E(t.DeleteApp)}: {E(app.Name)}\">{E(t.DeleteApp)}</button></form></td></tr>");
        }
        return list.Append("</tbody></table></div></section>").ToString();
    }

    private static async Task<IResult> RegisterApp(HttpContext http, [FromServices] IOwnedApplications owned, [FromServices] IApplicationClients clients, [FromForm] string? name, [FromForm] string? redirectUri, [FromForm] string? confidential, CancellationToken ct)
    {
        var page = await PortalPage.ForAsync(http);
        var t = page.T;
        if (page.User is null) return page.SignInFirst();
        if (!await page.FormIsValidAsync()) return page.Error(StatusCodes.Status400BadRequest, t.FormExpired);
        var isConfidential = confidential is "on" or "true";
        RegisteredApplicationClient registered;
        try
        {
            if (name is not { Length: > 0 } || redirectUri is not { Length: > 0 }) throw NgsiLdException.BadRequest($"{t.AppName}, {t.RedirectUri}");
            registered = await clients.RegisterAsync(new ApplicationClientDraft(null, name, [redirectUri], [], isConfidential), ct);
        }
        catch (NgsiLdException e)
        {
            return page.Render(t.AppsTitle, $"<p class=\"error\" role=\"alert\">{F(t.BadRequest, e.Message)}</p>" + AppForm(page, name, redirectUri, isConfidential)
                + await AppListAsync(page, owned, clients, ct), StatusCodes.Status400BadRequest);
        }
        await owned.AddAsync(page.User.Caller.Subject, registered.Client.ClientId, ct);
        var secret = registered.Secret is { } s
            ? $"<dt>{E(t.ClientSecret)}</dt><dd><code id=\"client-secret\">{E(s)}</code></dd>"
            : "";
        var notice = $"""
            <div class="notice" role="status"><h2>{E(t.AppRegistered)}</h2>
            <dl><dt>{E(t.AppName)}</dt><dd>{E(registered.Client.Name)}</dd><dt>{E(t.ClientId)}</dt><dd><code id="client-id">{E(registered.Client.ClientId)}</code></dd>
            <dt>{E(t.Kind)}</dt><dd>{E(registered.Client.Confidential ? t.ConfidentialClient : t.PublicClient)}</dd>{secret}
            <dt>{E(t.RedirectUri)}</dt><dd><code>{E(string.Join(" ", registered.Client.RedirectUris))}</code></dd></dl>
            {(registered.Secret is null ? "" : $"<p>{E(t.SecretOnce)}</p>")}</div>
            """;
        return page.Render(t.AppsTitle, notice + AppForm(page, null, null, false) + await AppListAsync(page, owned, clients, ct));
    }

    private static string AppForm(PortalPage page, string? name, string? redirectUri, bool confidential)
    {
        var t = page.T;
        return $"""
            <p>{E(t.AppsIntro)}</p>
            <h2>{E(t.RegisterApp)}</h2>
            <form method="post" action="{PortalRoutes.Apps}" class="stack" id="register-app">
            {page.CsrfField()}
            <label for="app-name">{E(t.AppName)}</label><input id="app-name" name="name" type="text" value="{E(name)}" required>
            <label for="redirect-uri">{E(t.RedirectUri)}</label><input id="redirect-uri" name="redirectUri" type="url" value="{E(redirectUri)}" required aria-describedby="redirect-hint">
            <p class="hint" id="redirect-hint">{E(t.RedirectUriHint)}</p>
            <label class="check"><input type="checkbox" name="confidential" id="confidential"{(confidential ? " checked" : "")}> {E(t.AppConfidential)}</label>
            <button type="submit">{E(t.Register)}</button>
            </form>
            """;
    }
}
