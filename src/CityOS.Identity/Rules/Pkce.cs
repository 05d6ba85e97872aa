using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace CityOS.Identity.Rules;

/// <summary>Proof Key for Code Exchange (RFC 7636), S256 only: "plain" offers no protection worth having.</summary>
public static class Pkce
{
    public const string S256 = "S256";

    /// <summary>RFC 7636 4.1/4.2: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".</summary>
    public static bool IsWellFormed(string value) =>
        value.Length is >= 43 and <= 128 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');

    public static string Challenge(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public static bool Verify(string? verifier, string challenge) =>
        verifier is not null && IsWellFormed(verifier) && Secrets.FixedTimeEquals(Challenge(verifier), challenge);
}
