using System.Text;
using Microsoft.AspNetCore.Http;

namespace CityOS.Core.Http;

/// <summary>
/// A server-rendered HTML page with the headers every CityOS page carries: never cached, never framed, and the page's own
/// Content-Security-Policy and Referrer-Policy (each block's pages decide what they load and where links may tell).
/// </summary>
public sealed class HtmlPageResult(string html, int status, string contentSecurityPolicy, string referrerPolicy) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.ContentSecurityPolicy = contentSecurityPolicy;
        response.Headers["Referrer-Policy"] = referrerPolicy;
        return response.WriteAsync(html, Encoding.UTF8, httpContext.RequestAborted);
    }
}
