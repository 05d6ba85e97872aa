using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CityOS.Identity.Model;
using CityOS.Identity.Storage;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CityOS.Identity.Tokens;

/// <summary>
/// The provider's signing keys, one active key per algorithm (ES256, RS256), persisted in identity.db.
/// A key signs for <see cref="IdentityOptions.SigningKeyLifetime"/>; then a new key takes over and the
/// old one stays published in the JWKS until every token it signed has expired. The keys are read from the
/// database at most every <see cref="IdentityOptions.CacheMaxAge"/>, and at once for a token signed by a key
/// this process does not know yet (another process rotated).
/// </summary>
public sealed class SigningKeyRing(IIdentityStore store, IOptions<IdentityOptions> options, TimeProvider time)
{
    public static readonly string[] Algorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256];

    /// <summary>The shortest time between two reads caused by unknown key ids, so forged kids cannot hammer the database.</summary>
    private static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, SecurityKey> _loaded = new(StringComparer.Ordinal);
    private volatile KeySet? _keys;

    /// <summary>Credentials of the key that signs new tokens with <paramref name="algorithm"/>, rotating it when due.</summary>
    public async Task<SigningCredentials> SigningCredentialsAsync(string algorithm, CancellationToken ct)
    {
        if (!Algorithms.Contains(algorithm)) throw new ArgumentException($"Unsupported signing algorithm {algorithm}.", nameof(algorithm));
        if (ActiveCredentials(await CurrentAsync(options.Value.CacheMaxAge, ct), algorithm, time.GetUtcNow()) is { } current) return current;
        await _lock.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            var keys = await ReadAsync(now, ct);
            if (ActiveCredentials(keys, algorithm, now) is { } loaded) return loaded;
            var active = keys.Active.GetValueOrDefault(algorithm).Key;
            if (active is not null) await store.SaveSigningKeyAsync(active with { Retired = now }, ct);
            await store.SaveSigningKeyAsync(Generate(algorithm, now), ct);
            return ActiveCredentials(await ReadAsync(now, ct), algorithm, now)!;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Keys whose tokens may still be valid: the active ones and retired ones within the longest token lifetime.</summary>
    public async Task<IReadOnlyList<(SigningKey Key, SecurityKey SecurityKey)>> PublishedKeysAsync(CancellationToken ct)
    {
        var keys = await CurrentAsync(options.Value.CacheMaxAge, ct);
        var now = time.GetUtcNow();
        var grace = options.Value.AccessTokenLifetime > options.Value.IdTokenLifetime ? options.Value.AccessTokenLifetime : options.Value.IdTokenLifetime;
        return keys.All.Where(k => k.Key.Retired is null || k.Key.Retired.Value + grace > now).ToArray();
    }

    /// <summary>Reads the keys again unless that was done within the last second; true if there is a newer set than before.</summary>
    public async Task<bool> RefreshAsync(CancellationToken ct)
    {
        var before = _keys;
        return await CurrentAsync(MinRefreshInterval, ct) != before;
    }

    /// <summary>The key set, read again if it is older than <paramref name="maxAge"/> (once for all callers waiting).</summary>
    private async Task<KeySet> CurrentAsync(TimeSpan maxAge, CancellationToken ct)
    {
        if (_keys is { } current && time.GetUtcNow() - current.Read < maxAge) return current;
        await _lock.WaitAsync(ct);
        try
        {
            if (_keys is { } readMeanwhile && time.GetUtcNow() - readMeanwhile.Read < maxAge) return readMeanwhile;
            return await ReadAsync(time.GetUtcNow(), ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Reads every key from the database (under the lock) and makes the result the current set.</summary>
    private async Task<KeySet> ReadAsync(DateTimeOffset now, CancellationToken ct)
    {
        var all = (await store.ListSigningKeysAsync(ct)).OrderByDescending(k => k.Created).Select(k => (k, Load(k))).ToArray();
        var active = new Dictionary<string, (SigningKey, SigningCredentials)>(StringComparer.Ordinal);
        foreach (var (key, securityKey) in all)
        {
            if (key.Retired is null && !active.ContainsKey(key.Algorithm)) active[key.Algorithm] = (key, new SigningCredentials(securityKey, key.Algorithm));
        }
        var keys = new KeySet(all, active, now);
        _keys = keys;
        return keys;
    }

    /// <summary>The credentials of the active key, unless there is none or it is due for rotation.</summary>
    private SigningCredentials? ActiveCredentials(KeySet keys, string algorithm, DateTimeOffset now) =>
        keys.Active.TryGetValue(algorithm, out var active) && now - active.Key.Created < options.Value.SigningKeyLifetime ? active.Credentials : null;

    /// <summary>
    /// The JSON Web Key Set (RFC 7517) of the published keys. Every algorithm's active key exists before it is
    /// published, so a client that caches the set already knows the key of the first RS256 token.
    /// </summary>
    public async Task<JsonObject> JwksAsync(CancellationToken ct)
    {
        foreach (var algorithm in Algorithms) await SigningCredentialsAsync(algorithm, ct);
        var keys = new JsonArray();
        foreach (var (key, securityKey) in await PublishedKeysAsync(ct)) keys.Add(PublicJwk(key, securityKey));
        return new JsonObject { ["keys"] = keys };
    }

    private static JsonObject PublicJwk(SigningKey key, SecurityKey securityKey)
    {
        var jwk = new JsonObject { ["kid"] = key.Kid, ["use"] = "sig", ["alg"] = key.Algorithm };
        switch (securityKey)
        {
            case ECDsaSecurityKey ec:
                var p = ec.ECDsa.ExportParameters(false);
                jwk["kty"] = "EC";
                jwk["crv"] = "P-256";
                jwk["x"] = Base64UrlEncoder.Encode(p.Q.X);
                jwk["y"] = Base64UrlEncoder.Encode(p.Q.Y);
                break;
            case RsaSecurityKey rsa:
                var r = rsa.Rsa.ExportParameters(false);
                jwk["kty"] = "RSA";
                jwk["n"] = Base64UrlEncoder.Encode(r.Modulus);
                jwk["e"] = Base64UrlEncoder.Encode(r.Exponent);
                break;
        }
        return jwk;
    }

    private SecurityKey Load(SigningKey key)
    {
        if (_loaded.TryGetValue(key.Kid, out var loaded)) return loaded;
        SecurityKey securityKey;
        if (key.Algorithm == SecurityAlgorithms.EcdsaSha256)
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(key.Pkcs8, out _);
            securityKey = new ECDsaSecurityKey(ecdsa) { KeyId = key.Kid };
        }
        else
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(key.Pkcs8, out _);
            securityKey = new RsaSecurityKey(rsa) { KeyId = key.Kid };
        }
        _loaded[key.Kid] = securityKey;
        return securityKey;
    }

    private sealed record KeySet(
        IReadOnlyList<(SigningKey Key, SecurityKey SecurityKey)> All,
        IReadOnlyDictionary<string, (SigningKey Key, SigningCredentials Credentials)> Active,
        DateTimeOffset Read);

    private static SigningKey Generate(string algorithm, DateTimeOffset now)
    {
        var kid = algorithm.ToLowerInvariant() + "-" + now.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        if (algorithm == SecurityAlgorithms.EcdsaSha256)
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return new SigningKey(kid, algorithm, ecdsa.ExportPkcs8PrivateKey(), now, null);
        }
        using var rsa = RSA.Create(2048);
        return new SigningKey(kid, algorithm, rsa.ExportPkcs8PrivateKey(), now, null);
    }
}
