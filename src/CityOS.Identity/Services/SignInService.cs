using System.Security.Cryptography;
using CityOS.Identity.Mfa;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Storage;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Services;

public enum SignInFailure
{
    InvalidCredentials,
    Locked,
    Disabled,
}

/// <summary>The outcome of a sign-in step: a session token (cookie value) or why not.</summary>
public sealed record SignInResult(string? SessionToken, LoginSession? Session, SignInFailure? Failure)
{
    public bool Succeeded => SessionToken is not null;
}

/// <summary>
/// Password and second-factor sign-in with lock-out (AU-1, AU-3), and the single sign-on sessions they
/// open (AU-4). A session is "pending" between a right password and a right TOTP code. Failures back off per
/// source and user name (<see cref="SignInThrottle"/>), and lock the account everywhere only when
/// <see cref="IdentityOptions.AccountLockoutThreshold"/> is set. A locked sign-in answers exactly as a locked
/// unknown user name does, after as long.
/// </summary>
public sealed class SignInService(IIdentityStore store, SignInThrottle throttle, IOptions<IdentityOptions> options, TimeProvider time)
{
    /// <summary>Hash checked for unknown user names and locked sign-ins, so their answer takes as long as a wrong password.</summary>
    private readonly Lazy<string> _decoyHash = new(() => PasswordHasher.Hash(Secrets.NewToken(), options.Value.PasswordIterations));

    private LockoutPolicy AccountLockout => new(options.Value.AccountLockoutThreshold, options.Value.LockoutWindow, options.Value.LockoutDuration);

    /// <param name="username">The user name typed.</param>
    /// <param name="password">The password typed.</param>
    /// <param name="source">The address the attempt comes from (after trusted proxies).</param>
    /// <param name="ct">Cancels the database work.</param>
    public async Task<SignInResult> PasswordAsync(string username, string password, string source, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (throttle.IsLocked(source, username)) return Decoy(password, SignInFailure.Locked);
        var account = await store.FindAccountAsync(username.Trim(), ct);
        if (account is null) return Decoy(password, throttle.RecordFailure(source, username) ? SignInFailure.Locked : SignInFailure.InvalidCredentials);
        if (AccountLockout.IsLocked(account, now)) return Decoy(password, SignInFailure.Locked);
        if (!PasswordHasher.Verify(password, account.PasswordHash)) return await FailedAsync(account, source, username, now, ct);
        if (account.Disabled) return Failed(SignInFailure.Disabled);
        var pendingMfa = account.Totp is not null;
        if (!pendingMfa)
        {
            throttle.RecordSuccess(source, username);
            await store.UpdateAccountAsync(account.Id, LockoutPolicy.RecordSuccess, ct);
        }
        return await OpenSessionAsync(new LoginSession
        {
            Id = Guid.NewGuid().ToString("N"),
            AccountId = account.Id,
            AuthTime = now,
            Expires = now + (pendingMfa ? options.Value.LoginStepLifetime : options.Value.SessionLifetime),
            Amr = ["pwd"],
            PendingMfa = pendingMfa,
        }, ct);
    }

