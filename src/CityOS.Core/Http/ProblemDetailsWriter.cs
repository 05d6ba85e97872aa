using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CityOS.Core.Http;

/// <summary>Writes RFC 9457 problem details with the NGSI-LD error type URIs (ETSI GS CIM 009, 5.5.2).</summary>
public static class ProblemDetailsWriter
{
    public static async Task WriteAsync(HttpContext context, NgsiLdException error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.Type == NgsiLdErrorType.Unauthorized && !response.Headers.ContainsKey("WWW-Authenticate"))
        {
            response.Headers.WWWAuthenticate = Security.CallerAuthentication.Challenge();
        }
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("type", NgsiLdErrors.TypeUri(error.Type));
        writer.WriteString("title", error.Title);
        writer.WriteNumber("status", error.Status);
        writer.WriteString("detail", error.Detail);
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
