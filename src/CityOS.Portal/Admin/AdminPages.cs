using System.Text;
using System.Text.Json.Nodes;
using CityOS.Portal.Explorer;
using CityOS.Portal.Http;
using CityOS.Portal.Pages;
using CityOS.Portal.Session;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using static CityOS.Portal.Pages.Html;

namespace CityOS.Portal.Admin;

/// <summary>
/// The admin console: accounts (create one, grant a role) and subscriptions with their delivery state. Every read and
/// change goes through the identity and NGSI-LD APIs with the signed-in administrator's token, so the same policies
/// decide as for an API call; every page is denied to a user who administers no tenant.
/// </summary>
public static class AdminPages
{
    private static readonly string[] Roles = ["resident", "service", "operator", "tenant-admin", "system-admin"];

    public static IEndpointRouteBuilder MapAdminPages(this IEndpointRouteBuilder routes)
    {
        var pages = routes.MapPortalGroup();
        pages.MapGet("/admin", ShowAdmin).WithName("PortalAdmin");
        pages.MapPost("/admin/accounts", CreateAccount).WithName("PortalCreateAccount");
        pages.MapPost("/admin/roles", GrantRole).WithName("PortalGrantRole");
        pages.MapGet("/admin/subscriptions", ShowSubscriptions).WithName("PortalSubscriptions");
        return routes;
    }

    /// <summary>The page of a signed-in administrator, or the answer that refuses it.</summary>
    private static async Task<(PortalPage Page, IResult? Refusal)> AdminAsync(HttpContext http)
    {
        var page = await PortalPage.ForAsync(http);
        if (page.User is null) return (page, page.SignInFirst());
        return page.User.IsAdmin ? (page, null) : (page, page.Error(StatusCodes.Status403Forbidden, page.T.Forbidden));
    }

    private static async Task<IResult> ShowAdmin(HttpContext http, SelfApi api, CancellationToken ct)
    {
        var (page, refusal) = await AdminAsync(http);
        return refusal ?? await RenderAsync(page, api, "", StatusCodes.Status200OK, ct);
    }

    private static async Task<IResult> CreateAccount(HttpContext http, SelfApi api, [FromForm] string? username, [FromForm] string? password, [FromForm] string? displayName, CancellationToken ct)
    {
        var (page, refusal) = await AdminAsync(http);
        if (refusal is not null) return refusal;
        if (!await page.FormIsValidAsync()) return page.Error(StatusCodes.Status400BadRequest, page.T.FormExpired);
        var draft = new JsonObject { ["username"] = username, ["password"] = password, ["displayName"] = displayName is { Length: > 0 } ? displayName : null };
        var answer = await api.SendAsync(page.User, HttpMethod.Post, "/identity/v1/accounts", null, draft.ToJsonString(), ct);
        return await RenderAsync(page, api, Outcome(page, answer, page.T.AccountCreated), answer.Ok ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest, ct);
    }

    private static async Task<IResult> GrantRole(HttpContext http, SelfApi api, [FromForm] string? account, [FromForm] string? tenant, [FromForm] string? role, CancellationToken ct)
    {
        var (page, refusal) = await AdminAsync(http);
        if (refusal is not null) return refusal;
        if (!await page.FormIsValidAsync()) return page.Error(StatusCodes.Status400BadRequest, page.T.FormExpired);
        var membership = new JsonObject { ["tenant"] = tenant is { Length: > 0 } ? tenant : "default", ["role"] = role };
        var answer = await api.SendAsync(page.User, HttpMethod.Post, $"/identity/v1/accounts/{Q(account)}/roles", null, membership.ToJsonString(), ct);
        return await RenderAsync(page, api, Outcome(page, answer, page.T.RoleGranted), answer.Ok ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest, ct);
    }

    private static string Outcome(PortalPage page, ApiAnswer answer, string success)
    {
        if (answer.Ok) return $"<p class=\"notice\" role=\"status\" id=\"outcome\">{E(success)}</p>";
        var detail = (answer.Json() as JsonObject)?["detail"]?.ToString() ?? answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"<p class=\"error\" role=\"alert\" id=\"outcome\">{F(page.T.BadRequest, detail)}</p>";
    }

