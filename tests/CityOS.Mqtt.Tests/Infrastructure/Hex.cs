namespace CityOS.Mqtt.Tests.Infrastructure;

internal static class Hex
{
    /// <summary>"30 07 00 03" -> bytes; spaces are for readability.</summary>
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string Of(ReadOnlySpan<byte> bytes) =>
        string.Join(' ', bytes.ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
}
