using CityOS.Identity.Rules;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Services;

/// <summary>
/// Per-source back-off of sign-in: <see cref="IdentityOptions.LockoutThreshold"/> failures for one user name from one
/// source address within <see cref="IdentityOptions.LockoutWindow"/> block that source, for that user name, for
/// <see cref="IdentityOptions.LockoutDuration"/>. Unknown user names are counted like real ones, so the answer never tells
/// whether an account exists; and an attacker elsewhere cannot lock an administrator out of their own desk. Kept in memory:
/// a restart forgets it, which costs an attacker nothing it could not get by waiting.
/// </summary>
public sealed class SignInThrottle(IOptions<IdentityOptions> options, TimeProvider time)
{
    /// <summary>Bounds the memory an attacker who varies user names and addresses can make this use.</summary>
    private const int MaxEntries = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Attempts> _attempts = new(StringComparer.Ordinal);

    private LockoutPolicy Policy => new(options.Value.LockoutThreshold, options.Value.LockoutWindow, options.Value.LockoutDuration);

    public bool IsLocked(string source, string username)
    {
        lock (_gate) return _attempts.TryGetValue(Key(source, username), out var attempts) && LockoutPolicy.IsLocked(attempts.LockedUntil, time.GetUtcNow());
    }

    /// <summary>Counts a failure; true when it locks (or the pair was locked already).</summary>
    public bool RecordFailure(string source, string username)
    {
        var now = time.GetUtcNow();
        var key = Key(source, username);
        lock (_gate)
        {
            if (_attempts.Count >= MaxEntries) Evict(now);
            var before = _attempts.GetValueOrDefault(key) ?? new Attempts([], null);
            var (failures, lockedUntil) = Policy.RecordFailure(before.Failures, before.LockedUntil, now);
            _attempts[key] = new Attempts(failures, lockedUntil);
            return LockoutPolicy.IsLocked(lockedUntil, now);
        }
    }

    public void RecordSuccess(string source, string username)
    {
        lock (_gate) _attempts.Remove(Key(source, username));
    }

    private static string Key(string source, string username) => source + "\n" + username.Trim().ToUpperInvariant();

    /// <summary>Drops what no longer counts, then (under a flood of distinct names) the oldest half.</summary>
    private void Evict(DateTimeOffset now)
    {
        var window = options.Value.LockoutWindow;
        foreach (var (key, attempts) in _attempts.ToArray())
        {
            if (!LockoutPolicy.IsLocked(attempts.LockedUntil, now) && attempts.Failures.All(t => t <= now - window)) _attempts.Remove(key);
        }
        if (_attempts.Count < MaxEntries * 3 / 4) return;
        foreach (var key in _attempts.OrderBy(a => a.Value.Failures.LastOrDefault()).Take(_attempts.Count / 2).Select(a => a.Key).ToArray()) _attempts.Remove(key);
    }

    private sealed record Attempts(List<DateTimeOffset> Failures, DateTimeOffset? LockedUntil);
}
