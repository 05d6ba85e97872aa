using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CityOS.Devices.Rules;

/// <summary>
/// The MQTT passwords of service groups and devices (the <c>password</c> field at provisioning): kept only as salted
/// PBKDF2-SHA256 hashes, never shown back. A verified password is remembered (by its hash) so reconnecting devices do not
/// pay the key derivation again.
/// </summary>
public static class DevicePasswords
{
    private const int Iterations = 10_000;
    private const int MaxRemembered = 10_000;
    private static readonly ConcurrentDictionary<(string Stored, string Given), bool> Verified = new();

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string? stored, string? password)
    {
        if (stored is null || string.IsNullOrEmpty(password)) return false;
        var given = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
        if (Verified.ContainsKey((stored, given))) return true;
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256") return false;
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(parts[2]),
            int.Parse(parts[1], CultureInfo.InvariantCulture), HashAlgorithmName.SHA256, expected.Length);
        if (!CryptographicOperations.FixedTimeEquals(expected, actual)) return false;
        if (Verified.Count >= MaxRemembered) Verified.Clear();
        Verified[(stored, given)] = true;
        return true;
    }
}
