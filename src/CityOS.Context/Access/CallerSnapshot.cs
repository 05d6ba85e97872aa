using System.Text.Json.Nodes;
using CityOS.Core.Security;

namespace CityOS.Context.Access;

/// <summary>
/// A caller written down with what it owns (a subscription): subject, issuer, client, roles per tenant and
/// authentication methods, so that notifications are later filtered with the owner's read grants.
/// </summary>
public static class CallerSnapshot
{
    public static string Write(CallerIdentity caller)
    {
        var tenants = new JsonObject();
        foreach (var (tenant, roles) in caller.TenantRoles) tenants[tenant] = new JsonArray(roles.Select(r => (JsonNode)r).ToArray());
        return new JsonObject
        {
            ["sub"] = caller.Subject,
            ["iss"] = caller.Issuer,
            ["client_id"] = caller.ClientId,
            ["anonymous"] = caller.IsAnonymous,
            ["tenants"] = tenants,
            ["amr"] = new JsonArray(caller.AuthenticationMethods.Select(a => (JsonNode)a).ToArray()),
        }.ToJsonString();
    }

    public static CallerIdentity Read(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        if (node["anonymous"]?.GetValue<bool>() == true) return CallerIdentity.Anonymous;
        return new CallerIdentity
        {
            Subject = node["sub"]!.GetValue<string>(),
            Issuer = node["iss"]?.GetValue<string>(),
            ClientId = node["client_id"]?.GetValue<string>(),
            TenantRoles = (node["tenants"] as JsonObject ?? [])
                .ToDictionary(t => t.Key, t => (IReadOnlyList<string>)t.Value!.AsArray().Select(r => r!.GetValue<string>()).ToArray(), StringComparer.Ordinal),
            AuthenticationMethods = (node["amr"] as JsonArray ?? []).Select(a => a!.GetValue<string>()).ToArray(),
        };
    }

    /// <summary>Whether two callers are the same principal (same subject from the same issuer).</summary>
    public static bool SamePrincipal(CallerIdentity a, CallerIdentity b) =>
        !a.IsAnonymous && !b.IsAnonymous && a.Subject == b.Subject && a.Issuer == b.Issuer;
}
