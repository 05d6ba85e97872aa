using System.Text.Json;
using CityOS.Core;
using CityOS.Core.Security;
using CityOS.Identity.Storage;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CityOS.Identity.Tokens;

/// <summary>A token that passed validation, with the caller it speaks for.</summary>
public sealed record ValidatedToken(JsonWebToken Token, CallerIdentity Caller);

/// <summary>
/// Validates bearer access tokens: this provider's (signature by a published key, audience, lifetime
/// by <see cref="TimeProvider"/>, not revoked, account still enabled) and those of trusted issuers (SL-11).
/// </summary>
public sealed class TokenValidator(
    SigningKeyRing keys,
    IIdentityStore store,
    TrustedIssuers trustedIssuers,
    IOptions<IdentityOptions> options,
    TimeProvider time) : ITokenValidator
{
    private static readonly JsonWebTokenHandler Handler = new();

    public async Task<CallerIdentity> ValidateAsync(string bearer, CancellationToken ct)
    {
        var result = await TryValidateAsync(bearer, ct);
        return result.Token?.Caller ?? throw new NgsiLdException(NgsiLdErrorType.Unauthorized, result.Error ?? "The access token is not valid.");
    }

    /// <summary>The validated token, or why it is not valid.</summary>
    public async Task<(ValidatedToken? Token, string? Error)> TryValidateAsync(string bearer, CancellationToken ct)
    {
        JsonWebToken unverified;
        try
        {
            unverified = new JsonWebToken(bearer);
        }
        catch (ArgumentException)
        {
            return (null, "The access token is not a JWT.");
        }
        if (trustedIssuers.Find(unverified.Issuer) is { } trusted) return await trustedIssuers.ValidateAsync(trusted, bearer, ct);
        return await ValidateLocalAsync(bearer, ct);
    }

    public async Task<(ValidatedToken? Token, string? Error)> ValidateLocalAsync(string bearer, CancellationToken ct)
    {
        var parameters = await LocalParametersAsync(audience: options.Value.Audience, type: "at+jwt", ct);
        var result = await Handler.ValidateTokenAsync(bearer, parameters);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token) return (null, "The access token signature, issuer, audience or type is not valid.");
        if (TokenLifetime.Error(token, time.GetUtcNow()) is { } lifetimeError) return (null, lifetimeError);
        var family = token.TryGetPayloadValue<string>(TokenIssuer.FamilyClaim, out var f) ? f : null;
        if (await store.IsRevokedAsync(token.Id, family, ct)) return (null, "The access token has been revoked.");
        var clientId = token.TryGetPayloadValue<string>("client_id", out var c) ? c : null;
        if (token.Subject != clientId)
        {
            var account = await store.GetAccountAsync(token.Subject, ct);
            if (account is null || account.Disabled) return (null, "The account of the access token is disabled or deleted.");
        }
        return (new ValidatedToken(token, ToCaller(token, clientId)), null);
    }

    /// <summary>Validates an ID token this provider issued (id_token_hint); expiry is deliberately ignored, as OpenID Connect RP-Initiated Logout allows.</summary>
    public async Task<JsonWebToken?> ValidateIdTokenHintAsync(string idToken, CancellationToken ct)
    {
        var parameters = await LocalParametersAsync(audience: null, type: "JWT", ct);
        var result = await Handler.ValidateTokenAsync(idToken, parameters);
        return result.IsValid ? result.SecurityToken as JsonWebToken : null;
    }

    private async Task<TokenValidationParameters> LocalParametersAsync(string? audience, string type, CancellationToken ct) => new()
    {
        IssuerSigningKeys = (await keys.PublishedKeysAsync(ct)).Select(k => k.SecurityKey).ToArray(),
        ValidAlgorithms = SigningKeyRing.Algorithms,
        ValidateIssuer = options.Value.Issuer is not null,
        ValidIssuer = options.Value.Issuer?.TrimEnd('/'),
        ValidateAudience = audience is not null,
        ValidAudience = audience,
        ValidateLifetime = false,
        ValidTypes = [type],
    };

    internal static CallerIdentity ToCaller(JsonWebToken token, string? clientId)
    {
        var tenants = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (token.TryGetPayloadValue<JsonElement>(TokenIssuer.TenantsClaim, out var element) && element.ValueKind == JsonValueKind.Object)
        {
            foreach (var tenant in element.EnumerateObject())
            {
                if (tenant.Value.ValueKind != JsonValueKind.Array) continue;
                tenants[tenant.Name] = tenant.Value.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!).ToArray();
            }
        }
        var scope = token.TryGetPayloadValue<string>("scope", out var s) ? s : "";
        return new CallerIdentity
        {
            Subject = token.Subject,
            Issuer = token.Issuer,
            ClientId = clientId,
            TenantRoles = tenants,
            Scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            AuthenticationMethods = StringList(token, "amr"),
        };
    }

    internal static IReadOnlyList<string> StringList(JsonWebToken token, string claim)
    {
        // The handler keeps JSON strings as .NET strings and arrays as JsonElement.
        if (!token.TryGetPayloadValue<JsonElement>(claim, out var value))
        {
            return token.TryGetPayloadValue<string>(claim, out var single) ? [single] : [];
        }
        return value.ValueKind switch
        {
            JsonValueKind.Array => value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToArray(),
            JsonValueKind.String => [value.GetString()!],
            _ => [],
        };
    }
}
