using CityOS.Core.Http;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;

namespace CityOS.Identity.Http;

/// <summary>The provider's HTML pages: small, self-contained, no script, framing refused.</summary>
public static class Pages
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    public static IResult SignIn(PageTexts t, string csrf, string returnTo, string? error, int status = 200, string? username = null) =>
        Page(t, t.SignInTitle, status, $"""
            {ErrorBox(error)}<form method="post" action="/identity/v1/login">
            <input type="hidden" name="csrf" value="{E(csrf)}">
            <input type="hidden" name="return_to" value="{E(returnTo)}">
            <input type="hidden" name="ui_locales" value="{E(t.Lang)}">
            <label>{E(t.Username)}<br><input name="username" autocomplete="username" required value="{E(username ?? "")}"></label>
            <label>{E(t.Password)}<br><input name="password" type="password" autocomplete="current-password" required></label>
            <button type="submit">{E(t.SignIn)}</button>
            </form>
            """);

    public static IResult SecondFactor(PageTexts t, string csrf, string returnTo, string? error, int status = 200) =>
        Page(t, t.OtpTitle, status, $"""
            {ErrorBox(error)}<p>{E(t.OtpPrompt)}</p>
            <form method="post" action="/identity/v1/login/otp">
            <input type="hidden" name="csrf" value="{E(csrf)}">
            <input type="hidden" name="return_to" value="{E(returnTo)}">
            <input type="hidden" name="ui_locales" value="{E(t.Lang)}">
            <label>{E(t.OtpCode)}<br><input name="code" inputmode="numeric" autocomplete="one-time-code" required></label>
            <button type="submit">{E(t.Verify)}</button>
            </form>
            """);

    public static IResult Enrol(PageTexts t, string csrf, Services.TotpOffer offer, string? error, int status = 200) =>
        Page(t, t.EnrolTitle, status, $"""
            {ErrorBox(error)}<p>{E(t.EnrolPrompt)}</p>
            <p><img id="qr" alt="QR" src="{E(offer.QrCodeDataUri)}"></p>
            <p>{E(t.SecretLabel)}: <code id="secret">{E(offer.Secret)}</code></p>
            <form method="post" action="/identity/v1/account/mfa">
            <input type="hidden" name="csrf" value="{E(csrf)}">
            <input type="hidden" name="ui_locales" value="{E(t.Lang)}">
            <label>{E(t.OtpCode)}<br><input name="code" inputmode="numeric" autocomplete="one-time-code" required></label>
            <button type="submit">{E(t.Verify)}</button>
            </form>
            """);

    public static IResult RecoveryCodes(PageTexts t, IReadOnlyList<string> codes) =>
        Page(t, t.EnrolDone, 200, $"""
            <p>{E(t.RecoveryCodesNote)}</p>
            <ul id="recovery-codes">{string.Concat(codes.Select(c => $"<li><code>{E(c)}</code></li>"))}</ul>
            """);

    /// <summary>The sign-out question, for a logout request that did not prove it comes from a client of the user (no id_token_hint).</summary>
    public static IResult ConfirmSignOut(PageTexts t, string csrf, IReadOnlyDictionary<string, string> parameters) =>
        Page(t, t.SignOut, 200, $"""
            <p>{E(t.SignOutPrompt)}</p>
            <form method="post" action="/identity/v1/oauth/logout">
            <input type="hidden" name="csrf" value="{E(csrf)}">
            {string.Concat(parameters.Where(p => p.Key is "client_id" or "post_logout_redirect_uri" or "state" or "ui_locales").Select(p => $"<input type=\"hidden\" name=\"{E(p.Key)}\" value=\"{E(p.Value)}\">\n"))}<button type="submit">{E(t.SignOut)}</button>
            </form>
            """);

    public static IResult Message(PageTexts t, string title, string message, int status) =>
        Page(t, title, status, $"<p>{E(message)}</p>");

    private static string ErrorBox(string? error) => error is null ? "" : $"<p class=\"error\" role=\"alert\">{E(error)}</p>\n";

    private static string E(string text) => Html.Encode(text);

    private static IResult Page(PageTexts t, string title, int status, string body)
    {
        var html = $"""
            <!DOCTYPE html>
            <html lang="{t.Lang}">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{E(title)}</title>
            <style>body{"{"}font-family:sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem{"}"}label,button{"{"}display:block;margin:.8rem 0{"}"}input{"{"}width:100%;padding:.4rem{"}"}.error{"{"}color:#b00{"}"}</style></head>
            <body><h1>{E(title)}</h1>
            {body}
            </body></html>
            """;
        return new HtmlPageResult(html, status, "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'", "no-referrer");
    }
}
