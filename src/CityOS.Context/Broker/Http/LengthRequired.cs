using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace CityOS.Context.Broker.Http;

/// <summary>
/// The Content-Length precondition of GS CIM 009, 6.3.4: a POST, PATCH or PUT without a Content-Length header (a chunked
/// body) is answered with just 411 and no body (6.3.2), before anything else of the request, its tenant included, is looked at.
/// </summary>
public static class LengthRequired
{
    public static bool Applies(HttpRequest request) =>
        request.Headers.ContentLength is null
        && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPatch(request.Method) || HttpMethods.IsPut(request.Method));

    public static ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!Applies(http.Request))
        {
            return next(context);
        }
        if (http.Features.Get<IStatusCodePagesFeature>() is { } pages)
        {
            pages.Enabled = false;
        }
        return ValueTask.FromResult<object?>(TypedResults.StatusCode(StatusCodes.Status411LengthRequired));
    }
}
