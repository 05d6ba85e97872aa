using Microsoft.AspNetCore.Http;
using StringWithQualityHeaderValue = Microsoft.Net.Http.Headers.StringWithQualityHeaderValue;

namespace CityOS.Portal.Pages;

/// <summary>
/// The language of a page: the one the user chose with the switch (a cookie, remembered for a year), else the first of
/// Japanese and English that the browser's Accept-Language prefers, else Japanese.
/// </summary>
public static class PortalLanguage
{
    public const string CookieName = "cityos_lang";

    public static PortalText Of(HttpRequest request)
    {
        if (request.Cookies.TryGetValue(CookieName, out var chosen) && Find(chosen) is { } text) return text;
        return FromAcceptLanguage(request.Headers.AcceptLanguage.ToString());
    }

    public static PortalText? Find(string? lang) => PortalText.All.FirstOrDefault(t => string.Equals(t.Lang, lang, StringComparison.OrdinalIgnoreCase));

    public static PortalText FromAcceptLanguage(string? header)
    {
        if (!StringWithQualityHeaderValue.TryParseList(header?.Split(','), out var ranges)) return PortalText.Ja;
        foreach (var range in ranges.Where(r => (r.Quality ?? 1) > 0).OrderByDescending(r => r.Quality ?? 1))
        {
            var primary = range.Value.Value?.Split('-')[0];
            if (Find(primary) is { } text) return text;
        }
        return PortalText.Ja;
    }

    /// <summary>Remembers the user's choice.</summary>
    public static void Remember(HttpContext context, PortalText text) =>
        context.Response.Cookies.Append(CookieName, text.Lang, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            Path = "/",
            MaxAge = TimeSpan.FromDays(365),
            IsEssential = true,
        });
}
