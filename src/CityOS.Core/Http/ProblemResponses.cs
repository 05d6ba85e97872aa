using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Core.Http;

/// <summary>
/// Turns errors into answers through <see cref="IProblemDetailsService"/>, whose writer for the endpoint's
/// <see cref="ApiSurface"/> gives them their form. The one place where an <see cref="NgsiLdException"/> becomes problem
/// details (its NGSI-LD error type URI, title, status and detail; GS CIM 009, 5.5.2).
/// </summary>
public static class ProblemResponses
{
    /// <summary>The problem details of <paramref name="error"/>, for the request of <paramref name="context"/>.</summary>
    public static ProblemDetails ToProblem(HttpContext context, NgsiLdException error) => new()
    {
        Type = NgsiLdErrors.TypeUri(error.Type),
        Title = error.Title,
        Status = error.Status,
        Detail = error.Detail,
        Instance = context.Request.Path.HasValue ? context.Request.Path.Value : null,
    };

    /// <summary>Answers the request with <paramref name="error"/> (a 401 without a challenge gets the plain Bearer challenge).</summary>
    public static ValueTask WriteAsync(HttpContext context, NgsiLdException error, Exception? exception = null)
    {
        if (error.Type == NgsiLdErrorType.Unauthorized && !context.Response.Headers.ContainsKey("WWW-Authenticate"))
        {
            context.Response.Headers.WWWAuthenticate = Security.CallerAuthentication.Challenge();
        }
        return WriteAsync(context, ToProblem(context, error), exception ?? error);
    }

    /// <summary>Answers the request with <paramref name="problem"/> in the form of the endpoint's surface.</summary>
    public static ValueTask WriteAsync(HttpContext context, ProblemDetails problem, Exception? exception = null)
    {
        if (problem.Status is { } status) context.Response.StatusCode = status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    /// <summary>
    /// The problem details of a request answered without a body (for <c>UseStatusCodePages</c>): 404 for a path that names no
    /// resource, 405 for a method the resource does not offer (its Allow header is kept), and any other 404 or 405 an endpoint gave without a body.
    /// </summary>
    public static Task WriteUnroutedAsync(StatusCodeContext status)
    {
        var context = status.HttpContext;
        if (context.Response.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed
            && HasEmptySegment(context.Request.Path))
        {
            // /entities//attrs names no resource because an id is missing: that is a bad request, not a missing resource.
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.Headers.Allow = default;
            return WriteAsync(context, NgsiLdException.BadRequest(
                $"The path {context.Request.Path} has an empty segment: an id or a name is missing.")).AsTask();
        }
        var error = context.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => NgsiLdException.NotFound($"There is no resource at {context.Request.Path}."),
            StatusCodes.Status405MethodNotAllowed => new NgsiLdException(NgsiLdErrorType.InvalidRequest,
                $"{context.Request.Method} is not an operation of {context.Request.Path}.", "Method not allowed"),
            _ => null,
        };
        if (error is null) return Task.CompletedTask;
        var problem = ToProblem(context, error);
        problem.Status = context.Response.StatusCode;
        return WriteAsync(context, problem).AsTask();
    }

    private static bool HasEmptySegment(PathString path)
    {
        var value = path.Value;
        if (string.IsNullOrEmpty(value)) return false;
        var trimmed = value.EndsWith('/') ? value[..^1] : value;
        return trimmed.Contains("//", StringComparison.Ordinal);
    }
}

/// <summary>
/// Turns every <see cref="NgsiLdException"/> (and a request Kestrel could not read) into its problem details, and
/// anything unexpected into a 500 InternalError that says nothing of the internals (the log has them).
/// </summary>
public sealed partial class ErrorResponseMiddleware(RequestDelegate next, Microsoft.Extensions.Logging.ILogger<ErrorResponseMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (NgsiLdException error) when (!context.Response.HasStarted)
        {
            await ProblemResponses.WriteAsync(context, error);
        }
        catch (BadHttpRequestException error) when (!context.Response.HasStarted)
        {
            var ngsiError = error.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? new NgsiLdException(NgsiLdErrorType.PayloadTooLarge, "The request body is larger than this server accepts.")
                : NgsiLdException.InvalidRequest(error.Message);
            await ProblemResponses.WriteAsync(context, ngsiError, error);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            LogAborted(logger, context.Request.Method, context.Request.Path);
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            LogFailed(logger, exception, context.Request.Method, context.Request.Path);
            await ProblemResponses.WriteAsync(context, new NgsiLdException(NgsiLdErrorType.InternalError,
                $"The server failed to process the request (trace {context.TraceIdentifier})."), exception);
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailed(Microsoft.Extensions.Logging.ILogger logger, Exception exception, string method, string path);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Debug, Message = "{Method} {Path} aborted by the client")]
    private static partial void LogAborted(Microsoft.Extensions.Logging.ILogger logger, string method, string path);
}
