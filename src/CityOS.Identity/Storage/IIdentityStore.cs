using CityOS.Identity.Model;

namespace CityOS.Identity.Storage;

/// <summary>
/// Persistence of the identity block. Secrets arrive here already hashed: codes, refresh tokens and
/// sessions are keyed by the SHA-256 of their value, so a copy of the database cannot replay them.
/// Methods whose name starts with Try change state only if the stated condition holds, atomically.
/// </summary>
public interface IIdentityStore
{
    /// <summary>
    /// Raised after a write through this store that can make a token, a client or an account answer differently:
    /// in-memory caches listen. Writes by another process (the command line) are not seen; those caches expire
    /// after <see cref="IdentityOptions.CacheMaxAge"/> instead.
    /// </summary>
    event Action<IdentityChange>? Changed;

    Task<bool> PingAsync(CancellationToken ct);

    Task CreateAccountAsync(Account account, CancellationToken ct);
    Task<Account?> GetAccountAsync(string id, CancellationToken ct);
    Task<Account?> FindAccountAsync(string username, CancellationToken ct);
    Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct);

    /// <summary>Applies <paramref name="change"/> to the current record atomically; null if the account does not exist.</summary>
    Task<Account?> UpdateAccountAsync(string id, Func<Account, Account> change, CancellationToken ct);
    Task<bool> DeleteAccountAsync(string id, CancellationToken ct);

    Task CreateClientAsync(Client client, CancellationToken ct);
    Task<Client?> GetClientAsync(string id, CancellationToken ct);
    Task<IReadOnlyList<Client>> ListClientsAsync(CancellationToken ct);
    Task<bool> DeleteClientAsync(string id, CancellationToken ct);

    Task SaveRoleAsync(Role role, CancellationToken ct);
    Task<IReadOnlyList<Role>> ListRolesAsync(string tenant, CancellationToken ct);
    Task<bool> DeleteRoleAsync(string tenant, string name, CancellationToken ct);

    Task SavePolicyAsync(Policy policy, CancellationToken ct);
    Task<Policy?> GetPolicyAsync(string id, CancellationToken ct);
    Task<IReadOnlyList<Policy>> ListPoliciesAsync(CancellationToken ct);
    Task<bool> DeletePolicyAsync(string id, CancellationToken ct);

    Task SaveSessionAsync(string idHash, LoginSession session, CancellationToken ct);
    Task<LoginSession?> GetSessionAsync(string idHash, CancellationToken ct);

    Task SaveCodeAsync(string codeHash, AuthorizationCode code, DateTimeOffset now, CancellationToken ct);

    /// <summary>Marks the code redeemed with the family of the tokens it yields. Returns the code and whether this call redeemed it (false: redeemed before).</summary>
    Task<(AuthorizationCode Code, bool Redeemed)?> TryRedeemCodeAsync(string codeHash, string family, CancellationToken ct);

    Task SaveRefreshTokenAsync(string tokenHash, RefreshToken token, DateTimeOffset now, CancellationToken ct);
    Task<RefreshToken?> GetRefreshTokenAsync(string tokenHash, CancellationToken ct);

    /// <summary>Marks an unused, unrevoked refresh token consumed; false if it was consumed or revoked already.</summary>
    Task<bool> TryConsumeRefreshTokenAsync(string tokenHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>Revokes every refresh token of a grant and, until <paramref name="keepUntil"/>, its access tokens.</summary>
    Task RevokeFamilyAsync(string family, DateTimeOffset keepUntil, CancellationToken ct);

    /// <summary>Remembers that grant <paramref name="family"/> gave <paramref name="accountId"/> access tokens valid until <paramref name="accessTokensExpire"/>.</summary>
    Task RecordGrantAsync(string family, string accountId, DateTimeOffset accessTokensExpire, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Ends everything an account signed in to: its sign-in sessions, unredeemed codes, refresh tokens and (until
    /// <paramref name="keepUntil"/>, when they would have expired) the access tokens of all its grants.
    /// </summary>
    Task RevokeAccountAsync(string accountId, DateTimeOffset keepUntil, CancellationToken ct);

    /// <summary>An access token id (jti) that must no longer be accepted, remembered until the token would expire anyway.</summary>
    Task RevokeAccessTokenAsync(string jti, DateTimeOffset expires, DateTimeOffset now, CancellationToken ct);

    /// <summary>True if the access token or its grant family was revoked.</summary>
    Task<bool> IsRevokedAsync(string jti, string? family, CancellationToken ct);

    Task<IReadOnlyList<SigningKey>> ListSigningKeysAsync(CancellationToken ct);
    Task SaveSigningKeyAsync(SigningKey key, CancellationToken ct);
}

/// <summary>What changed: an account (updated or deleted), a client (deleted), or a revocation of tokens (by jti or grant family).</summary>
public sealed record IdentityChange(IdentityChangeKind Kind, string Id);

public enum IdentityChangeKind
{
    Account,
    Client,
    Revocation,
}
