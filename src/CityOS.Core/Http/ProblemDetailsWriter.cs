using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CityOS.Core.Http;

/// <summary>Writes RFC 9457 problem details with the NGSI-LD error type URIs (ETSI GS CIM 009, 5.5.2).</summary>
public static class ProblemDetailsWriter
{
    public static Task WriteAsync(HttpContext context, NgsiLdException error)
    {
        if (error.Type == NgsiLdErrorType.Unauthorized && !context.Response.Headers.ContainsKey("WWW-Authenticate"))
        {
            context.Response.Headers.WWWAuthenticate = Security.CallerAuthentication.Challenge();
        }
        return WriteAsync(context, error.Type, error.Title, error.Status, error.Detail);
    }

    /// <summary>
    /// The problem details of a request that routing answered without any endpoint running: 404 for a path that names no
    /// resource, 405 for a method the resource does not offer (its Allow header is kept), and any other such answer an endpoint gave without a body.
    /// </summary>
    public static Task WriteUnroutedAsync(HttpContext context) => context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed
        ? WriteAsync(context, NgsiLdErrorType.InvalidRequest, "Method not allowed", StatusCodes.Status405MethodNotAllowed,
            $"{context.Request.Method} is not an operation of {context.Request.Path}.")
        : WriteAsync(context, NgsiLdErrorType.ResourceNotFound, NgsiLdErrors.Title(NgsiLdErrorType.ResourceNotFound), StatusCodes.Status404NotFound,
            $"There is no resource at {context.Request.Path}.");

    private static async Task WriteAsync(HttpContext context, NgsiLdErrorType type, string title, int status, string detail)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("type", NgsiLdErrors.TypeUri(type));
        writer.WriteString("title", title);
        writer.WriteNumber("status", status);
        writer.WriteString("detail", detail);
        if (context.Request.Path.HasValue) writer.WriteString("instance", context.Request.Path.Value);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}

/// <summary>
/// Turns every <see cref="NgsiLdException"/> into its problem details, and anything unexpected
/// into a 500 InternalError that says nothing of the internals (the log has them).
/// </summary>
public sealed partial class NgsiLdErrorMiddleware(RequestDelegate next, Microsoft.Extensions.Logging.ILogger<NgsiLdErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            if (!context.Response.HasStarted && context.Response.ContentType is null
                && context.Response.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed)
            {
                await ProblemDetailsWriter.WriteUnroutedAsync(context);
            }
        }
        catch (NgsiLdException error) when (!context.Response.HasStarted)
        {
            await ProblemDetailsWriter.WriteAsync(context, error);
        }
        catch (BadHttpRequestException error) when (!context.Response.HasStarted)
        {
            var ngsiError = error.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? new NgsiLdException(NgsiLdErrorType.PayloadTooLarge, "The request body is larger than this server accepts.")
                : NgsiLdException.InvalidRequest(error.Message);
            await ProblemDetailsWriter.WriteAsync(context, ngsiError);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            LogAborted(logger, context.Request.Method, context.Request.Path);
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            LogFailed(logger, exception, context.Request.Method, context.Request.Path);
            await ProblemDetailsWriter.WriteAsync(context, new NgsiLdException(NgsiLdErrorType.InternalError,
                $"The server failed to process the request (trace {context.TraceIdentifier})."));
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailed(Microsoft.Extensions.Logging.ILogger logger, Exception exception, string method, string path);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Debug, Message = "{Method} {Path} aborted by the client")]
    private static partial void LogAborted(Microsoft.Extensions.Logging.ILogger logger, string method, string path);
}
