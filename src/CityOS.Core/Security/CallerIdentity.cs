namespace CityOS.Core.Security;

/// <summary>
/// Who is calling, as established from a bearer token (or nobody, for anonymous requests):
/// the subject, the client application, and the roles the subject holds in each tenant.
/// Tenant names are those of NGSILD-Tenant; the default tenant is <see cref="SecurityTenants.Default"/>
/// and roles held in <see cref="SecurityTenants.All"/> apply in every tenant (system administrators).
/// </summary>
public sealed record CallerIdentity
{
    /// <summary>The caller of a request without a bearer token.</summary>
    public static readonly CallerIdentity Anonymous = new() { Subject = "anonymous", IsAnonymous = true };

    /// <summary>Stable id of the account, of the client (client credentials), or of a federated user.</summary>
    public required string Subject { get; init; }

    /// <summary>The issuer that vouched for the subject (this City OS or a trusted one).</summary>
    public string? Issuer { get; init; }

    /// <summary>The OAuth client the token was issued to.</summary>
    public string? ClientId { get; init; }

    /// <summary>Tenant name → role names held in that tenant.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> TenantRoles { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>OAuth scopes granted to the token.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Authentication methods (RFC 8176): "pwd", "otp"; empty for clients and anonymous callers.</summary>
    public IReadOnlyList<string> AuthenticationMethods { get; init; } = [];

    public bool IsAnonymous { get; init; }

    /// <summary>True when the subject proved a second factor (AU-3), as personal data requires.</summary>
    public bool HasMultiFactor => AuthenticationMethods.Contains("otp") || AuthenticationMethods.Contains("mfa");

    /// <summary>The roles that apply in <paramref name="tenant"/>: those held there plus those held in every tenant.</summary>
    public IReadOnlyList<string> RolesIn(string tenant)
    {
        var roles = new List<string>();
        if (TenantRoles.TryGetValue(tenant, out var here)) roles.AddRange(here);
        if (tenant != SecurityTenants.All && TenantRoles.TryGetValue(SecurityTenants.All, out var everywhere)) roles.AddRange(everywhere);
        return roles.Distinct(StringComparer.Ordinal).ToArray();
    }
}

/// <summary>How tenants are named in identities and policies.</summary>
public static class SecurityTenants
{
    /// <summary>The tenant of requests without NGSILD-Tenant.</summary>
    public const string Default = "default";

    /// <summary>A membership or policy that applies in every tenant.</summary>
    public const string All = "*";

    /// <summary>The policy name of an NGSI-LD tenant (null, the default tenant, becomes <see cref="Default"/>).</summary>
    public static string Key(string? ngsiLdTenant) => string.IsNullOrEmpty(ngsiLdTenant) ? Default : ngsiLdTenant;
}
