namespace CityOS.Identity.Model;

/// <summary>A person (or a named service user) who signs in (AU-5).</summary>
public sealed record Account
{
    public required string Id { get; init; }
    public required string Username { get; init; }
    public string DisplayName { get; init; } = "";
    public string Organisation { get; init; } = "";
    public string Email { get; init; } = "";

    /// <summary>"ja" or "en": the language of the login pages and messages.</summary>
    public string Locale { get; init; } = "ja";

    public List<TenantMembership> Memberships { get; init; } = [];
    public string PasswordHash { get; init; } = "";
    public bool Disabled { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }

    /// <summary>Failed sign-ins within the current lock-out window, oldest first.</summary>
    public List<DateTimeOffset> FailedLogins { get; init; } = [];
    public DateTimeOffset? LockedUntil { get; init; }

    public TotpEnrolment? Totp { get; init; }

    /// <summary>A TOTP secret shown on the enrolment page, active once the user confirms a code.</summary>
    public string? PendingTotpSecret { get; init; }

    public List<string> RecoveryCodeHashes { get; init; } = [];

    public Dictionary<string, IReadOnlyList<string>> RolesByTenant() => TenantMembership.RolesByTenant(Memberships);
}

public sealed record TenantMembership(string Tenant, string Role)
{
    /// <summary>Tenant name → role names, as tokens and callers carry them.</summary>
    public static Dictionary<string, IReadOnlyList<string>> RolesByTenant(IEnumerable<TenantMembership> memberships) =>
        memberships.GroupBy(m => m.Tenant, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(m => m.Role).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
}

/// <summary>An active TOTP second factor; <see cref="LastAcceptedStep"/> refuses a replayed code.</summary>
public sealed record TotpEnrolment(string Secret, long LastAcceptedStep);
