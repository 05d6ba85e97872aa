using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core.Security;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CityOS.Identity.Tokens;

/// <summary>
/// Other City OS issuers whose access tokens this one accepts (SL-11): their discovery document and
/// JWKS are fetched and cached; their claims become local roles only through the configured mappings
/// (a trusted issuer's own role claims grant nothing here by themselves).
/// </summary>
public sealed class TrustedIssuers(IOptions<IdentityOptions> options, IHttpClientFactory httpClients, TimeProvider time)
{
    public const string HttpClientName = "cityos-identity-federation";

    private static readonly JsonWebTokenHandler Handler = new();
    private static readonly string[] AccessTokenTypes = ["at+jwt", "application/at+jwt"];
    private readonly Dictionary<string, (JsonWebKeySet Keys, DateTimeOffset Fetched)> _cache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lock = new(1, 1);

    public TrustedIssuerOptions? Find(string? issuer) =>
        string.IsNullOrEmpty(issuer) ? null : options.Value.TrustedIssuers.FirstOrDefault(t => Normalise(t.Issuer) == Normalise(issuer));

    public async Task<(ValidatedToken? Token, string? Error)> ValidateAsync(TrustedIssuerOptions trusted, string bearer, CancellationToken ct)
    {
        TokenValidationResult? result = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            JsonWebKeySet keys;
            try
            {
                keys = await KeysAsync(trusted, refresh: attempt > 0, ct);
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException)
            {
                return (null, $"The keys of trusted issuer {trusted.Issuer} could not be fetched: {e.Message}");
            }
            result = await Handler.ValidateTokenAsync(bearer, new TokenValidationParameters
            {
                IssuerSigningKeys = keys.GetSigningKeys(),
                ValidAlgorithms = SigningKeyRing.Algorithms,
                ValidIssuers = [trusted.Issuer, Normalise(trusted.Issuer)],
                ValidateAudience = trusted.Audiences.Count > 0,
                ValidAudiences = trusted.Audiences,
                ValidateLifetime = false,
                // Access tokens only (RFC 9068 typ at+jwt): the issuer's ID tokens, meant for its clients, are no bearer tokens here.
                ValidTypes = AccessTokenTypes,
            });
            // An unknown key id may mean the issuer rotated its keys since we cached them: fetch once more.
            if (result.IsValid || result.Exception is not SecurityTokenSignatureKeyNotFoundException) break;
        }
        if (result is not { IsValid: true, SecurityToken: JsonWebToken token }) return (null, $"The token is not valid for trusted issuer {trusted.Issuer}.");
        if (TokenLifetime.Error(token, time.GetUtcNow()) is { } error) return (null, error);
        return (new ValidatedToken(token, MapCaller(trusted, token)), null);
    }

    internal static CallerIdentity MapCaller(TrustedIssuerOptions trusted, JsonWebToken token)
    {
        var roles = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var mapping in trusted.RoleMappings)
        {
            if (!TokenValidator.StringList(token, mapping.Claim).Contains(mapping.Value, StringComparer.Ordinal)) continue;
            if (!roles.TryGetValue(mapping.Tenant, out var list)) roles[mapping.Tenant] = list = [];
            if (!list.Contains(mapping.Role)) list.Add(mapping.Role);
        }
        var scope = token.TryGetPayloadValue<string>("scope", out var s) ? s : "";
        return new CallerIdentity
        {
            Subject = token.Subject,
            Issuer = token.Issuer,
            ClientId = token.TryGetPayloadValue<string>("client_id", out var c) ? c : null,
            TenantRoles = roles.ToDictionary(r => r.Key, r => (IReadOnlyList<string>)r.Value, StringComparer.Ordinal),
            Scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            AuthenticationMethods = TokenValidator.StringList(token, "amr"),
        };
    }

    private async Task<JsonWebKeySet> KeysAsync(TrustedIssuerOptions trusted, bool refresh, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            var issuer = Normalise(trusted.Issuer);
            if (!refresh && _cache.TryGetValue(issuer, out var cached) && now - cached.Fetched < options.Value.TrustedIssuerCacheLifetime) return cached.Keys;
            var http = httpClients.CreateClient(HttpClientName);
            var discovery = await http.GetFromJsonAsync<JsonObject>(issuer + "/.well-known/openid-configuration", ct)
                ?? throw new InvalidOperationException("empty discovery document");
            if (Normalise(discovery["issuer"]?.GetValue<string>() ?? "") != issuer) throw new InvalidOperationException("the discovery document names another issuer");
            var jwksUri = discovery["jwks_uri"]?.GetValue<string>() ?? throw new InvalidOperationException("no jwks_uri");
            var keys = new JsonWebKeySet(await http.GetStringAsync(jwksUri, ct));
            _cache[issuer] = (keys, now);
            return keys;
        }
        finally
        {
            _lock.Release();
        }
    }

    private static string Normalise(string issuer) => issuer.TrimEnd('/');
}
