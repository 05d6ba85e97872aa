using CityOS.Identity.Model;

namespace CityOS.Identity.Rules;

/// <summary>Brute-force protection: <c>threshold</c> failed sign-ins within <c>window</c> lock the account for <c>duration</c>.</summary>
public sealed class LockoutPolicy(int threshold, TimeSpan window, TimeSpan duration)
{
    public bool IsLocked(Account account, DateTimeOffset now) => account.LockedUntil is { } until && until > now;

    /// <summary>The account after one more failure at <paramref name="now"/>: older failures leave the window; the last one that reaches the threshold locks.</summary>
    public Account RecordFailure(Account account, DateTimeOffset now)
    {
        var recent = account.FailedLogins.Where(t => t > now - window).Append(now).ToList();
        return recent.Count >= threshold
            ? account with { FailedLogins = [], LockedUntil = now + duration }
            : account with { FailedLogins = recent };
    }

    public static Account RecordSuccess(Account account) => account with { FailedLogins = [], LockedUntil = null };
}
