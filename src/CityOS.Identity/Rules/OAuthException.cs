namespace CityOS.Identity.Rules;

/// <summary>An OAuth 2.0 error (RFC 6749 5.2, RFC 6750 3.1) that leaves as {"error", "error_description"}.</summary>
public sealed class OAuthException(string error, string description, int status = 400) : Exception(description)
{
    public string Error { get; } = error;
    public string Description { get; } = description;
    public int Status { get; } = status;

    public static OAuthException InvalidRequest(string description) => new("invalid_request", description);
    public static OAuthException InvalidGrant(string description) => new("invalid_grant", description);
    public static OAuthException InvalidClient(string description) => new("invalid_client", description, 401);
    public static OAuthException InvalidScope(string description) => new("invalid_scope", description);
    public static OAuthException UnauthorizedClient(string description) => new("unauthorized_client", description);
}
