using CityOS.Core.Hosting;

namespace CityOS.Identity;

/// <summary>The identity settings the provider cannot work with (checked when the host starts).</summary>
internal sealed class IdentityOptionsValidator : OptionsValidator<IdentityOptions>
{
    protected override string Section => IdentityOptions.Section;

    protected override void Check(IdentityOptions o, OptionChecks checks)
    {
        if (o.Issuer is { Length: > 0 } issuer) checks.Require(IsHttpUrl(issuer), $"{checks.Setting(nameof(o.Issuer))} '{issuer}' must be an absolute http(s) URL.");
        checks.Require(o.Audience.Length > 0, $"{checks.Setting(nameof(o.Audience))} must not be empty.");
        checks.Positive(nameof(o.AccessTokenLifetime), o.AccessTokenLifetime);
        checks.Positive(nameof(o.IdTokenLifetime), o.IdTokenLifetime);
        checks.Positive(nameof(o.RefreshTokenLifetime), o.RefreshTokenLifetime);
        checks.Positive(nameof(o.AuthorizationCodeLifetime), o.AuthorizationCodeLifetime);
        checks.Positive(nameof(o.SessionLifetime), o.SessionLifetime);
        checks.Positive(nameof(o.LoginStepLifetime), o.LoginStepLifetime);
        checks.Positive(nameof(o.SigningKeyLifetime), o.SigningKeyLifetime);
        checks.NotNegative(nameof(o.CacheMaxAge), o.CacheMaxAge);
        checks.AtLeast(nameof(o.ValidatedTokenCacheSize), o.ValidatedTokenCacheSize, 0);
        checks.AtLeast(nameof(o.LockoutThreshold), o.LockoutThreshold, 1);
        checks.Positive(nameof(o.LockoutWindow), o.LockoutWindow);
        checks.Positive(nameof(o.LockoutDuration), o.LockoutDuration);
        checks.AtLeast(nameof(o.AccountLockoutThreshold), o.AccountLockoutThreshold, 0);
        checks.AtLeast(nameof(o.SignInRequestsPerMinute), o.SignInRequestsPerMinute, 0);
        checks.AtLeast(nameof(o.TokenRequestsPerMinute), o.TokenRequestsPerMinute, 0);
        checks.AtLeast(nameof(o.PasswordMinLength), o.PasswordMinLength, 1);
        checks.AtLeast(nameof(o.PasswordIterations), o.PasswordIterations, 1);
        checks.NotNegative(nameof(o.TrustedIssuerCacheLifetime), o.TrustedIssuerCacheLifetime);
        for (var i = 0; i < o.TrustedIssuers.Count; i++)
        {
            checks.Require(IsHttpUrl(o.TrustedIssuers[i].Issuer),
                $"{checks.Setting($"{nameof(o.TrustedIssuers)}:{i}:Issuer")} '{o.TrustedIssuers[i].Issuer}' must be an absolute http(s) URL.");
        }
    }

    private static bool IsHttpUrl(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
}
