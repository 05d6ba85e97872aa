using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CityOS.Identity.Mfa;

/// <summary>Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP).</summary>
public static class Totp
{
    public const int Period = 30;
    public const int Digits = 6;

    public static long StepAt(DateTimeOffset time, int period = Period) => time.ToUnixTimeSeconds() / period;

    /// <summary>The HOTP value (RFC 4226 5.3) of <paramref name="step"/>, zero-padded to <paramref name="digits"/>.</summary>
    public static string Code(ReadOnlySpan<byte> secret, long step, int digits = Digits, string algorithm = "SHA1")
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        var mac = algorithm switch
        {
            "SHA1" => HMACSHA1.HashData(secret, counter),
            "SHA256" => HMACSHA256.HashData(secret, counter),
            "SHA512" => HMACSHA512.HashData(secret, counter),
            _ => throw new ArgumentException($"Unsupported TOTP algorithm {algorithm}.", nameof(algorithm)),
        };
        var offset = mac[^1] & 0x0f;
        var binary = (BinaryPrimitives.ReadInt32BigEndian(mac.AsSpan(offset, 4)) & 0x7fffffff) % (long)Math.Pow(10, digits);
        return binary.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>
    /// The step a six-digit code was valid for, allowing one step of clock drift either way, if it is later
    /// than <paramref name="lastAcceptedStep"/> (a code is accepted once); null when it does not match.
    /// </summary>
    public static long? Verify(ReadOnlySpan<byte> secret, string code, DateTimeOffset now, long lastAcceptedStep)
    {
        var trimmed = code.Trim();
        if (trimmed.Length != Digits || !trimmed.All(char.IsAsciiDigit)) return null;
        var current = StepAt(now);
        for (var step = current - 1; step <= current + 1; step++)
        {
            if (step > lastAcceptedStep && CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.ASCII.GetBytes(Code(secret, step)), System.Text.Encoding.ASCII.GetBytes(trimmed)))
            {
                return step;
            }
        }
        return null;
    }

    /// <summary>The otpauth:// URI authenticator apps read from the enrolment QR code.</summary>
    public static string ProvisioningUri(string issuer, string account, string base32Secret) =>
        $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(account)}?secret={base32Secret}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={Period}";
}
