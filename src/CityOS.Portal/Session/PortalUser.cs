using System.Security.Claims;
using CityOS.Core;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Portal.Session;

/// <summary>
/// The signed-in user of a page: the access token the provider gave the portal at sign-in and the caller it speaks for now
/// (the identity block's token validator: a disabled account or an expired token is no user, and the page asks to sign in again).
/// </summary>
public sealed record PortalUser(string Name, string AccessToken, CallerIdentity Caller)
{
    /// <summary>The built-in roles of the identity block that open the admin console.</summary>
    public const string SystemAdminRole = "system-admin";
    public const string TenantAdminRole = "tenant-admin";

    public bool IsSystemAdmin => Caller.TenantRoles.TryGetValue(SecurityTenants.All, out var roles) && roles.Contains(SystemAdminRole);

    /// <summary>The tenants the user administers (all of them for a system-admin: <see cref="SecurityTenants.All"/>).</summary>
    public IReadOnlyList<string> AdministeredTenants =>
        [.. Caller.TenantRoles.Where(t => t.Value.Contains(TenantAdminRole) || (t.Key == SecurityTenants.All && t.Value.Contains(SystemAdminRole))).Select(t => t.Key)];

    public bool IsAdmin => AdministeredTenants.Count > 0;

    /// <summary>The tenants the user holds a role in (other than every tenant).</summary>
    public IReadOnlyList<string> Tenants => [.. Caller.TenantRoles.Keys.Where(t => t != SecurityTenants.All).Order(StringComparer.Ordinal)];

    private static readonly object Key = new();

    /// <summary>The user of this request, or null when nobody is signed in (or the session's token no longer holds).</summary>
    public static async Task<PortalUser?> OfAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(Key, out var known)) return (PortalUser?)known;
        PortalUser? user = null;
        var result = await context.AuthenticateAsync(PortalAuthentication.CookieScheme);
        if (result.Succeeded && result.Properties?.GetTokenValue("access_token") is { Length: > 0 } token
            && context.RequestServices.GetService<ITokenValidator>() is { } validator)
        {
            try
            {
                var caller = await validator.ValidateAsync(token, context.RequestAborted);
                var principal = result.Principal!;
                var name = principal.FindFirstValue("name") ?? principal.FindFirstValue("preferred_username") ?? caller.Subject;
                user = new PortalUser(name, token, caller);
            }
            catch (NgsiLdException e) when (e.Type == NgsiLdErrorType.Unauthorized)
            {
                user = null;
            }
        }
        context.Items[Key] = user;
        return user;
    }
}
