using System.Text.Json.Nodes;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Storage;
using CityOS.Identity.Tokens;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Services;

/// <summary>
/// The grants of the token endpoint (RFC 6749 4.1.3, 4.4, 6): authorization code with PKCE,
/// client credentials, and refresh tokens rotated on every use, where presenting a used refresh
/// token (or a redeemed code) revokes the whole family of tokens of that grant.
/// </summary>
public sealed class TokenService(IIdentityStore store, TokenIssuer issuer, IOptions<IdentityOptions> options, TimeProvider time)
{
    public async Task<JsonObject> ExchangeAsync(Client client, IReadOnlyDictionary<string, string> form, string issuerUrl, CancellationToken ct)
    {
        var grantType = Value(form, "grant_type") ?? throw OAuthException.InvalidRequest("grant_type is required.");
        if (!GrantTypes.All.Contains(grantType)) throw new OAuthException("unsupported_grant_type", $"The grant type '{grantType}' is not supported.");
        if (!ClientRules.AllowsGrant(client, grantType)) throw OAuthException.UnauthorizedClient($"The client may not use the {grantType} grant.");
        return grantType switch
        {
            GrantTypes.AuthorizationCode => await AuthorizationCodeAsync(client, form, issuerUrl, ct),
            GrantTypes.ClientCredentials => await ClientCredentialsAsync(client, form, issuerUrl, ct),
            _ => await RefreshAsync(client, form, issuerUrl, ct),
        };
    }

    /// <summary>Stores a new authorization code and returns its value.</summary>
    public async Task<string> IssueCodeAsync(AuthorizationCode code, CancellationToken ct)
    {
        var value = Secrets.NewToken();
        var now = time.GetUtcNow();
        await store.SaveCodeAsync(Secrets.Hash(value), code with { Expires = now + options.Value.AuthorizationCodeLifetime }, now, ct);
        return value;
    }

    private async Task<JsonObject> AuthorizationCodeAsync(Client client, IReadOnlyDictionary<string, string> form, string issuerUrl, CancellationToken ct)
    {
        var value = Value(form, "code") ?? throw OAuthException.InvalidRequest("code is required.");
        var now = time.GetUtcNow();
        var family = Guid.NewGuid().ToString("N");
        var redeemed = await store.TryRedeemCodeAsync(Secrets.Hash(value), family, ct) ?? throw OAuthException.InvalidGrant("The authorization code is not valid.");
        var code = redeemed.Code;
        if (!redeemed.Redeemed)
        {
            await store.RevokeFamilyAsync(code.IssuedFamily!, now + options.Value.AccessTokenLifetime, ct);
            throw OAuthException.InvalidGrant("The authorization code was used before; the tokens issued for it are revoked.");
        }
        if (code.Expires <= now) throw OAuthException.InvalidGrant("The authorization code has expired.");
        if (code.ClientId != client.Id) throw OAuthException.InvalidGrant("The authorization code was issued to another client.");
        if (Value(form, "redirect_uri") != code.RedirectUri) throw OAuthException.InvalidGrant("redirect_uri differs from the one of the authorization request.");
        var verifier = Value(form, "code_verifier");
        if (code.CodeChallenge is null)
        {
            if (verifier is not null) throw OAuthException.InvalidGrant("code_verifier was sent but the authorization request had no code_challenge.");
        }
        else if (!Pkce.Verify(verifier, code.CodeChallenge))
        {
            throw OAuthException.InvalidGrant(verifier is null ? "code_verifier is required (PKCE)." : "code_verifier does not match the code_challenge (PKCE).");
        }
        var account = await ActiveAccountAsync(code.AccountId);
        return await UserTokensAsync(client, account, code.Scope, code.AuthTime, code.Amr, code.Nonce, family, issuerUrl, ct);

        async Task<Account> ActiveAccountAsync(string id) =>
            await store.GetAccountAsync(id, ct) is { Disabled: false } a ? a : throw OAuthException.InvalidGrant("The account is disabled or deleted.");
    }

