namespace CityOS.Core.Security;

/// <summary>
/// The live state of the principals that own long-lived grants (a subscription, later device credentials): what a
/// caller written down at creation is now. The blocks ask it before acting for an owner that is not calling, so that
/// an account disabled or deleted, a client deleted or a role taken away ends what the owner set up.
/// </summary>
public interface IPrincipalDirectory
{
    /// <summary>
    /// The principal of <paramref name="snapshot"/> as it is now, with its current roles; null when it no longer exists,
    /// is disabled, or its issuer is no longer trusted. Anonymous stays anonymous.
    /// </summary>
    ValueTask<CallerIdentity?> CurrentAsync(CallerIdentity snapshot, CancellationToken ct);
}
