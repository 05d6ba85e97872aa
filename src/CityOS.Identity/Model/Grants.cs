namespace CityOS.Identity.Model;

/// <summary>A signed-in browser (single sign-on, AU-4); <see cref="PendingMfa"/> until the second factor is given.</summary>
public sealed record LoginSession
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public DateTimeOffset AuthTime { get; init; }
    public DateTimeOffset Expires { get; init; }
    public List<string> Amr { get; init; } = [];
    public bool PendingMfa { get; init; }
    public bool Ended { get; init; }
}

/// <summary>An authorization code (RFC 6749 4.1) bound to its client, redirect URI and PKCE challenge.</summary>
public sealed record AuthorizationCode
{
    public required string ClientId { get; init; }
    public required string AccountId { get; init; }
    public required string RedirectUri { get; init; }
    public required string Scope { get; init; }
    public string? Nonce { get; init; }
    public string? CodeChallenge { get; init; }
    public required string SessionId { get; init; }
    public DateTimeOffset AuthTime { get; init; }
    public List<string> Amr { get; init; } = [];
    public DateTimeOffset Expires { get; init; }

    /// <summary>Set once the code is redeemed: the family of the tokens it gave, revoked if the code comes back.</summary>
    public string? IssuedFamily { get; init; }
}

/// <summary>One refresh token; all tokens rotated from one grant share a <see cref="Family"/>.</summary>
public sealed record RefreshToken
{
    public required string Family { get; init; }
    public required string ClientId { get; init; }
    public required string AccountId { get; init; }
    public required string Scope { get; init; }
    public DateTimeOffset AuthTime { get; init; }
    public List<string> Amr { get; init; } = [];
    public DateTimeOffset Issued { get; init; }
    public DateTimeOffset Expires { get; init; }
    public DateTimeOffset? Consumed { get; init; }
    public bool Revoked { get; init; }
}

/// <summary>A persisted signing key; <see cref="Retired"/> once a newer key signs.</summary>
public sealed record SigningKey(string Kid, string Algorithm, byte[] Pkcs8, DateTimeOffset Created, DateTimeOffset? Retired);
