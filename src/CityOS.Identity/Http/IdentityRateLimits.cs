using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOS.Identity.Http;

/// <summary>
/// Per-source request rates of the endpoints that check credentials (ASP.NET Core's rate limiter, a fixed window of one
/// minute per source address): they bound how fast anyone can guess, whatever user names or clients they try.
/// A refusal is 429 with Retry-After.
/// </summary>
public static class IdentityRateLimits
{
    public const string SignIn = "cityos-identity-sign-in";
    public const string Token = "cityos-identity-token";

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static IServiceCollection AddIdentityRateLimits(this IServiceCollection services) => services.AddRateLimiter(limiter =>
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.OnRejected = (rejected, _) =>
        {
            rejected.HttpContext.Response.Headers.RetryAfter = ((int)Window.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return ValueTask.CompletedTask;
        };
        limiter.AddPolicy(SignIn, context => PerSource(context, options => options.SignInRequestsPerMinute));
        limiter.AddPolicy(Token, context => PerSource(context, options => options.TokenRequestsPerMinute));
    });

    private static RateLimitPartition<string> PerSource(HttpContext context, Func<IdentityOptions, int> permits)
    {
        var limit = permits(context.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value);
        var source = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        return limit <= 0
            ? RateLimitPartition.GetNoLimiter(source)
            : RateLimitPartition.GetFixedWindowLimiter(source, _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = Window, QueueLimit = 0 });
    }
}
