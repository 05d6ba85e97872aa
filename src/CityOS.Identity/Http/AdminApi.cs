using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Services;
using CityOS.Identity.Storage;
using CityOS.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Identity.Http;

/// <summary>
/// Administration of accounts, roles, policies and clients (AU-5, AU-6, AU-7) under /identity/v1.
/// Every call needs a bearer token of a system-admin, or of a tenant-admin for its own tenants.
/// Errors are RFC 9457 problem details.
/// </summary>
public static class AdminApi
{
    private const long MaxBody = 64 * 1024;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/identity/v1").WithTags("Identity administration").DisableAntiforgery()
            .WithSurface(ApiSurface.Json).RequireAuthorization(CallerAuthentication.AccountPolicy);
        api.MapGet("/accounts", ListAccounts).WithName("ListAccounts").WithSummary("Accounts the caller administers.");
        api.MapPost("/accounts", CreateAccount).WithName("CreateAccount").WithSummary("Creates an account.");
        api.MapGet("/accounts/{id}", GetAccount).WithName("GetAccount").WithSummary("One account.");
        api.MapPatch("/accounts/{id}", UpdateAccount).WithName("UpdateAccount").WithSummary("Changes name, organisation, email, locale or memberships.");
        api.MapPut("/accounts/{id}/password", SetPassword).WithName("SetAccountPassword").WithSummary("Administrator password reset; lifts a lock-out and signs the account out everywhere.")
            .RequireRateLimiting(IdentityRateLimits.Token);
        api.MapPost("/accounts/{id}/disable", Disable).WithName("DisableAccount").WithSummary("Disables sign-in and the account's tokens.");
        api.MapPost("/accounts/{id}/enable", Enable).WithName("EnableAccount").WithSummary("Enables a disabled account.");
        api.MapPost("/accounts/{id}/sign-out", SignOutEverywhere).WithName("SignOutEverywhere").WithSummary("Ends every session and revokes every token of the account.");
        api.MapDelete("/accounts/{id}/mfa", ResetMfa).WithName("ResetMfa").WithSummary("Removes the second factor and signs the account out everywhere.");
        api.MapDelete("/accounts/{id}", DeleteAccount).WithName("DeleteAccount").WithSummary("Deletes an account.");
        api.MapPost("/accounts/{id}/roles", GrantRole).WithName("GrantRole").WithSummary("Grants a role in a tenant.");
        api.MapDelete("/accounts/{id}/roles/{tenant}/{role}", RevokeRole).WithName("RevokeRole").WithSummary("Takes a role in a tenant away.");
        api.MapGet("/tenants/{tenant}/roles", ListRoles).WithName("ListRoles").WithSummary("Built-in and custom roles of a tenant.");
        api.MapPost("/tenants/{tenant}/roles", CreateRole).WithName("CreateRole").WithSummary("Creates a custom role.");
        api.MapDelete("/tenants/{tenant}/roles/{name}", DeleteRole).WithName("DeleteRole").WithSummary("Deletes a custom role.");
        api.MapGet("/policies", ListPolicies).Produces<Policy[]>().WithName("ListPolicies").WithSummary("Access policies of the caller's tenants.");
        api.MapPost("/policies", SavePolicy).Produces<Policy>(StatusCodes.Status201Created).WithName("SavePolicy").WithSummary("Creates or replaces an access policy.");
        api.MapDelete("/policies/{id}", DeletePolicy).WithName("DeletePolicy").WithSummary("Deletes an access policy.");
        api.MapGet("/clients", ListClients).WithName("ListClients").WithSummary("Registered OAuth clients (system-admin).");
        api.MapPost("/clients", RegisterClient).WithName("RegisterClient").WithSummary("Registers an OAuth client; returns its secret once (system-admin).");
        api.MapDelete("/clients/{id}", DeleteClient).WithName("DeleteClient").WithSummary("Removes an OAuth client (system-admin).");
        return app;
    }

    private static async Task<Ok<JsonArray>> ListAccounts(HttpRequest request, IIdentityStore store, CancellationToken ct)
    {
        var admin = Admin(request);
        var accounts = await store.ListAccountsAsync(ct);
        return TypedResults.Ok(new JsonArray(accounts.Where(admin.CanRead).Select(a => (JsonNode)View(a, request)).ToArray()));
    }

    private static async Task<Created<JsonObject>> CreateAccount(HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        var admin = Admin(request);
        var draft = await BodyAsync<AccountDraft>(request, ct);
        if (!admin.IsSystemAdmin && (draft.Memberships is not { Count: > 0 } || !draft.Memberships.All(m => admin.AdministersTenant(m.Tenant))))
        {
            throw Forbidden("A tenant-admin creates accounts with memberships in its own tenants only.");
        }
        var account = await accounts.CreateAsync(draft, ct);
        return TypedResults.Created($"/identity/v1/accounts/{account.Id}", View(account, request));
    }

    private static async Task<Ok<JsonObject>> GetAccount(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        var admin = Admin(request);
        var account = await accounts.GetAsync(id, ct);
        if (!admin.CanRead(account)) throw NgsiLdException.NotFound($"No account '{id}'.");
        return TypedResults.Ok(View(account, request));
    }

    private static async Task<Ok<JsonObject>> UpdateAccount(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        var admin = await ManagedAsync(id, request, accounts, ct);
        var draft = await BodyAsync<AccountDraft>(request, ct);
        if (draft.Memberships is not null && !admin.IsSystemAdmin && !draft.Memberships.All(m => admin.AdministersTenant(m.Tenant)))
        {
            throw Forbidden("A tenant-admin grants roles in its own tenants only.");
        }
        return TypedResults.Ok(View(await accounts.UpdateAsync(id, draft, ct), request));
    }

    private static async Task<NoContent> SetPassword(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        await ManagedAsync(id, request, accounts, ct);
        var body = await BodyAsync<PasswordBody>(request, ct);
        await accounts.SetPasswordAsync(id, body.Password ?? throw NgsiLdException.BadRequest("password is required."), ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> Disable(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        await ManagedAsync(id, request, accounts, ct);
        await accounts.SetDisabledAsync(id, true, ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> Enable(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        await ManagedAsync(id, request, accounts, ct);
        await accounts.SetDisabledAsync(id, false, ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> SignOutEverywhere(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        await ManagedAsync(id, request, accounts, ct);
        await accounts.SignOutEverywhereAsync(id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> ResetMfa(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        await ManagedAsync(id, request, accounts, ct);
        await accounts.ResetMfaAsync(id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> DeleteAccount(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        await ManagedAsync(id, request, accounts, ct);
        await accounts.DeleteAsync(id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<JsonObject>> GrantRole(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        var admin = Admin(request);
        var membership = await BodyAsync<TenantMembership>(request, ct);
        if (!admin.AdministersTenant(membership.Tenant)) throw Forbidden($"The caller does not administer tenant '{membership.Tenant}'.");
        var account = await accounts.GetAsync(id, ct);
        // A tenant-admin may not pull another tenant's user (or a system-admin) into its tenants: it would then read and manage them.
        if (!admin.CanRead(account)) throw NgsiLdException.NotFound($"No account '{id}'.");
        if (!admin.CanManage(account)) throw Forbidden("The account is also a member of tenants the caller does not administer.");
        return TypedResults.Ok(View(await accounts.GrantRoleAsync(id, membership, ct), request));
    }

    private static async Task<Ok<JsonObject>> RevokeRole(string id, string tenant, string role, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        var admin = Admin(request);
        if (!admin.AdministersTenant(tenant)) throw Forbidden($"The caller does not administer tenant '{tenant}'.");
        return TypedResults.Ok(View(await accounts.RevokeRoleAsync(id, new TenantMembership(tenant, role), ct), request));
    }

    private static async Task<Ok<JsonArray>> ListRoles(string tenant, HttpRequest request, IIdentityStore store, CancellationToken ct)
    {
        var admin = Admin(request);
        if (!admin.AdministersTenant(tenant)) throw Forbidden($"The caller does not administer tenant '{tenant}'.");
        var custom = await store.ListRolesAsync(tenant, ct);
        var roles = BuiltInRoles.All.Select(r => new JsonObject { ["name"] = r, ["builtIn"] = true })
            .Concat(custom.Select(r => new JsonObject { ["name"] = r.Name, ["description"] = r.Description, ["builtIn"] = false }));
        return TypedResults.Ok(new JsonArray(roles.Select(r => (JsonNode)r).ToArray()));
    }

    private static async Task<Created<RoleView>> CreateRole(string tenant, HttpRequest request, IIdentityStore store, CancellationToken ct)
    {
        var admin = Admin(request);
        Tenancy.Validate(tenant);
        if (!admin.AdministersTenant(tenant)) throw Forbidden($"The caller does not administer tenant '{tenant}'.");
        var body = await BodyAsync<RoleBody>(request, ct);
        var name = body.Name ?? throw NgsiLdException.BadRequest("name is required.");
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) throw NgsiLdException.BadRequest("A role name is 1 to 64 letters, digits, '-' or '_'.");
        if (BuiltInRoles.IsBuiltIn(name)) throw new NgsiLdException(NgsiLdErrorType.AlreadyExists, $"'{name}' is a built-in role.");
        await store.SaveRoleAsync(new Role(tenant, name, body.Description ?? ""), ct);
        return TypedResults.Created($"/identity/v1/tenants/{tenant}/roles/{name}", new RoleView(name, body.Description ?? "", BuiltIn: false));
    }

    private static async Task<NoContent> DeleteRole(string tenant, string name, HttpRequest request, IIdentityStore store, CancellationToken ct)
    {
        var admin = Admin(request);
        if (!admin.AdministersTenant(tenant)) throw Forbidden($"The caller does not administer tenant '{tenant}'.");
        if (!await store.DeleteRoleAsync(tenant, name, ct)) throw NgsiLdException.NotFound($"No custom role '{name}' in tenant '{tenant}'.");
        return TypedResults.NoContent();
    }

    private static async Task<JsonHttpResult<IEnumerable<Policy>>> ListPolicies(HttpRequest request, IIdentityStore store, CancellationToken ct)
    {
        var admin = Admin(request);
        var policies = (await store.ListPoliciesAsync(ct)).Where(p => admin.AdministersTenant(p.Tenant));
        return TypedResults.Json(policies, Json);
    }

    private static async Task<JsonHttpResult<Policy>> SavePolicy(HttpRequest request, IIdentityStore store, AccessPolicy access, CancellationToken ct)
    {
        var admin = Admin(request);
        var body = await BodyAsync<PolicyBody>(request, ct);
        var policy = new Policy
        {
            Id = body.Id ?? "policy-" + Guid.NewGuid().ToString("N")[..12],
            Tenant = body.Tenant ?? throw NgsiLdException.BadRequest("tenant is required."),
            Subject = body.Subject ?? throw NgsiLdException.BadRequest("subject is required."),
            Actions = body.Actions ?? [],
            EntityTypes = body.EntityTypes ?? [],
            IdPatterns = body.IdPatterns ?? [],
            Attributes = body.Attributes ?? [],
            NotBefore = body.NotBefore,
            NotAfter = body.NotAfter,
            RequiresMfa = body.RequiresMfa,
            Description = body.Description ?? "",
        };
        if (PolicyRules.Problem(policy) is { } problem) throw NgsiLdException.BadRequest(problem);
        if (!admin.AdministersTenant(policy.Tenant)) throw Forbidden($"The caller does not administer tenant '{policy.Tenant}'.");
        if (await store.GetPolicyAsync(policy.Id, ct) is { } existing && !admin.AdministersTenant(existing.Tenant)) throw Forbidden($"Policy '{policy.Id}' belongs to another tenant.");
        await store.SavePolicyAsync(policy, ct);
        access.Invalidate();
        return TypedResults.Json(policy, Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<NoContent> DeletePolicy(string id, HttpRequest request, IIdentityStore store, AccessPolicy access, CancellationToken ct)
    {
        var admin = Admin(request);
        var policy = await store.GetPolicyAsync(id, ct);
        if (policy is null || !admin.AdministersTenant(policy.Tenant)) throw NgsiLdException.NotFound($"No policy '{id}'.");
        await store.DeletePolicyAsync(id, ct);
        access.Invalidate();
        return TypedResults.NoContent();
    }

    private static async Task<Ok<JsonArray>> ListClients(HttpRequest request, IIdentityStore store, CancellationToken ct)
    {
        SystemAdmin(request);
        return TypedResults.Ok(new JsonArray((await store.ListClientsAsync(ct)).Select(c => (JsonNode)ClientView(c)).ToArray()));
    }

    private static async Task<Created<JsonObject>> RegisterClient(HttpRequest request, ClientRegistry clients, CancellationToken ct)
    {
        SystemAdmin(request);
        var (client, secret) = await clients.RegisterAsync(await BodyAsync<ClientDraft>(request, ct), ct);
        var view = ClientView(client);
        if (secret is not null) view["clientSecret"] = secret;
        return TypedResults.Created($"/identity/v1/clients/{client.Id}", view);
    }

    private static async Task<NoContent> DeleteClient(string id, HttpRequest request, IIdentityStore store, CancellationToken ct)
    {
        SystemAdmin(request);
        if (!await store.DeleteClientAsync(id, ct)) throw NgsiLdException.NotFound($"No client '{id}'.");
        return TypedResults.NoContent();
    }

    public static JsonObject View(Account account, HttpRequest? request = null)
    {
        var view = JsonSerializer.SerializeToNode(new
        {
            account.Id,
            account.Username,
            account.DisplayName,
            account.Organisation,
            account.Email,
            account.Locale,
            account.Memberships,
            account.Disabled,
            Mfa = account.Totp is not null,
            account.Created,
            account.Updated,
        }, Json)!.AsObject();
        if (request is not null)
        {
            var now = request.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            view["locked"] = account.LockedUntil is { } until && until > now;
        }
        return view;
    }

    public static JsonObject ClientView(Client client) => JsonSerializer.SerializeToNode(new
    {
        ClientId = client.Id,
        client.Name,
        client.IsPublic,
        client.RedirectUris,
        client.PostLogoutRedirectUris,
        client.GrantTypes,
        client.Scopes,
        client.SigningAlgorithm,
        client.Memberships,
        client.Created,
    }, Json)!.AsObject();

    private static AdminCaller Admin(HttpRequest request)
    {
        // The group's policy established the caller from its bearer token (401 without a valid one).
        var admin = new AdminCaller(request.HttpContext.Caller());
        if (!admin.IsSystemAdmin && admin.Tenants.Count == 0) throw Forbidden("Only a system-admin or a tenant-admin may administer identities.");
        return admin;
    }

    private static void SystemAdmin(HttpRequest request)
    {
        if (!(Admin(request)).IsSystemAdmin) throw Forbidden("Only a system-admin may do this.");
    }

    private static async Task<AdminCaller> ManagedAsync(string id, HttpRequest request, AccountManager accounts, CancellationToken ct)
    {
        var admin = Admin(request);
        var account = await accounts.GetAsync(id, ct);
        if (!admin.CanRead(account)) throw NgsiLdException.NotFound($"No account '{id}'.");
        if (!admin.CanManage(account)) throw Forbidden("The account is also a member of tenants the caller does not administer.");
        return admin;
    }

    private static async Task<T> BodyAsync<T>(HttpRequest request, CancellationToken ct)
    {
        var node = await JsonBody.ReadAsync(request, MaxBody, ct);
        try
        {
            return node.Deserialize<T>(Json) ?? throw NgsiLdException.BadRequest("The body must be a JSON object.");
        }
        catch (JsonException e)
        {
            // e.Message names the .NET types behind the API; the JSON path is what the client can act on.
            throw NgsiLdException.BadRequest($"The body does not fit: a member is unknown or of the wrong type at {e.Path ?? "$"}.");
        }
    }

    private static NgsiLdException Forbidden(string detail) => new(NgsiLdErrorType.Forbidden, detail);

    private sealed record PasswordBody(string? Password);

    private sealed record RoleBody(string? Name, string? Description);

    /// <summary>A custom role as the API returns it.</summary>
    public sealed record RoleView(string Name, string Description, bool BuiltIn);

    private sealed record PolicyBody(
        string? Id, string? Tenant, PolicySubject? Subject, List<AccessAction>? Actions, List<string>? EntityTypes, List<string>? IdPatterns,
        List<string>? Attributes, DateTimeOffset? NotBefore, DateTimeOffset? NotAfter, bool RequiresMfa, string? Description);
}

/// <summary>Which identities an administrator may see and change: a system-admin all; a tenant-admin the members of its tenants.</summary>
public sealed class AdminCaller(CallerIdentity caller)
{
    public bool IsSystemAdmin { get; } = caller.TenantRoles.TryGetValue(SecurityTenants.All, out var roles) && roles.Contains(BuiltInRoles.SystemAdmin);

    public IReadOnlySet<string> Tenants { get; } = caller.TenantRoles.Where(t => t.Value.Contains(BuiltInRoles.TenantAdmin)).Select(t => t.Key).ToHashSet(StringComparer.Ordinal);

    public bool AdministersTenant(string tenant) => IsSystemAdmin || (tenant != SecurityTenants.All && Tenants.Contains(tenant));

    public bool CanRead(Account account) => IsSystemAdmin || account.Memberships.Any(m => Tenants.Contains(m.Tenant));

    /// <summary>A tenant-admin changes only accounts that belong to its tenants alone, so it cannot take over another tenant's user.</summary>
    public bool CanManage(Account account) => IsSystemAdmin || (account.Memberships.Count > 0 && account.Memberships.All(m => Tenants.Contains(m.Tenant)));
}
