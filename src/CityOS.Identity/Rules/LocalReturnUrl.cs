namespace CityOS.Identity.Rules;

/// <summary>Where the login page may send the browser back to: only this provider's own pages (no open redirect).</summary>
public static class LocalReturnUrl
{
    public const string Prefix = "/identity/v1/";

    public static bool IsSafe(string? url) =>
        url is not null && url.StartsWith(Prefix, StringComparison.Ordinal) && !url.Contains('\\') && !url.Contains("//", StringComparison.Ordinal)
        && !url.Contains("/..", StringComparison.Ordinal) && url.All(c => c > ' ' && c < 127);
}
