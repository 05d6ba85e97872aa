using CityOS.Core.Http;
using Microsoft.AspNetCore.Http;

namespace CityOS.Core.Security;

/// <summary>
/// Establishes the caller of a request from its bearer token (RFC 6750) before the endpoints run:
/// no Authorization header makes an anonymous caller, a token that does not validate is refused with
/// 401 and <c>WWW-Authenticate: Bearer error="invalid_token"</c>. Only active when
/// <see cref="SecurityOptions.Enabled"/>; the endpoints then read <see cref="CallerAuthentication.Caller"/>.
/// </summary>
public sealed class CallerAuthenticationMiddleware(RequestDelegate next, ITokenValidator validator)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count > 0)
        {
            var value = header.ToString();
            if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || value.Length <= 7)
            {
                context.Response.Headers.WWWAuthenticate = CallerAuthentication.Challenge("invalid_request");
                throw new NgsiLdException(NgsiLdErrorType.Unauthorized, "The Authorization header must be 'Bearer <access token>'.");
            }
            try
            {
                var caller = await validator.ValidateAsync(value.AsSpan(7).Trim().ToString(), context.RequestAborted);
                context.Features.Set(new CallerFeature(caller));
            }
            catch (NgsiLdException error) when (error.Type == NgsiLdErrorType.Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = CallerAuthentication.Challenge("invalid_token", error.Detail);
                throw;
            }
        }
        await next(context);
    }
}

/// <summary>The caller established for a request.</summary>
public sealed record CallerFeature(CallerIdentity Caller);

public static class CallerAuthentication
{
    public const string Realm = "CityOS";

    /// <summary>The caller of this request: the one its token speaks for, or anonymous.</summary>
    public static CallerIdentity Caller(this HttpContext context) =>
        context.Features.Get<CallerFeature>()?.Caller ?? CallerIdentity.Anonymous;

    /// <summary>A WWW-Authenticate challenge (RFC 6750, 3).</summary>
    public static string Challenge(string? error = null, string? description = null)
    {
        var challenge = $"Bearer realm=\"{Realm}\"";
        if (error is not null) challenge += $", error=\"{error}\"";
        if (description is not null) challenge += $", error_description=\"{description.Replace("\"", "'", StringComparison.Ordinal)}\"";
        return challenge;
    }
}
