using System.Security.Claims;
using System.Text.Encodings.Web;
using CityOS.Core.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Core.Security;

/// <summary>
/// The <see cref="CallerAuthentication.Scheme"/> authentication scheme: establishes the caller of a request from its bearer
/// token (RFC 6750, or FIWARE's <c>X-Auth-Token</c> header) with the <see cref="ITokenValidator"/>. No Authorization header is no result (the anonymous caller); a
/// header that is not <c>Bearer &lt;token&gt;</c> fails with invalid_request, a token that does not validate with invalid_token.
/// A challenge answers 401 with <c>WWW-Authenticate: Bearer realm="CityOS"</c> (and the error) and Unauthorized problem
/// details in the form of the endpoint's surface. The endpoints read the caller with <see cref="CallerAuthentication.Caller"/>.
/// </summary>
public sealed class CallerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ITokenValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string ErrorItem = "error";

    /// <summary>The FIWARE header of an access token (Orion behind Wilma/PEP), accepted like <c>Authorization: Bearer</c> when that is absent.</summary>
    public const string AuthTokenHeader = "X-Auth-Token";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization;
        string token;
        if (header.Count == 0)
        {
            // X-Auth-Token is how Orion behind a Wilma/PEP proxy is called: the same access token, without "Bearer ".
            token = Request.Headers[AuthTokenHeader].ToString().Trim();
            if (token.Length == 0) return AuthenticateResult.NoResult();
        }
        else
        {
            var value = header.ToString();
            if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || value.Length <= 7)
            {
                return Failure("invalid_request", "The Authorization header must be 'Bearer <access token>'.");
            }
            token = value.AsSpan(7).Trim().ToString();
        }
        try
        {
            var caller = await validator.ValidateAsync(token, Context.RequestAborted);
            Context.Features.Set(new CallerFeature(caller));
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, caller.Subject)], Scheme.Name);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
        }
        catch (NgsiLdException error) when (error.Type == NgsiLdErrorType.Unauthorized)
        {
            return Failure("invalid_token", error.Detail);
        }
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        string? error = null;
        result.Properties?.Items.TryGetValue(ErrorItem, out error);
        var detail = result.Failure?.Message ?? "This operation needs a bearer token (Authorization: Bearer <access token>).";
        Response.Headers.WWWAuthenticate = CallerAuthentication.Challenge(error, result.Failure?.Message);
        await ProblemResponses.WriteAsync(Context, new NgsiLdException(NgsiLdErrorType.Unauthorized, detail));
    }

    private static AuthenticateResult Failure(string error, string description) =>
        AuthenticateResult.Fail(description, new AuthenticationProperties(new Dictionary<string, string?> { [ErrorItem] = error }));
}

/// <summary>
/// The requirement of <see cref="CallerAuthentication.CallerPolicy"/> with security on: the request's caller could be
/// established, anonymous (no token) or from a valid token; a token that failed is challenged.
/// </summary>
public sealed class EstablishedCallerRequirement : AuthorizationHandler<EstablishedCallerRequirement>, IAuthorizationRequirement
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, EstablishedCallerRequirement requirement)
    {
        // The scheme's result is kept for the request: this reads what the policy's authentication already found.
        if (context.Resource is HttpContext http && (await http.AuthenticateAsync(CallerAuthentication.Scheme)).Failure is null)
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary>The caller established for a request.</summary>
public sealed record CallerFeature(CallerIdentity Caller);

/// <summary>The names of the caller's scheme and policies, the caller of a request, and its Bearer challenge.</summary>
public static class CallerAuthentication
{
    public const string Realm = "CityOS";

    /// <summary>The authentication scheme of <see cref="CallerAuthenticationHandler"/>.</summary>
    public const string Scheme = "CityOS";

    /// <summary>
    /// The policy of the data APIs: with security on the caller is established from its token (anonymous without one) and the
    /// endpoints decide with the <see cref="IAccessPolicy"/>; with security off nothing is checked and every caller is anonymous.
    /// </summary>
    public const string CallerPolicy = "CityOS.Caller";

    /// <summary>The policy of the administration APIs, with security on or off: a valid bearer token (401 without one).</summary>
    public const string AccountPolicy = "CityOS.Account";

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
