using CityOS.Identity.Model;

namespace CityOS.Identity.Rules;

/// <summary>
/// Brute-force protection: <c>threshold</c> failed sign-ins within <c>window</c> lock for <c>duration</c>; a threshold of 0
/// never locks. Applied to failures of one user name from one source (<see cref="Services.SignInThrottle"/>) and, when
/// configured, to an account's failures from everywhere.
/// </summary>
public sealed class LockoutPolicy(int threshold, TimeSpan window, TimeSpan duration)
{
    public bool IsLocked(Account account, DateTimeOffset now) => IsLocked(account.LockedUntil, now);

    public static bool IsLocked(DateTimeOffset? lockedUntil, DateTimeOffset now) => lockedUntil is { } until && until > now;

    /// <summary>The account after one more failure at <paramref name="now"/>: older failures leave the window; the last one that reaches the threshold locks.</summary>
    public Account RecordFailure(Account account, DateTimeOffset now)
    {
        var (failures, lockedUntil) = RecordFailure(account.FailedLogins, account.LockedUntil, now);
        return account with { FailedLogins = failures, LockedUntil = lockedUntil };
    }

    public (List<DateTimeOffset> Failures, DateTimeOffset? LockedUntil) RecordFailure(IEnumerable<DateTimeOffset> failures, DateTimeOffset? lockedUntil, DateTimeOffset now)
    {
        var recent = failures.Where(t => t > now - window).Append(now).ToList();
        return threshold > 0 && recent.Count >= threshold ? ([], now + duration) : (recent, lockedUntil);
    }

    public static Account RecordSuccess(Account account) => account with { FailedLogins = [], LockedUntil = null };
}
