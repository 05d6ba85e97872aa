namespace CityOS.Identity.Model;

/// <summary>A registered OAuth client: an application that asks for tokens.</summary>
public sealed record Client
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";

    /// <summary>SHA-256 of the secret of a confidential client; null for a public client.</summary>
    public string? SecretHash { get; init; }
    public bool IsPublic => SecretHash is null;

    public List<string> RedirectUris { get; init; } = [];
    public List<string> PostLogoutRedirectUris { get; init; } = [];
    public List<string> GrantTypes { get; init; } = [];
    public List<string> Scopes { get; init; } = [];

    /// <summary>JWS algorithm of its tokens: ES256 (default) or RS256.</summary>
    public string SigningAlgorithm { get; init; } = "ES256";

    /// <summary>Roles of the client itself, in its client credentials tokens (a "service" account).</summary>
    public List<TenantMembership> Memberships { get; init; } = [];
    public DateTimeOffset Created { get; init; }
}

public static class GrantTypes
{
    public const string AuthorizationCode = "authorization_code";
    public const string ClientCredentials = "client_credentials";
    public const string RefreshToken = "refresh_token";

    public static readonly string[] All = [AuthorizationCode, ClientCredentials, RefreshToken];
}
