using System.Diagnostics;
using CityOS.Core.Http;

namespace CityOS.Server;

/// <summary>One structured log line per request (category CityOS.Requests; raise its level to silence it under load).</summary>
public sealed partial class RequestLogMiddleware(RequestDelegate next, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("CityOS.Requests");

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            await next(context);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            LogRequest(_logger, context.Request.Method, context.Request.Path + context.Request.QueryString, context.Response.StatusCode,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, context.Request.Headers[Tenancy.HeaderName].ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} -> {Status} in {ElapsedMs:0.0} ms tenant={Tenant}")]
    private static partial void LogRequest(ILogger logger, string method, string path, int status, double elapsedMs, string tenant);
}