    /// <summary>The second step: a TOTP code (each accepted once) or an unused recovery code.</summary>
    public async Task<SignInResult> SecondFactorAsync(string? sessionToken, string code, string source, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var session = await SessionAsync(sessionToken, pending: true, ct);
        if (session is null) return Failed(SignInFailure.InvalidCredentials);
        var account = await store.GetAccountAsync(session.AccountId, ct);
        if (account?.Totp is null) return Failed(SignInFailure.InvalidCredentials);
        if (account.Disabled) return Failed(SignInFailure.Disabled);
        if (AccountLockout.IsLocked(account, now) || throttle.IsLocked(source, account.Username)) return Failed(SignInFailure.Locked);

        var step = Totp.Verify(Base32.Decode(account.Totp.Secret), code, now, account.Totp.LastAcceptedStep);
        var recoveryHash = RecoveryCodeHash(account.Id, code);
        var recovery = step is null && account.RecoveryCodeHashes.Contains(recoveryHash);
        if (step is null && !recovery) return await FailedAsync(account, source, account.Username, now, ct);
        var consumed = false;
        await store.UpdateAccountAsync(account.Id, a =>
        {
            // Re-checked under the store's lock: two requests with one code must not both pass.
            if (step is { } s && a.Totp is { } totp && s > totp.LastAcceptedStep)
            {
                consumed = true;
                return LockoutPolicy.RecordSuccess(a) with { Totp = totp with { LastAcceptedStep = s } };
            }
            if (recovery && a.RecoveryCodeHashes.Contains(recoveryHash))
            {
                consumed = true;
                return LockoutPolicy.RecordSuccess(a) with { RecoveryCodeHashes = a.RecoveryCodeHashes.Where(h => h != recoveryHash).ToList() };
            }
            return a;
        }, ct);
        if (!consumed) return Failed(SignInFailure.InvalidCredentials);
        throttle.RecordSuccess(source, account.Username);
        await store.SaveSessionAsync(Secrets.Hash(sessionToken!), session with { Expires = now, Ended = true }, ct);
        return await OpenSessionAsync(session with
        {
            Id = Guid.NewGuid().ToString("N"),
            Amr = ["pwd", "otp"],
            PendingMfa = false,
            Expires = now + options.Value.SessionLifetime,
        }, ct);
    }

    /// <summary>A wrong password or code: counted for the source and, if configured, for the account everywhere.</summary>
    private async Task<SignInResult> FailedAsync(Model.Account account, string source, string username, DateTimeOffset now, CancellationToken ct)
    {
        var locked = throttle.RecordFailure(source, username);
        if (options.Value.AccountLockoutThreshold > 0)
        {
            var updated = await store.UpdateAccountAsync(account.Id, a => AccountLockout.RecordFailure(a, now), ct);
            locked |= updated is not null && AccountLockout.IsLocked(updated, now);
        }
        return Failed(locked ? SignInFailure.Locked : SignInFailure.InvalidCredentials);
    }

    /// <summary>A refusal that costs the time of a password check, as a real one does.</summary>
    private SignInResult Decoy(string password, SignInFailure failure)
    {
        PasswordHasher.Verify(password, _decoyHash.Value);
        return Failed(failure);
    }

    /// <summary>The live session of a cookie value: not ended, not expired, pending or complete as asked, account enabled.</summary>
    public async Task<LoginSession?> SessionAsync(string? sessionToken, bool pending, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(sessionToken)) return null;
        var session = await store.GetSessionAsync(Secrets.Hash(sessionToken), ct);
        if (session is null || session.Ended || session.Expires <= time.GetUtcNow() || session.PendingMfa != pending) return null;
        var account = await store.GetAccountAsync(session.AccountId, ct);
        return account is { Disabled: false } ? session : null;
    }

    public async Task EndSessionAsync(string? sessionToken, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(sessionToken)) return;
        var hash = Secrets.Hash(sessionToken);
        if (await store.GetSessionAsync(hash, ct) is { } session)
        {
            await store.SaveSessionAsync(hash, session with { Ended = true }, ct);
        }
    }

    public static string RecoveryCodeHash(string accountId, string code) =>
        Secrets.Hash(accountId + ":" + code.Trim().Replace("-", "", StringComparison.Ordinal).ToUpperInvariant());

    /// <summary>Ten one-time recovery codes like "K7QX-2M9D-PW4R", shown once and stored hashed.</summary>
    public static IReadOnlyList<string> NewRecoveryCodes() =>
        Enumerable.Range(0, 10).Select(_ =>
        {
            var raw = Base32.Encode(RandomNumberGenerator.GetBytes(8))[..12];
            return $"{raw[..4]}-{raw[4..8]}-{raw[8..]}";
        }).ToArray();

    private async Task<SignInResult> OpenSessionAsync(LoginSession session, CancellationToken ct)
    {
        var token = Secrets.NewToken();
        await store.SaveSessionAsync(Secrets.Hash(token), session, ct);
        return new SignInResult(token, session, null);
    }

    private static SignInResult Failed(SignInFailure failure) => new(null, null, failure);
}
