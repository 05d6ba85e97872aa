using System.Text.Json.Nodes;
using CityOS.Identity.Model;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CityOS.Identity.Tokens;

/// <summary>What an access token says about its subject.</summary>
public sealed record TokenSubject(
    string Subject,
    string ClientId,
    string Scope,
    IReadOnlyDictionary<string, IReadOnlyList<string>> TenantRoles,
    IReadOnlyList<string> Amr,
    DateTimeOffset? AuthTime,
    string? Family);

public sealed record IssuedToken(string Token, string Jti, DateTimeOffset Expires);

/// <summary>Signs access tokens (RFC 9068 JWT profile, typ at+jwt) and OpenID Connect ID tokens.</summary>
public sealed class TokenIssuer(SigningKeyRing keys, IOptions<IdentityOptions> options, TimeProvider time)
{
    public const string TenantsClaim = "tenants";
    public const string FamilyClaim = "grant";
    public const string AcrPassword = "urn:cityos:acr:pwd";
    public const string AcrMultiFactor = "urn:cityos:acr:mfa";

    private static readonly JsonWebTokenHandler Handler = new();

    public static string Acr(IReadOnlyList<string> amr) => amr.Contains("otp") ? AcrMultiFactor : AcrPassword;

    public async Task<IssuedToken> AccessTokenAsync(string issuer, TokenSubject subject, string algorithm, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var expires = now + options.Value.AccessTokenLifetime;
        var jti = Rules.Secrets.NewToken();
        var tenants = new JsonObject();
        foreach (var (tenant, roles) in subject.TenantRoles) tenants[tenant] = new JsonArray(roles.Select(r => (JsonNode)r).ToArray());
        var payload = new JsonObject
        {
            ["iss"] = issuer,
            ["sub"] = subject.Subject,
            ["aud"] = options.Value.Audience,
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["jti"] = jti,
            ["client_id"] = subject.ClientId,
            ["scope"] = subject.Scope,
            [TenantsClaim] = tenants,
        };
        if (subject.Amr.Count > 0)
        {
            payload["amr"] = new JsonArray(subject.Amr.Select(a => (JsonNode)a).ToArray());
            payload["acr"] = Acr(subject.Amr);
        }
        if (subject.AuthTime is { } authTime) payload["auth_time"] = authTime.ToUnixTimeSeconds();
        if (subject.Family is not null) payload[FamilyClaim] = subject.Family;
        var token = await SignAsync(payload, "at+jwt", algorithm, ct);
        return new IssuedToken(token, jti, expires);
    }

    public async Task<string> IdTokenAsync(string issuer, Account account, string clientId, string scope, string? nonce,
        DateTimeOffset authTime, IReadOnlyList<string> amr, string algorithm, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var payload = new JsonObject
        {
            ["iss"] = issuer,
            ["sub"] = account.Id,
            ["aud"] = clientId,
            ["azp"] = clientId,
            ["exp"] = (now + options.Value.IdTokenLifetime).ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["auth_time"] = authTime.ToUnixTimeSeconds(),
            ["amr"] = new JsonArray(amr.Select(a => (JsonNode)a).ToArray()),
            ["acr"] = Acr(amr),
        };
        if (nonce is not null) payload["nonce"] = nonce;
        foreach (var (name, value) in UserClaims.For(account, scope)) payload[name] = value;
        return await SignAsync(payload, "JWT", algorithm, ct);
    }

    private async Task<string> SignAsync(JsonObject payload, string type, string algorithm, CancellationToken ct)
    {
        var credentials = await keys.SigningCredentialsAsync(algorithm, ct);
        return Handler.CreateToken(payload.ToJsonString(), credentials, new Dictionary<string, object> { ["typ"] = type });
    }
}

/// <summary>The standard claims (OpenID Connect Core 5.1) an account releases for the granted scopes.</summary>
public static class UserClaims
{
    public static IEnumerable<(string Name, JsonNode? Value)> For(Account account, string scope)
    {
        var scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (scopes.Contains("profile"))
        {
            yield return ("name", account.DisplayName);
            yield return ("preferred_username", account.Username);
            yield return ("locale", account.Locale);
            yield return ("organization", account.Organisation);
        }
        if (scopes.Contains("email") && account.Email.Length > 0)
        {
            yield return ("email", account.Email);
        }
    }
}
