using CityOS.Identity.Model;
using CityOS.Identity.Rules;
using CityOS.Identity.Storage;

namespace CityOS.Identity.Services;

/// <summary>An authorization request that cannot be answered by redirecting to the client (unknown client, unregistered redirect URI): shown as a page.</summary>
public sealed class AuthorizePageException(string message) : Exception(message);

/// <summary>An error the client hears about at its redirect URI (RFC 6749 4.1.2.1).</summary>
public sealed class AuthorizeRedirectException(string redirectUri, string error, string description, string? state) : Exception(description)
{
    public string RedirectUri { get; } = redirectUri;
    public string Error { get; } = error;
    public string Description { get; } = description;
    public string? State { get; } = state;
}

/// <summary>A validated authorization request (RFC 6749 4.1.1, RFC 7636 4.3, OpenID Connect Core 3.1.2.1).</summary>
public sealed record AuthorizeRequest(
    Client Client,
    string RedirectUri,
    string Scope,
    string? State,
    string? Nonce,
    string? CodeChallenge,
    string? Prompt,
    int? MaxAge,
    string? UiLocales)
{
    public static async Task<AuthorizeRequest> ValidateAsync(IReadOnlyDictionary<string, string> query, IIdentityStore store, CancellationToken ct)
    {
        var clientId = Get(query, "client_id") ?? throw new AuthorizePageException("client_id is missing.");
        var client = await store.GetClientAsync(clientId, ct) ?? throw new AuthorizePageException($"Unknown client '{clientId}'.");
        var redirectUri = Get(query, "redirect_uri");
        if (redirectUri is null && client.RedirectUris.Count == 1) redirectUri = client.RedirectUris[0];
        if (!ClientRules.IsRegisteredRedirect(client, redirectUri)) throw new AuthorizePageException("redirect_uri is not registered for this client.");
        var state = Get(query, "state");
        AuthorizeRedirectException Fail(string error, string description) => new(redirectUri!, error, description, state);

        if (Get(query, "request") is not null || Get(query, "request_uri") is not null) throw Fail("request_not_supported", "Request objects are not supported.");
        if (Get(query, "response_type") != "code") throw Fail("unsupported_response_type", "Only response_type=code is supported.");
        if (!ClientRules.AllowsGrant(client, GrantTypes.AuthorizationCode)) throw Fail("unauthorized_client", "The client may not use the authorization code grant.");
        string scope;
        try
        {
            scope = ClientRules.GrantedScope(client, Get(query, "scope") ?? "openid");
        }
        catch (OAuthException e)
        {
            throw Fail(e.Error, e.Description);
        }
        var challenge = Get(query, "code_challenge");
        var method = Get(query, "code_challenge_method");
        if (challenge is null)
        {
            if (client.IsPublic) throw Fail("invalid_request", "Public clients must use PKCE (code_challenge with S256).");
        }
        else if (method != Pkce.S256)
        {
            throw Fail("invalid_request", "code_challenge_method must be S256.");
        }
        else if (challenge.Length != 43 || !Pkce.IsWellFormed(challenge))
        {
            throw Fail("invalid_request", "code_challenge is not a base64url SHA-256 value.");
        }
        var prompt = Get(query, "prompt");
        if (prompt is not (null or "none" or "login" or "consent" or "select_account")) throw Fail("invalid_request", $"Unsupported prompt '{prompt}'.");
        int? maxAge = null;
        if (Get(query, "max_age") is { } text)
        {
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)) throw Fail("invalid_request", "max_age must be a number of seconds.");
            maxAge = seconds;
        }
        return new AuthorizeRequest(client, redirectUri!, scope, state, Get(query, "nonce"), challenge, prompt, maxAge, Get(query, "ui_locales"));
    }

    private static string? Get(IReadOnlyDictionary<string, string> query, string name) =>
        query.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
}
