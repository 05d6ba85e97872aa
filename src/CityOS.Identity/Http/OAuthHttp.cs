using System.Net.Http.Headers;
using System.Text;
using CityOS.Core.Http;
using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Services;
using Microsoft.AspNetCore.Http;
using CityOS.Identity.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Identity.Http;

/// <summary>HTTP plumbing shared by the OAuth endpoints: forms, client authentication, issuer, errors.</summary>
public static class OAuthHttp
{
    public const string SessionCookie = "cityos_sso";
    public const string CookiePath = "/identity/v1";
    private const string UrlEncoded = "application/x-www-form-urlencoded";

    /// <summary>The configured issuer (see <see cref="IssuerUrl"/>), never one derived from the request's Host header.</summary>
    public static string Issuer(HttpRequest request) => request.HttpContext.RequestServices.GetRequiredService<IssuerUrl>().Value;

    /// <summary>RFC 6749 5.2 error JSON, never cached.</summary>
    public static IResult Error(OAuthException error, bool basicAuthenticationUsed = false) => new OAuthErrorResult(error, basicAuthenticationUsed);

    /// <summary>The parameters of a form POST (or a query); a parameter given twice is refused (RFC 6749 3.1).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ParametersAsync(HttpRequest request, CancellationToken ct)
    {
        IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> source;
        if (HttpMethods.IsPost(request.Method))
        {
            // RFC 6749 3.2 and 4.1.3: form-urlencoded only; a multipart body is refused before it is parsed.
            if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !string.Equals(type.MediaType, UrlEncoded, StringComparison.OrdinalIgnoreCase))
            {
                throw OAuthException.InvalidRequest("The request body must be application/x-www-form-urlencoded.");
            }
            source = await ReadFormAsync(request, ct) ?? throw OAuthException.InvalidRequest("The form body is malformed.");
        }
        else
        {
            source = request.Query;
        }
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in source)
        {
            if (values.Count > 1) throw OAuthException.InvalidRequest($"The parameter '{name}' is given more than once.");
            parameters[name] = values.ToString();
        }
        return parameters;
    }

    /// <summary>
    /// Authenticates the client by client_secret_basic or client_secret_post, or identifies a public client by
    /// client_id alone; invalid_client (401) otherwise.
    /// </summary>
    public static async Task<(Client Client, bool Basic)> AuthenticateClientAsync(HttpRequest request, IReadOnlyDictionary<string, string> form,
        ClientRegistry clients, CancellationToken ct)
    {
        string? id = null, secret = null;
        var basic = false;
        if (AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header) && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            basic = true;
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter ?? ""));
                var colon = decoded.IndexOf(':');
                if (colon < 0) throw OAuthException.InvalidClient("Malformed Basic credentials.");
                id = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
                secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
            }
            catch (FormatException)
            {
                throw OAuthException.InvalidClient("Malformed Basic credentials.");
            }
            if (form.ContainsKey("client_secret")) throw OAuthException.InvalidRequest("Use one client authentication method (RFC 6749 2.3): client_secret_basic or client_secret_post, not both.");
            if (form.TryGetValue("client_id", out var formId) && formId != id) throw OAuthException.InvalidRequest("client_id differs from the authenticated client.");
        }
        else
        {
            form.TryGetValue("client_id", out id);
            form.TryGetValue("client_secret", out secret);
        }
        if (string.IsNullOrEmpty(id)) throw OAuthException.InvalidClient("Client authentication is required.");
        var client = await clients.FindAsync(id, ct);
        if (client is null) throw OAuthException.InvalidClient("Unknown client or wrong secret.");
        if (client.SecretHash is null)
        {
            if (!string.IsNullOrEmpty(secret)) throw OAuthException.InvalidClient("A public client has no secret.");
        }
        else if (string.IsNullOrEmpty(secret) || !Secrets.HashEquals(secret, client.SecretHash))
        {
            throw OAuthException.InvalidClient("Unknown client or wrong secret.");
        }
        return (client, basic);
    }

    /// <summary>The form of a form POST, or null when the body is not a form or cannot be parsed as one (never an exception, so never a 500).</summary>
    public static async Task<IFormCollection?> ReadFormAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasFormContentType) return null;
        try
        {
            return await request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            return null;
        }
    }

    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    public static void NoStore(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }

    /// <summary>Answers an OAuth error through the problem details service, whose OAuth surface writer gives it the RFC 6749 5.2 form.</summary>
    public static ValueTask WriteErrorAsync(HttpContext context, int status, string error, string description) =>
        ProblemResponses.WriteAsync(context, new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = status,
            Detail = description,
            Extensions = { [OAuthProblemWriter.ErrorMember] = error },
        });

    /// <summary>An <see cref="OAuthException"/> as the answer of an OAuth endpoint, with its challenge on a 401.</summary>
    private sealed class OAuthErrorResult(OAuthException error, bool basic) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            if (error.Status == 401) httpContext.Response.Headers.WWWAuthenticate = basic ? "Basic realm=\"cityos\"" : "Bearer realm=\"cityos\"";
            await WriteErrorAsync(httpContext, error.Status, error.Error, error.Description);
        }
    }
}