    private static async Task<IResult> RenderAsync(PortalPage page, SelfApi api, string outcome, int status, CancellationToken ct)
    {
        var t = page.T;
        var answer = await api.SendAsync(page.User, HttpMethod.Get, "/identity/v1/accounts", null, null, ct);
        var accounts = answer.Ok && answer.Json() is JsonArray list ? list.OfType<JsonObject>().ToList() : [];
        var body = new StringBuilder($"""
            <p>{E(t.AdminIntro)}</p>
            {outcome}
            <p><a href="{PortalRoutes.AdminSubscriptions}">{E(t.Subscriptions)}</a></p>
            <h2>{E(t.Accounts)}</h2>
            <div class="table-wrap"><table id="accounts"><thead><tr><th scope="col">{E(t.Username)}</th><th scope="col">{E(t.DisplayName)}</th><th scope="col">{E(t.Roles)}</th></tr></thead><tbody>
            """);
        foreach (var account in accounts)
        {
            var roles = account["memberships"] is JsonArray memberships
                ? string.Join(", ", memberships.OfType<JsonObject>().Select(m => $"{m["role"]} ({m["tenant"]})"))
                : "";
            var disabled = account["disabled"]?.GetValue<bool>() == true ? $" <strong>{E(t.Disabled)}</strong>" : "";
            body.Append($"<tr data-username=\"{E(account["username"]?.ToString())}\"><td>{E(account["username"]?.ToString())}{disabled}</td><td>{E(account["displayName"]?.ToString())}</td><td class=\"roles\">{E(roles)}</td></tr>");
        }
        body.Append("</tbody></table></div>");
        body.Append($"""
            <h2>{E(t.CreateAccount)}</h2>
            <form method="post" action="{PortalRoutes.AdminAccounts}" class="stack" id="create-account">
            {page.CsrfField()}
            <label for="new-username">{E(t.Username)}</label><input id="new-username" name="username" type="text" required autocomplete="off">
            <label for="new-display-name">{E(t.DisplayName)}</label><input id="new-display-name" name="displayName" type="text" autocomplete="off">
            <label for="new-password">{E(t.Password)}</label><input id="new-password" name="password" type="password" required autocomplete="new-password" aria-describedby="password-hint">
            <p class="hint" id="password-hint">{E(t.PasswordHint)}</p>
            <button type="submit">{E(t.CreateAccount)}</button>
            </form>
            <h2>{E(t.GrantRole)}</h2>
            <form method="post" action="{PortalRoutes.AdminRoles}" class="stack" id="grant-role">
            {page.CsrfField()}
            <label for="role-account">{E(t.Username)}</label><select id="role-account" name="account">{string.Concat(accounts.Select(a => $"<option value=\"{E(a["id"]?.ToString())}\">{E(a["username"]?.ToString())}</option>"))}</select>
            <label for="role-tenant">{E(t.Tenant)}</label><input id="role-tenant" name="tenant" type="text" placeholder="{E(t.DefaultTenant)}">
            <label for="role-name">{E(t.Role)}</label><select id="role-name" name="role">{string.Concat(Roles.Select(r => $"<option>{r}</option>"))}</select>
            <button type="submit">{E(t.GrantRole)}</button>
            </form>
            """);
        return page.Render(t.AdminTitle, body.ToString(), status);
    }

    private static async Task<IResult> ShowSubscriptions(HttpContext http, SelfApi api, string? tenant, CancellationToken ct)
    {
        var (page, refusal) = await AdminAsync(http);
        if (refusal is not null) return refusal;
        var t = page.T;
        var answer = await api.SendAsync(page.User, HttpMethod.Get, "/ngsi-ld/v1/subscriptions?limit=100", tenant, null, ct);
        var subscriptions = answer.Ok && answer.Json() is JsonArray list ? list.OfType<JsonObject>().ToList() : [];
        var body = new StringBuilder($"""
            <p><a href="{PortalRoutes.Admin}">{E(t.AdminTitle)}</a></p>
            <form method="get" action="{PortalRoutes.AdminSubscriptions}" class="row">
            <label for="tenant">{E(t.Tenant)}<input id="tenant" name="tenant" type="text" value="{E(tenant)}" placeholder="{E(t.DefaultTenant)}"></label>
            <button type="submit">{E(t.Show)}</button>
            </form>
            """);
        if (!answer.Ok && answer.Status != StatusCodes.Status404NotFound) body.Append($"<p class=\"error\" role=\"alert\">{F(t.ResponseStatus, answer.Status)}</p>");
        if (subscriptions.Count == 0)
        {
            body.Append($"<p id=\"no-subscriptions\">{E(t.NoSubscriptions)}</p>");
            return page.Render(t.Subscriptions, body.ToString());
        }
        body.Append($"<div class=\"table-wrap\"><table id=\"subscriptions\"><thead><tr><th scope=\"col\">{E(t.EntityId)}</th><th scope=\"col\">{E(t.Description)}</th><th scope=\"col\">{E(t.Endpoint)}</th><th scope=\"col\">{E(t.Status)}</th><th scope=\"col\">{E(t.LastSuccess)}</th><th scope=\"col\">{E(t.LastFailure)}</th><th scope=\"col\">{E(t.TimesSent)}</th><th scope=\"col\">{E(t.TimesFailed)}</th></tr></thead><tbody>");
        foreach (var s in subscriptions)
        {
            var notification = s["notification"] as JsonObject;
            var failing = notification?["status"]?.ToString() == "failed";
            var state = notification?["status"] is null ? E(s["status"]?.ToString()) : failing ? E(t.Failing) : E(t.Healthy);
            body.Append($"<tr data-id=\"{E(s["id"]?.ToString())}\"><td><code>{E(s["id"]?.ToString())}</code></td><td>{E(s["description"]?.ToString())}</td><td><code>{E(notification?["endpoint"]?["uri"]?.ToString())}</code></td>"
                + $"<td class=\"state {(failing ? "status-failed" : "status-ok")}\">{state}</td><td>{E(notification?["lastSuccess"]?.ToString())}</td><td>{E(notification?["lastFailure"]?.ToString())}</td>"
                + $"<td>{E(EntityView.Text(notification?["timesSent"]))}</td><td class=\"failures\">{E(EntityView.Text(notification?["timesFailed"]))}</td></tr>");
        }
        body.Append("</tbody></table></div>");
        return page.Render(t.Subscriptions, body.ToString());
    }
}
