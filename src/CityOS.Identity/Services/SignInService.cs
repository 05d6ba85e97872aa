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
/// open (AU-4). A session is "pending" between a right password and a right TOTP code.
/// </summary>
public sealed class SignInService(IIdentityStore store, IOptions<IdentityOptions> options, TimeProvider time)
{
    /// <summary>Hash checked for unknown user names, so their answer takes as long as a wrong password.</summary>
    private readonly Lazy<string> _decoyHash = new(() => PasswordHasher.Hash(Secrets.NewToken(), options.Value.PasswordIterations));

    private LockoutPolicy Lockout => new(options.Value.LockoutThreshold, options.Value.LockoutWindow, options.Value.LockoutDuration);

    public async Task<SignInResult> PasswordAsync(string username, string password, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var account = await store.FindAccountAsync(username.Trim(), ct);
        if (account is null)
        {
            PasswordHasher.Verify(password, _decoyHash.Value);
            return Failed(SignInFailure.InvalidCredentials);
        }
        if (Lockout.IsLocked(account, now)) return Failed(SignInFailure.Locked);
        if (!PasswordHasher.Verify(password, account.PasswordHash))
        {
            var updated = await store.UpdateAccountAsync(account.Id, a => Lockout.RecordFailure(a, now), ct);
            return Failed(updated is not null && Lockout.IsLocked(updated, now) ? SignInFailure.Locked : SignInFailure.InvalidCredentials);
        }
        if (account.Disabled) return Failed(SignInFailure.Disabled);
        var pendingMfa = account.Totp is not null;
        if (!pendingMfa) await store.UpdateAccountAsync(account.Id, LockoutPolicy.RecordSuccess, ct);
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
    public async Task<SignInResult> SecondFactorAsync(string? sessionToken, string code, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var session = await SessionAsync(sessionToken, pending: true, ct);
        if (session is null) return Failed(SignInFailure.InvalidCredentials);
        var account = await store.GetAccountAsync(session.AccountId, ct);
        if (account?.Totp is null) return Failed(SignInFailure.InvalidCredentials);
        if (account.Disabled) return Failed(SignInFailure.Disabled);
        if (Lockout.IsLocked(account, now)) return Failed(SignInFailure.Locked);

        var step = Totp.Verify(Base32.Decode(account.Totp.Secret), code, now, account.Totp.LastAcceptedStep);
        var recoveryHash = RecoveryCodeHash(account.Id, code);
        var recovery = step is null && account.RecoveryCodeHashes.Contains(recoveryHash);
        if (step is null && !recovery)
        {
            var updated = await store.UpdateAccountAsync(account.Id, a => Lockout.RecordFailure(a, now), ct);
            return Failed(updated is not null && Lockout.IsLocked(updated, now) ? SignInFailure.Locked : SignInFailure.InvalidCredentials);
        }
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
        await store.SaveSessionAsync(Secrets.Hash(sessionToken!), session with { Expires = now, Ended = true }, ct);
        return await OpenSessionAsync(session with
        {
            Id = Guid.NewGuid().ToString("N"),
            Amr = ["pwd", "otp"],
            PendingMfa = false,
            Expires = now + options.Value.SessionLifetime,
        }, ct);
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
