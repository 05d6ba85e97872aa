using CityOS.Core.Security;

namespace CityOS.Identity.Model;

/// <summary>A custom role of a tenant (built-in roles exist everywhere, see <see cref="BuiltInRoles"/>).</summary>
public sealed record Role(string Tenant, string Name, string Description);

public static class BuiltInRoles
{
    public const string Resident = "resident";
    public const string Service = "service";
    public const string Operator = "operator";
    public const string TenantAdmin = "tenant-admin";
    public const string SystemAdmin = "system-admin";

    public static readonly string[] All = [Resident, Service, Operator, TenantAdmin, SystemAdmin];

    public static bool IsBuiltIn(string role) => All.Contains(role, StringComparer.Ordinal);
}

/// <summary>
/// A rule of AU-7: grants a role or one account some actions on some of a tenant's data, within an
/// optional validity period, optionally only to callers who signed in with a second factor.
/// Empty resource lists mean "any".
/// </summary>
public sealed record Policy
{
    public required string Id { get; init; }

    /// <summary>Tenant name, or <see cref="SecurityTenants.All"/>.</summary>
    public required string Tenant { get; init; }

    /// <summary>A role name ("role") or an account id ("account"), or "anonymous" for callers without a token.</summary>
    public required PolicySubject Subject { get; init; }

    public List<AccessAction> Actions { get; init; } = [];
    public List<string> EntityTypes { get; init; } = [];
    public List<string> IdPatterns { get; init; } = [];
    public List<string> Attributes { get; init; } = [];
    public DateTimeOffset? NotBefore { get; init; }
    public DateTimeOffset? NotAfter { get; init; }
    public bool RequiresMfa { get; init; }
    public string Description { get; init; } = "";
}

/// <summary>
/// Whom a policy grants: a role, an account, or anonymous callers. An account is a subject of one issuer: this provider's
/// account id when <see cref="Issuer"/> is null, else the <c>sub</c> of a trusted issuer's tokens, so a federated token
/// whose <c>sub</c> happens to equal a local account id gets nothing of that account's grants.
/// </summary>
public sealed record PolicySubject(string? Role = null, string? Account = null, bool Anonymous = false, string? Issuer = null);
