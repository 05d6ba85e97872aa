using CityOS.Identity.Model;

namespace CityOS.Identity.Rules;

/// <summary>What a client may ask for: exact redirect URIs, its grant types and its scopes.</summary>
public static class ClientRules
{
    public static readonly string[] StandardScopes = ["openid", "profile", "email", "offline_access"];

    /// <summary>Exact string comparison (RFC 9700 2.1): no prefix, wildcard or case folding.</summary>
    public static bool IsRegisteredRedirect(Client client, string? redirectUri) =>
        redirectUri is not null && client.RedirectUris.Contains(redirectUri, StringComparer.Ordinal);

    /// <summary>The scope that registers a client as a resource server allowed to introspect every token, not only its own.</summary>
    public const string IntrospectionScope = "introspection";

    public static bool MayIntrospectAll(Client client) => client.Scopes.Contains(IntrospectionScope, StringComparer.Ordinal);

    public static bool AllowsGrant(Client client, string grantType) => client.GrantTypes.Contains(grantType, StringComparer.Ordinal);

    /// <summary>
    /// The scope to grant: the requested one if every scope is allowed to the client, else invalid_scope;
    /// without a request, all the client's scopes (minus <paramref name="exclude"/>).
    /// </summary>
    public static string GrantedScope(Client client, string? requested, params string[] exclude)
    {
        if (string.IsNullOrWhiteSpace(requested))
        {
            return string.Join(' ', client.Scopes.Where(s => !exclude.Contains(s)));
        }
        var scopes = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToArray();
        var refused = scopes.Where(s => !client.Scopes.Contains(s, StringComparer.Ordinal) || exclude.Contains(s)).ToArray();
        if (refused.Length > 0) throw OAuthException.InvalidScope($"The client may not ask for scope {string.Join(' ', refused)}.");
        return string.Join(' ', scopes);
    }

    /// <summary>Checks a registration: absolute redirect URIs without fragment, known grants, public clients never use client credentials.</summary>
    public static string? Problem(Client client)
    {
        if (client.Id.Length is 0 or > 128 || !client.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return "clientId must be 1 to 128 letters, digits, '-', '_' or '.'.";
        foreach (var uri in client.RedirectUris.Concat(client.PostLogoutRedirectUris))
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Fragment.Length > 0 || parsed.Scheme is not ("http" or "https") && !parsed.Scheme.Contains('.'))
            {
                return $"'{uri}' is not an absolute http(s) or private-scheme URI without fragment.";
            }
        }
        if (client.GrantTypes.Count == 0) return "grantTypes must name at least one grant.";
        if (client.GrantTypes.FirstOrDefault(g => !GrantTypes.All.Contains(g)) is { } unknown) return $"Unknown grant type '{unknown}'.";
        if (client.IsPublic && AllowsGrant(client, GrantTypes.ClientCredentials)) return "A public client cannot use client_credentials.";
        if (AllowsGrant(client, GrantTypes.AuthorizationCode) && client.RedirectUris.Count == 0) return "The authorization_code grant needs at least one redirect URI.";
        if (!Tokens.SigningKeyRing.Algorithms.Contains(client.SigningAlgorithm)) return "signingAlgorithm must be ES256 or RS256.";
        return null;
    }
}
