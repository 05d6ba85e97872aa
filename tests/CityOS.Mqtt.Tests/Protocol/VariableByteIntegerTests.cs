using CityOS.Mqtt.Protocol;

namespace CityOS.Mqtt.Tests.Protocol;

public sealed class VariableByteIntegerTests
{
    [Theory]
    [InlineData(0, "00")]
    [InlineData(1, "01")]
    [InlineData(127, "7F")]
    [InlineData(128, "80 01")]
    [InlineData(321, "C1 02")]
    [InlineData(16_383, "FF 7F")]
    [InlineData(16_384, "80 80 01")]
    [InlineData(2_097_151, "FF FF 7F")]
    [InlineData(2_097_152, "80 80 80 01")]
    [InlineData(268_435_455, "FF FF FF 7F")]
    public void Encodes_and_decodes_the_boundaries_of_each_length(int value, string hex)
    {
        Span<byte> buffer = stackalloc byte[4];
        var written = MqttPacketEncoder.WriteVariableByteInteger(buffer, value);
        Assert.Equal(hex, Hex.Of(buffer[..written]));
        Assert.Equal(written, MqttPacketEncoder.GetVariableByteIntegerSize(value));

        Assert.True(MqttPacketDecoder.TryReadVariableByteInteger(Hex.Bytes(hex + " AA"), out var decoded, out var consumed));
        Assert.Equal((value, written), (decoded, consumed));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(268_435_456)]
    [InlineData(int.MaxValue)]
    public void Refuses_to_encode_values_outside_the_range(int value)
    {
        var buffer = new byte[8];
        Assert.Throws<ArgumentOutOfRangeException>(() => MqttPacketEncoder.WriteVariableByteInteger(buffer, value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("80")]
    [InlineData("FF FF")]
    [InlineData("FF FF FF")]
    public void Reports_an_incomplete_integer_as_needing_more_bytes(string hex)
    {
        Assert.False(MqttPacketDecoder.TryReadVariableByteInteger(Hex.Bytes(hex), out _, out var consumed));
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData("FF FF FF FF 7F")]
    [InlineData("80 80 80 80 01")]
    public void A_fifth_byte_is_malformed(string hex)
    {
        var error = Assert.Throws<MqttProtocolException>(() => MqttPacketDecoder.TryReadVariableByteInteger(Hex.Bytes(hex), out _, out _));
        Assert.Contains("more than four bytes", error.Message, StringComparison.Ordinal);
    }
}
