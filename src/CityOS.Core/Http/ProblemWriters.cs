using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CityOS.Core.Http;

/// <summary>
/// Problem details as a JSON object (type, title, status, detail, instance, then any extension members): the NGSI-LD
/// surface's as application/json (GS CIM 009, 6.3.6), and RFC 9457 application/problem+json for the other JSON APIs and
/// for everything no other writer takes (requests no endpoint took, a browser-less client of a page), so it comes last.
/// </summary>
public sealed class JsonProblemWriter(ApiSurface? surface, string contentType) : IProblemDetailsWriter
{
    /// <summary>The writer of the NGSI-LD surface.</summary>
    public static JsonProblemWriter NgsiLd() => new(ApiSurface.NgsiLd, "application/json");

    /// <summary>The RFC 9457 writer that takes every request (registered last).</summary>
    public static JsonProblemWriter Fallback() => new(null, "application/problem+json");

    /// <summary>Whether this is the fallback, which takes every request (so the writers of blocks go before it).</summary>
    public bool TakesEverything => surface is null;

    public bool CanWrite(ProblemDetailsContext context) => TakesEverything || ApiSurfaces.Of(context.HttpContext) == surface;

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var response = context.HttpContext.Response;
        var status = problem.Status ?? response.StatusCode;
        response.ContentType = contentType;
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("type", problem.Type ?? "about:blank");
        writer.WriteString("title", problem.Title ?? ReasonPhrases.GetReasonPhrase(status));
        writer.WriteNumber("status", status);
        if (problem.Detail is not null) writer.WriteString("detail", problem.Detail);
        if (problem.Instance is not null) writer.WriteString("instance", problem.Instance);
        foreach (var (name, value) in problem.Extensions)
        {
            writer.WritePropertyName(name);
            JsonSerializer.Serialize(writer, value);
        }
        writer.WriteEndObject();
        await writer.FlushAsync(context.HttpContext.RequestAborted);
    }
}

/// <summary>
/// The errors of the OAuth 2.0 / OpenID Connect surface as RFC 6749 5.2 <c>{"error", "error_description"}</c>, never cached.
/// The error code is the problem's <see cref="ErrorMember"/> extension when the endpoint named one, else derived from the status.
/// </summary>
public sealed class OAuthProblemWriter : IProblemDetailsWriter
{
    /// <summary>The extension member of <see cref="ProblemDetails"/> carrying the OAuth error code (invalid_request, invalid_client, ...).</summary>
    public const string ErrorMember = "error";

    public bool CanWrite(ProblemDetailsContext context) => ApiSurfaces.Of(context.HttpContext) == ApiSurface.OAuth;

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var response = context.HttpContext.Response;
        var status = problem.Status ?? response.StatusCode;
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        var error = problem.Extensions.TryGetValue(ErrorMember, out var named) && named is string code ? code : status switch
        {
            StatusCodes.Status401Unauthorized => "invalid_token",
            StatusCodes.Status403Forbidden => "access_denied",
            StatusCodes.Status503ServiceUnavailable => "temporarily_unavailable",
            >= 500 => "server_error",
            _ => "invalid_request",
        };
        await response.WriteAsJsonAsync(new Dictionary<string, string>
        {
            ["error"] = error,
            ["error_description"] = problem.Detail ?? problem.Title ?? ReasonPhrases.GetReasonPhrase(status),
        }, context.HttpContext.RequestAborted);
    }
}

/// <summary>
/// The errors of the HTML surface for a browser (a request that accepts text/html): a small page saying in Japanese and
/// English what went wrong. Other clients of a page get RFC 9457 from <see cref="JsonProblemWriter.Fallback"/>.
/// </summary>
public sealed class HtmlProblemWriter : IProblemDetailsWriter
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    public bool CanWrite(ProblemDetailsContext context) =>
        ApiSurfaces.Of(context.HttpContext) == ApiSurface.Html
        && context.HttpContext.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase) && a.Quality != 0);

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var response = context.HttpContext.Response;
        var status = problem.Status ?? response.StatusCode;
        var title = problem.Title ?? ReasonPhrases.GetReasonPhrase(status);
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
        await response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{status} {Html.Encode(title)}</title></head>
            <body><h1>{status} エラー / Error</h1>
            <p lang="ja">{Html.Encode(Japanese(status))}</p>
            <p lang="en">{Html.Encode(title)}{(problem.Detail is null ? "" : ": " + Html.Encode(problem.Detail))}</p>
            </body></html>
            """, context.HttpContext.RequestAborted);
    }

    private static string Japanese(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "リクエストに誤りがあります。",
        StatusCodes.Status401Unauthorized => "サインインが必要です。",
        StatusCodes.Status403Forbidden => "この操作は許可されていません。",
        StatusCodes.Status404NotFound => "ページが見つかりません。",
        StatusCodes.Status405MethodNotAllowed => "この方法ではこのページを利用できません。",
        StatusCodes.Status429TooManyRequests => "リクエストが多すぎます。しばらくしてからもう一度お試しください。",
        >= 500 => "サーバーで問題が発生しました。しばらくしてからもう一度お試しください。",
        _ => "リクエストを処理できませんでした。",
    };
}