    private async Task<JsonObject> ClientCredentialsAsync(Client client, IReadOnlyDictionary<string, string> form, string issuerUrl, CancellationToken ct)
    {
        var scope = ClientRules.GrantedScope(client, Value(form, "scope"), "openid", "offline_access", "profile", "email");
        var roles = TenantMembership.RolesByTenant(client.Memberships);
        var access = await issuer.AccessTokenAsync(issuerUrl, new TokenSubject(client.Id, client.Id, scope, roles, [], null, null), client.SigningAlgorithm, ct);
        return Response(access, scope);
    }

    private async Task<JsonObject> RefreshAsync(Client client, IReadOnlyDictionary<string, string> form, string issuerUrl, CancellationToken ct)
    {
        var value = Value(form, "refresh_token") ?? throw OAuthException.InvalidRequest("refresh_token is required.");
        var now = time.GetUtcNow();
        var hash = Secrets.Hash(value);
        var token = await store.GetRefreshTokenAsync(hash, ct);
        if (token is null || token.ClientId != client.Id) throw OAuthException.InvalidGrant("The refresh token is not valid.");
        if (token.Revoked) throw OAuthException.InvalidGrant("The refresh token has been revoked.");
        if (token.Expires <= now) throw OAuthException.InvalidGrant("The refresh token has expired.");
        var scope = token.Scope;
        // Checked before the token is consumed: a refused request must leave the client its refresh token.
        if (Value(form, "scope") is { } narrower)
        {
            var asked = narrower.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var granted = token.Scope.Split(' ');
            if (asked.Any(s => !granted.Contains(s))) throw OAuthException.InvalidScope("A refresh may only narrow the scope of the grant.");
            scope = string.Join(' ', asked);
        }
        if (!await store.TryConsumeRefreshTokenAsync(hash, now, ct))
        {
            await store.RevokeFamilyAsync(token.Family, now + options.Value.AccessTokenLifetime, ct);
            throw OAuthException.InvalidGrant("The refresh token was used before; every token of this grant is now revoked.");
        }
        var account = await store.GetAccountAsync(token.AccountId, ct);
        if (account is null || account.Disabled)
        {
            await store.RevokeFamilyAsync(token.Family, now + options.Value.AccessTokenLifetime, ct);
            throw OAuthException.InvalidGrant("The account is disabled or deleted.");
        }
        return await UserTokensAsync(client, account, scope, token.AuthTime, token.Amr, nonce: null, token.Family, issuerUrl, ct);
    }

    private async Task<JsonObject> UserTokensAsync(Client client, Account account, string scope, DateTimeOffset authTime, List<string> amr,
        string? nonce, string family, string issuerUrl, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var access = await issuer.AccessTokenAsync(issuerUrl,
            new TokenSubject(account.Id, client.Id, scope, account.RolesByTenant(), amr, authTime, family), client.SigningAlgorithm, ct);
        await store.RecordGrantAsync(family, account.Id, access.Expires, now, ct);
        var response = Response(access, scope);
        // OpenID Connect Core 11: a refresh token (access while the user is not signed in) only when offline_access was granted.
        if (ClientRules.AllowsGrant(client, GrantTypes.RefreshToken) && scope.Split(' ').Contains("offline_access"))
        {
            var refresh = Secrets.NewToken();
            await store.SaveRefreshTokenAsync(Secrets.Hash(refresh), new RefreshToken
            {
                Family = family,
                ClientId = client.Id,
                AccountId = account.Id,
                Scope = scope,
                AuthTime = authTime,
                Amr = amr,
                Issued = now,
                Expires = now + options.Value.RefreshTokenLifetime,
            }, now, ct);
            response["refresh_token"] = refresh;
        }
        if (scope.Split(' ').Contains("openid"))
        {
            response["id_token"] = await issuer.IdTokenAsync(issuerUrl, account, client.Id, scope, nonce, authTime, amr, client.SigningAlgorithm, ct);
        }
        return response;
    }

    private JsonObject Response(IssuedToken access, string scope) => new()
    {
        ["access_token"] = access.Token,
        ["token_type"] = "Bearer",
        ["expires_in"] = (long)options.Value.AccessTokenLifetime.TotalSeconds,
        ["scope"] = scope,
    };

    private static string? Value(IReadOnlyDictionary<string, string> form, string name) =>
        form.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
}
