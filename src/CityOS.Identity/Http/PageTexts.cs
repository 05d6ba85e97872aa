namespace CityOS.Identity.Http;

/// <summary>The words of the sign-in pages in Japanese and English.</summary>
public sealed record PageTexts(
    string Lang,
    string SignInTitle,
    string Username,
    string Password,
    string SignIn,
    string InvalidCredentials,
    string Locked,
    string Disabled,
    string OtpTitle,
    string OtpPrompt,
    string OtpCode,
    string Verify,
    string InvalidOtp,
    string CsrfFailed,
    string ErrorTitle,
    string SignedOut,
    string EnrolTitle,
    string EnrolPrompt,
    string SecretLabel,
    string EnrolDone,
    string RecoveryCodesNote,
    string SignOutPrompt,
    string SignOut)
{
    public static readonly PageTexts Japanese = new(
        "ja", "CityOS にサインイン", "ユーザー名", "パスワード", "サインイン",
        "ユーザー名またはパスワードが正しくありません。",
        "サインインの失敗が続いたため、このユーザー名でのサインインを一時的にロックしています。しばらくしてから再度お試しください。",
        "このアカウントは無効化されています。管理者にお問い合わせください。",
        "2段階認証", "認証アプリに表示されている6桁のコード、またはリカバリーコードを入力してください。", "確認コード", "確認",
        "確認コードが正しくありません。", "フォームの有効期限が切れました。もう一度お試しください。", "エラー", "サインアウトしました。",
        "2段階認証の設定", "認証アプリで QR コードを読み取り、表示された6桁のコードを入力してください。", "シークレットキー",
        "2段階認証を有効にしました。", "次のリカバリーコードを安全な場所に保管してください。各コードは一度だけ使えます。",
        "CityOS からサインアウトしますか？", "サインアウト");

    public static readonly PageTexts English = new(
        "en", "Sign in to CityOS", "User name", "Password", "Sign in",
        "The user name or password is not correct.",
        "Sign-in with this user name is locked for a while after too many failed attempts. Please try again later.",
        "This account is disabled. Please contact your administrator.",
        "Two-step verification", "Enter the six-digit code of your authenticator app, or a recovery code.", "Verification code", "Verify",
        "The verification code is not correct.", "The form has expired. Please try again.", "Error", "You have signed out.",
        "Set up two-step verification", "Scan the QR code with your authenticator app and enter the six-digit code it shows.", "Secret key",
        "Two-step verification is on.", "Keep these recovery codes somewhere safe. Each one works once.",
        "Do you want to sign out of CityOS?", "Sign out");

    /// <summary>ui_locales (OpenID Connect, space-separated, by preference) first, then Accept-Language, then Japanese.</summary>
    public static PageTexts For(string? uiLocales, string? acceptLanguage)
    {
        foreach (var tag in (uiLocales ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Match(tag) is { } texts) return texts;
        }
        var ranked = (acceptLanguage ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split(';'))
            .Select(p => (Tag: p[0].Trim(), Q: p.Skip(1).Select(q => q.Trim()).Where(q => q.StartsWith("q=", StringComparison.Ordinal))
                .Select(q => double.TryParse(q[2..], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0).FirstOrDefault(1.0)))
            .OrderByDescending(p => p.Q);
        foreach (var (tag, q) in ranked)
        {
            if (q > 0 && Match(tag) is { } texts) return texts;
        }
        return Japanese;
    }

    private static PageTexts? Match(string tag) =>
        tag.StartsWith("ja", StringComparison.OrdinalIgnoreCase) ? Japanese
        : tag.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? English
        : null;
}
