using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace CityOS.Identity.Rules;

/// <summary>Random bearer secrets (codes, refresh tokens, session ids, client secrets) and the hashes they are stored as.</summary>
public static class Secrets
{
    /// <summary>256 random bits, base64url.</summary>
    public static string NewToken() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>SHA-256 of a high-entropy secret, base64url: enough for random tokens (passwords use <see cref="PasswordHasher"/>).</summary>
    public static string Hash(string secret) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool HashEquals(string secret, string expectedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(secret)), Encoding.ASCII.GetBytes(expectedHash));

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
