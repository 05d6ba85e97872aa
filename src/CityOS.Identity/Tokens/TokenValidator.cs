using System.Text.Json;
using CityOS.Core;
using CityOS.Core.Security;
using CityOS.Identity.Services;
using CityOS.Identity.Storage;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CityOS.Identity.Tokens;

/// <summary>A token that passed validation, with the caller it speaks for.</summary>
public sealed record ValidatedToken(JsonWebToken Token, CallerIdentity Caller);

/// <summary>
/// Validates bearer access tokens: this provider's (signature by a published key, issuer, audience, lifetime
/// by <see cref="TimeProvider"/>, not revoked, account still enabled and client still registered, with the roles
/// the account or client holds now rather than those written in the token) and those of trusted issuers (SL-11).
/// </summary>
/// <remarks>
/// <see cref="ValidateAsync"/>, called on every request of the resource servers, remembers the tokens it accepted
/// until they expire or for <see cref="IdentityOptions.CacheMaxAge"/>, whichever comes first, so a client reusing
/// its token costs a dictionary lookup. A revocation, or a change to an account, made through this process forgets
/// the affected tokens at once; one made by another process (the command line) is seen within CacheMaxAge.
/// </remarks>
public sealed class TokenValidator : ITokenValidator
{
    private static readonly JsonWebTokenHandler Handler = new();

    private readonly SigningKeyRing _keys;
    private readonly IIdentityStore _store;
    private readonly PrincipalDirectory _directory;
    private readonly IssuerUrl _issuer;
    private readonly TrustedIssuers _trustedIssuers;
    private readonly IOptions<IdentityOptions> _options;
    private readonly TimeProvider _time;
    private readonly ExpiringCache<CallerIdentity> _accepted;

    public TokenValidator(SigningKeyRing keys, IIdentityStore store, PrincipalDirectory directory, IssuerUrl issuer, TrustedIssuers trustedIssuers,
        IOptions<IdentityOptions> options, TimeProvider time)
    {
        _keys = keys;
        _store = store;
        _directory = directory;
        _issuer = issuer;
        _trustedIssuers = trustedIssuers;
        _options = options;
        _time = time;
        _accepted = new ExpiringCache<CallerIdentity>(options.Value.ValidatedTokenCacheSize);
        store.Changed += Forget;
    }

    public Task<CallerIdentity> ValidateAsync(string bearer, CancellationToken ct) =>
        _accepted.TryGet(bearer, _time.GetUtcNow(), out var caller) ? Task.FromResult(caller) : ValidateAndRememberAsync(bearer, ct);

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
        if (_trustedIssuers.Find(unverified.Issuer) is { } trusted) return await _trustedIssuers.ValidateAsync(trusted, bearer, ct);
        return await ValidateLocalAsync(bearer, ct);
    }

    public async Task<(ValidatedToken? Token, string? Error)> ValidateLocalAsync(string bearer, CancellationToken ct)
    {
        var result = await VerifyAsync();
        // A key this process has not read yet: another process may have rotated.
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException && await _keys.RefreshAsync(ct)) result = await VerifyAsync();
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token) return (null, "The access token signature, issuer, audience or type is not valid.");
        if (TokenLifetime.Error(token, _time.GetUtcNow()) is { } lifetimeError) return (null, lifetimeError);
        var clientId = token.TryGetPayloadValue<string>("client_id", out var c) ? c : null;
        var current = await _directory.CurrentAsync(ToCaller(token, clientId), fromMemory: false, ct);
        if (current is null) return (null, "The account of the access token is disabled or deleted, or its client is deleted.");
        var family = token.TryGetPayloadValue<string>(TokenIssuer.FamilyClaim, out var f) ? f : null;
        if (await _store.IsRevokedAsync(token.Id, family, ct)) return (null, "The access token has been revoked.");
        return (new ValidatedToken(token, current), null);

        async Task<TokenValidationResult> VerifyAsync() =>
            await Handler.ValidateTokenAsync(bearer, await LocalParametersAsync(audience: _options.Value.Audience, type: "at+jwt", ct));
    }

    /// <summary>Validates an ID token this provider issued (id_token_hint); expiry is deliberately ignored, as OpenID Connect RP-Initiated Logout allows.</summary>
    public async Task<JsonWebToken?> ValidateIdTokenHintAsync(string idToken, CancellationToken ct)
    {
        var parameters = await LocalParametersAsync(audience: null, type: "JWT", ct);
        var result = await Handler.ValidateTokenAsync(idToken, parameters);
        return result.IsValid ? result.SecurityToken as JsonWebToken : null;
    }

    private async Task<CallerIdentity> ValidateAndRememberAsync(string bearer, CancellationToken ct)
    {
        var generation = _accepted.Generation;
        var (token, error) = await TryValidateAsync(bearer, ct);
        if (token is null) throw new NgsiLdException(NgsiLdErrorType.Unauthorized, error ?? "The access token is not valid.");
        var now = _time.GetUtcNow();
        var expires = new DateTimeOffset(token.Token.ValidTo, TimeSpan.Zero);
        var maxAge = now + _options.Value.CacheMaxAge;
        _accepted.Add(bearer, token.Caller, expires < maxAge ? expires : maxAge, generation, now);
        return token.Caller;
    }

    /// <summary>A revocation may hit any token (a family is not in the cache's keys); an account or client change, its tokens.</summary>
    private void Forget(IdentityChange change)
    {
        switch (change.Kind)
        {
            case IdentityChangeKind.Revocation:
                _accepted.Clear();
                break;
            case IdentityChangeKind.Account:
                _accepted.RemoveWhere(caller => caller.Subject == change.Id);
                break;
            case IdentityChangeKind.Client:
                _accepted.RemoveWhere(caller => caller.ClientId == change.Id);
                break;
        }
    }

    private async Task<TokenValidationParameters> LocalParametersAsync(string? audience, string type, CancellationToken ct) => new()
    {
        IssuerSigningKeys = (await _keys.PublishedKeysAsync(ct)).Select(k => k.SecurityKey).ToArray(),
        ValidAlgorithms = SigningKeyRing.Algorithms,
        ValidateIssuer = true,
        ValidIssuer = _issuer.Value,
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
