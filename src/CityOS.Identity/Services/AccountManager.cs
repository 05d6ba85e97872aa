using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Storage;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Services;

/// <summary>What an administrator (API or CLI) gives to create or change an account; null members stay unchanged.</summary>
public sealed record AccountDraft
{
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string? DisplayName { get; init; }
    public string? Organisation { get; init; }
    public string? Email { get; init; }
    public string? Locale { get; init; }
    public List<TenantMembership>? Memberships { get; init; }
}

/// <summary>Account lifecycle rules (AU-5, AU-6) shared by the admin API and the command line.</summary>
public sealed class AccountManager(IIdentityStore store, IOptions<IdentityOptions> options, TimeProvider time)
{
    public static readonly string[] Locales = ["ja", "en"];

    public async Task<Account> CreateAsync(AccountDraft draft, CancellationToken ct)
    {
        var username = draft.Username?.Trim() ?? throw NgsiLdException.BadRequest("username is required.");
        CheckUsername(username);
        var password = draft.Password ?? throw NgsiLdException.BadRequest("password is required.");
        CheckPassword(password, username);
        var now = time.GetUtcNow();
        var account = Apply(new Account { Id = "acc-" + Guid.NewGuid().ToString("N"), Username = username, Created = now }, draft, now) with
        {
            PasswordHash = PasswordHasher.Hash(password, options.Value.PasswordIterations),
        };
        await CheckRolesAsync(account.Memberships, ct);
        await store.CreateAccountAsync(account, ct);
        return account;
    }

    public async Task<Account> UpdateAsync(string id, AccountDraft draft, CancellationToken ct)
    {
        if (draft.Password is not null) throw NgsiLdException.BadRequest("Set a password with PUT .../password, not with an update.");
        if (draft.Username is not null) CheckUsername(draft.Username.Trim());
        if (draft.Memberships is not null) await CheckRolesAsync(draft.Memberships, ct);
        var now = time.GetUtcNow();
        return await store.UpdateAccountAsync(id, a => Apply(a, draft, now), ct) ?? throw NotFound(id);
    }

    /// <summary>Administrator password reset: also lifts a lock-out, and signs the account out everywhere.</summary>
    public async Task SetPasswordAsync(string id, string password, CancellationToken ct)
    {
        var account = await GetAsync(id, ct);
        CheckPassword(password, account.Username);
        var hash = PasswordHasher.Hash(password, options.Value.PasswordIterations);
        var now = time.GetUtcNow();
        await store.UpdateAccountAsync(id, a => LockoutPolicy.RecordSuccess(a) with { PasswordHash = hash, Updated = now }, ct);
        await SignOutEverywhereAsync(id, ct);
    }

    /// <summary>Removes the second factor (a lost phone): the user enrols again after signing in; every session of the account ends.</summary>
    public async Task ResetMfaAsync(string id, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        _ = await store.UpdateAccountAsync(id, a => a with { Totp = null, PendingTotpSecret = null, RecoveryCodeHashes = [], Updated = now }, ct) ?? throw NotFound(id);
        await SignOutEverywhereAsync(id, ct);
    }

    /// <summary>Ends the account's sign-in sessions and revokes its refresh and access tokens (a credential change, or an administrator's decision).</summary>
    public async Task SignOutEverywhereAsync(string id, CancellationToken ct)
    {
        _ = await GetAsync(id, ct);
        await store.RevokeAccountAsync(id, time.GetUtcNow() + options.Value.AccessTokenLifetime, ct);
    }

    /// <summary>A suspension: the account's tokens are refused while it is disabled and, unexpired, work again once enabled (unless signed out everywhere).</summary>
    public async Task SetDisabledAsync(string id, bool disabled, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        _ = await store.UpdateAccountAsync(id, a => a with { Disabled = disabled, Updated = now }, ct) ?? throw NotFound(id);
    }

    public async Task DeleteAsync(string id, CancellationToken ct)
    {
        if (!await store.DeleteAccountAsync(id, ct)) throw NotFound(id);
    }

    public async Task<Account> GrantRoleAsync(string id, TenantMembership membership, CancellationToken ct)
    {
        await CheckRolesAsync([membership], ct);
        var now = time.GetUtcNow();
        return await store.UpdateAccountAsync(id, a => a.Memberships.Contains(membership) ? a : a with { Memberships = [.. a.Memberships, membership], Updated = now }, ct)
            ?? throw NotFound(id);
    }

    public async Task<Account> RevokeRoleAsync(string id, TenantMembership membership, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return await store.UpdateAccountAsync(id, a => a with { Memberships = a.Memberships.Where(m => m != membership).ToList(), Updated = now }, ct)
            ?? throw NotFound(id);
    }

    public async Task<Account> GetAsync(string id, CancellationToken ct) => await store.GetAccountAsync(id, ct) ?? throw NotFound(id);

    /// <summary>An account by id, or by user name (the command line's way to name one).</summary>
    public async Task<Account> FindAsync(string idOrUsername, CancellationToken ct) =>
        await store.GetAccountAsync(idOrUsername, ct) ?? await store.FindAccountAsync(idOrUsername, ct) ?? throw NotFound(idOrUsername);

    /// <summary>A role exists when it is built in or a custom role of the tenant; system-admin is held only in every tenant ("*").</summary>
    public async Task CheckRolesAsync(IEnumerable<TenantMembership> memberships, CancellationToken ct)
    {
        foreach (var membership in memberships)
        {
            if (membership.Tenant == SecurityTenants.All)
            {
                if (membership.Role != BuiltInRoles.SystemAdmin) throw NgsiLdException.BadRequest("Only system-admin is held in every tenant ('*').");
                continue;
            }
            Tenancy.Validate(membership.Tenant);
            if (membership.Role == BuiltInRoles.SystemAdmin) throw NgsiLdException.BadRequest("system-admin is held in every tenant: use tenant '*'.");
            if (BuiltInRoles.IsBuiltIn(membership.Role)) continue;
            var custom = await store.ListRolesAsync(membership.Tenant, ct);
            if (!custom.Any(r => r.Name == membership.Role))
            {
                throw NgsiLdException.BadRequest($"Role '{membership.Role}' does not exist in tenant '{membership.Tenant}'.");
            }
        }
    }

    private void CheckPassword(string password, string username)
    {
        if (new PasswordPolicy(options.Value.PasswordMinLength).Check(password, username) is { } problem) throw NgsiLdException.BadRequest(problem);
    }

    private static void CheckUsername(string username)
    {
        if (username.Length is 0 or > 64 || !username.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
        {
            throw NgsiLdException.BadRequest("username must be 1 to 64 ASCII letters, digits, '.', '_', '-' or '@'.");
        }
    }

    private static Account Apply(Account account, AccountDraft draft, DateTimeOffset now)
    {
        if (draft.Locale is not null && !Locales.Contains(draft.Locale)) throw NgsiLdException.BadRequest("locale must be 'ja' or 'en'.");
        if (draft.Email is { Length: > 0 } email && (!email.Contains('@') || email.Length > 254)) throw NgsiLdException.BadRequest($"'{email}' is not an email address.");
        return account with
        {
            Username = draft.Username?.Trim() ?? account.Username,
            DisplayName = draft.DisplayName ?? account.DisplayName,
            Organisation = draft.Organisation ?? account.Organisation,
            Email = draft.Email ?? account.Email,
            Locale = draft.Locale ?? account.Locale,
            Memberships = draft.Memberships?.Distinct().ToList() ?? account.Memberships,
            Updated = now,
        };
    }

    private static NgsiLdException NotFound(string id) => NgsiLdException.NotFound($"No account '{id}'.");
}
