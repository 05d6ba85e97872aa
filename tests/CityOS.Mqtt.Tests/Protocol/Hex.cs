using System.Buffers;
using CityOS.Mqtt.Protocol;

namespace CityOS.Mqtt.Tests.Protocol;

internal static class Hex
{
    /// <summary>"30 07 00 03" -> bytes; spaces are for readability.</summary>
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string Of(ReadOnlySpan<byte> bytes) =>
        string.Join(' ', bytes.ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    public static string Encode(MqttPacket packet)
    {
        var buffer = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, buffer);
        return Of(buffer.WrittenSpan);
    }

    public static MqttPacket Decode(string hex)
    {
        var bytes = Bytes(hex);
        Assert.True(MqttPacketDecoder.TryDecode(bytes, MqttPacketEncoder.MaxRemainingLength, out var packet, out var consumed));
        Assert.Equal(bytes.Length, consumed);
        return packet!;
    }
}
