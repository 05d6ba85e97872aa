using CityOS.Identity.Rules;
using Microsoft.AspNetCore.Http;

namespace CityOS.Identity.Http;

/// <summary>
/// Double-submit CSRF protection for the sign-in forms: a random value in a SameSite=Strict, HttpOnly
/// cookie must come back in the form's hidden field. Another site can neither read the cookie nor
/// make the browser send it with a cross-site POST.
/// </summary>
public static class Csrf
{
    public const string CookieName = "cityos_csrf";
    public const string FieldName = "csrf";

    public static string Token(HttpContext context)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out var existing) && existing.Length >= 32) return existing;
        var token = Secrets.NewToken();
        context.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = OAuthHttp.CookiePath,
        });
        return token;
    }

    public static bool IsValid(HttpContext context, IFormCollection form) =>
        form.TryGetValue(FieldName, out var field) && field.Count == 1 && IsValid(context, field.ToString());

    public static bool IsValid(HttpContext context, string? field) =>
        context.Request.Cookies.TryGetValue(CookieName, out var cookie) && cookie.Length >= 32
        && field is not null && Secrets.FixedTimeEquals(cookie, field);
}
