namespace CityOS.Identity;

/// <summary>Settings of the identity block (configuration section "CityOS:Identity"; identity.db lives in the data directory).</summary>
public sealed class IdentityOptions
{
    public const string Section = "CityOS:Identity";

    /// <summary>
    /// Issuer URL (iss) of tokens and discovery; when unset, the first address the server listens on (http://localhost:1026
    /// by default), which suits one machine. Set it to the public URL behind a proxy; it never follows a request's Host header.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Audience (aud) of access tokens: the resource servers of this City OS.</summary>
    public string Audience { get; set; } = "cityos";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan IdTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
    public TimeSpan LoginStepLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A signing key signs new tokens this long; it stays in the JWKS until its tokens have expired.</summary>
    public TimeSpan SigningKeyLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long this process trusts what it keeps in memory of identity.db: validated access tokens, clients, signing
    /// keys. A change through this process (a revocation, any change to an account, a client deleted) takes effect at
    /// once; a change by another process (the <c>cityos account|client</c> command) within this time.
    /// </summary>
    public TimeSpan CacheMaxAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most validated access tokens kept in memory (0: validate every time).</summary>
    public int ValidatedTokenCacheSize { get; set; } = 10_000;

    /// <summary>
    /// Failed sign-ins for one user name from one source address within <see cref="LockoutWindow"/> that block that source,
    /// for that user name, for <see cref="LockoutDuration"/> (other sources are not affected).
    /// </summary>
    public int LockoutThreshold { get; set; } = 5;
    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Failed sign-ins from all sources within <see cref="LockoutWindow"/> that lock an account everywhere; 0 (the default)
    /// never does, since anyone could then lock an administrator out from every place.
    /// </summary>
    public int AccountLockoutThreshold { get; set; }

    /// <summary>Requests per minute and source address to the sign-in forms (0: unlimited).</summary>
    public int SignInRequestsPerMinute { get; set; } = 60;

    /// <summary>Requests per minute and source address to the token, revocation and introspection endpoints and the password reset (0: unlimited).</summary>
    public int TokenRequestsPerMinute { get; set; } = 600;

    public int PasswordMinLength { get; set; } = 10;

    /// <summary>PBKDF2-SHA512 iterations of new password hashes (existing hashes keep theirs).</summary>
    public int PasswordIterations { get; set; } = 210_000;

    /// <summary>Tenants whose data anyone may read without a token (open data).</summary>
    public List<string> AnonymousReadTenants { get; set; } = [];

    /// <summary>Other City OS issuers whose tokens are accepted (SL-11).</summary>
    public List<TrustedIssuerOptions> TrustedIssuers { get; set; } = [];

    /// <summary>How long a trusted issuer's discovery document and JWKS are cached.</summary>
    public TimeSpan TrustedIssuerCacheLifetime { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>A trusted issuer and how its claims become local roles.</summary>
public sealed class TrustedIssuerOptions
{
    public string Issuer { get; set; } = "";

    /// <summary>Accepted audiences of its tokens; empty accepts any.</summary>
    public List<string> Audiences { get; set; } = [];

    public List<ClaimRoleMapping> RoleMappings { get; set; } = [];
}

/// <summary>When claim <see cref="Claim"/> equals (or, for an array claim, contains) <see cref="Value"/>, grant <see cref="Role"/> in <see cref="Tenant"/>.</summary>
public sealed class ClaimRoleMapping
{
    public string Claim { get; set; } = "";
    public string Value { get; set; } = "";
    public string Tenant { get; set; } = "";
    public string Role { get; set; } = "";
}
