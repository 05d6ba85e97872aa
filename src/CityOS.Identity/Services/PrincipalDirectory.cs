using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Storage;
using CityOS.Identity.Tokens;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Services;

/// <summary>
/// The live principals of this provider (<see cref="IPrincipalDirectory"/>): an account is current while it exists and is
/// enabled, with the roles it holds now; a client while it is registered, with its roles now; a user's grant also ends with
/// the client it was issued to. Accounts are kept in memory (deleted ones too, as absent: their ids never come back) and
/// forgotten when they change through this process; changes by another process are seen within
/// <see cref="IdentityOptions.CacheMaxAge"/>.
/// </summary>
/// <remarks>
/// A federated owner (a trusted issuer's subject) is taken as its token described it while that issuer stays configured:
/// this City OS cannot ask another one whether its user still exists. Removing the issuer from
/// <see cref="IdentityOptions.TrustedIssuers"/> ends every grant of its subjects.
/// </remarks>
public sealed class PrincipalDirectory : IPrincipalDirectory
{
    private const int CachedAccounts = 10_000;

    private readonly IIdentityStore _store;
    private readonly ClientRegistry _clients;
    private readonly TrustedIssuers _trusted;
    private readonly IssuerUrl _issuer;
    private readonly IOptions<IdentityOptions> _options;
    private readonly TimeProvider _time;
    private readonly ExpiringCache<AccountState> _accounts = new(CachedAccounts);

    public PrincipalDirectory(IIdentityStore store, ClientRegistry clients, TrustedIssuers trusted, IssuerUrl issuer, IOptions<IdentityOptions> options, TimeProvider time)
    {
        _store = store;
        _clients = clients;
        _trusted = trusted;
        _issuer = issuer;
        _options = options;
        _time = time;
        store.Changed += change =>
        {
            if (change.Kind == IdentityChangeKind.Account) _accounts.RemoveWhere(state => state.Id == change.Id);
        };
    }

    public ValueTask<CallerIdentity?> CurrentAsync(CallerIdentity snapshot, CancellationToken ct) => CurrentAsync(snapshot, fromMemory: true, ct);

    /// <param name="snapshot">The principal as written down (or as a token describes it).</param>
    /// <param name="fromMemory">
    /// False reads identity.db: the validator keeps its own cache of the result, and two caches in a row would double the
    /// time another process's change takes to be seen.
    /// </param>
    /// <param name="ct">Cancels the database reads.</param>
    public async ValueTask<CallerIdentity?> CurrentAsync(CallerIdentity snapshot, bool fromMemory, CancellationToken ct)
    {
        if (snapshot.IsAnonymous) return snapshot;
        if (_trusted.Find(snapshot.Issuer) is not null) return snapshot;
        if (!_issuer.IsThis(snapshot.Issuer)) return null;
        Client? client = null;
        if (snapshot.ClientId is { } clientId
            && (client = fromMemory ? await _clients.FindAsync(clientId, ct) : await _store.GetClientAsync(clientId, ct)) is null)
        {
            return null;
        }
        if (client is not null && snapshot.Subject == client.Id) return snapshot with { TenantRoles = TenantMembership.RolesByTenant(client.Memberships) };
        var account = fromMemory ? await AccountAsync(snapshot.Subject, ct) : await _store.GetAccountAsync(snapshot.Subject, ct);
        return account is null || account.Disabled ? null : snapshot with { TenantRoles = account.RolesByTenant() };
    }

    private async ValueTask<Account?> AccountAsync(string id, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (_accounts.TryGet(id, now, out var cached)) return cached.Account;
        var generation = _accounts.Generation;
        var account = await _store.GetAccountAsync(id, ct);
        _accounts.Add(id, new AccountState(id, account), now + _options.Value.CacheMaxAge, generation, now);
        return account;
    }

    /// <summary>What identity.db said of an account id: the account, or null once deleted.</summary>
    private sealed record AccountState(string Id, Account? Account);
}
