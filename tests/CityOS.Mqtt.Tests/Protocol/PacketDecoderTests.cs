using CityOS.Mqtt.Protocol;
using static CityOS.Mqtt.Tests.Protocol.Hex;

namespace CityOS.Mqtt.Tests.Protocol;

/// <summary>Every packet a broker sends to this client, well-formed and malformed.</summary>
public sealed class PacketDecoderTests
{
    [Theory]
    [InlineData("20 02 00 00", false, MqttConnectReturnCode.Accepted)]
    [InlineData("20 02 01 00", true, MqttConnectReturnCode.Accepted)]
    [InlineData("20 02 00 01", false, MqttConnectReturnCode.UnacceptableProtocolVersion)]
    [InlineData("20 02 00 04", false, MqttConnectReturnCode.BadUserNameOrPassword)]
    [InlineData("20 02 00 05", false, MqttConnectReturnCode.NotAuthorized)]
    public void Connack(string hex, bool sessionPresent, MqttConnectReturnCode code)
    {
        Assert.Equal(new ConnAckPacket(sessionPresent, code), Decode(hex));
    }

    [Fact]
    public void Publish_qos0_qos1_and_duplicate_retained()
    {
        var qos0 = Assert.IsType<PublishPacket>(Decode("30 07 00 03 61 2F 62 68 69"));
        Assert.Equal(("a/b", "hi", MqttQualityOfService.AtMostOnce, false, false, (ushort)0),
            (qos0.Topic, System.Text.Encoding.UTF8.GetString(qos0.Payload.Span), qos0.QualityOfService, qos0.Retain, qos0.Duplicate, qos0.PacketId));

        var qos1 = Assert.IsType<PublishPacket>(Decode("3B 09 00 03 61 2F 62 00 0A 68 69"));
        Assert.Equal((MqttQualityOfService.AtLeastOnce, true, true, (ushort)10), (qos1.QualityOfService, qos1.Retain, qos1.Duplicate, qos1.PacketId));

        var empty = Assert.IsType<PublishPacket>(Decode("32 05 00 01 74 00 01"));
        Assert.True(empty.Payload.IsEmpty);
    }

    [Fact]
    public void Publish_round_trips_through_the_encoder()
    {
        var payload = new byte[70_000];
        Random.Shared.NextBytes(payload);
        var original = new PublishPacket("sensors/ñ/😀", payload, MqttQualityOfService.AtLeastOnce, true, false, 4321);
        var decoded = Assert.IsType<PublishPacket>(Decode(Encode(original)));
        Assert.Equal(original with { Payload = default }, decoded with { Payload = default });
        Assert.True(payload.AsSpan().SequenceEqual(decoded.Payload.Span));
    }

    [Fact]
    public void Decoded_payload_does_not_alias_the_receive_buffer()
    {
        var bytes = Bytes("30 05 00 01 74 68 69");
        Assert.True(MqttPacketDecoder.TryDecode(bytes, 100, out var packet, out _));
        bytes.AsSpan().Clear();
        Assert.Equal("hi"u8.ToArray(), ((PublishPacket)packet!).Payload.ToArray());
    }

    [Fact]
    public void Puback_suback_unsuback_pingresp()
    {
        Assert.Equal(new PubAckPacket(5), Decode("40 02 00 05"));
        var subAck = Assert.IsType<SubAckPacket>(Decode("90 06 12 34 00 01 02 80"));
        Assert.Equal((ushort)0x1234, subAck.PacketId);
        Assert.Equal([0, 1, 2, 0x80], subAck.ReturnCodes);
        Assert.Equal(new UnsubAckPacket(7), Decode("B0 02 00 07"));
        Assert.Same(PingRespPacket.Instance, Decode("D0 00"));
    }

    [Theory]
    [InlineData("20 02 02 00", "reserved acknowledge flags")]
    [InlineData("20 02 00 06", "unknown return code 6")]
    [InlineData("20 02 01 04", "session present on a refused connection")]
    [InlineData("20 03 00 00 00", "1 unexpected bytes")]
    [InlineData("20 01 00", "ends before its fields")]
    [InlineData("21 02 00 00", "reserved fixed-header flags")]
    [InlineData("36 05 00 01 74 00 01", "QoS 3")]
    [InlineData("38 03 00 01 74", "DUP set on a QoS 0")]
    [InlineData("30 04 00 03 61 2F", "ends before its fields")]
    [InlineData("30 05 00 03 61 2F 2B", "wildcard")]
    [InlineData("30 03 00 01 23", "wildcard")]
    [InlineData("30 04 00 02 C3 28", "not well-formed UTF-8")]
    [InlineData("30 05 00 03 61 00 62", "U+0000")]
    [InlineData("30 02 00 00", "must not be empty")]
    [InlineData("32 05 00 01 74 00 00", "packet identifier 0")]
    [InlineData("40 02 00 00", "packet identifier 0")]
    [InlineData("40 03 00 01 00", "unexpected bytes")]
    [InlineData("90 02 00 01", "no return codes")]
    [InlineData("90 03 00 01 03", "invalid return code 0x03")]
    [InlineData("D0 01 00", "unexpected bytes")]
    [InlineData("D2 00", "reserved fixed-header flags")]
    public void Malformed_packets_are_reported_with_the_reason(string hex, string reason)
    {
        var error = Assert.Throws<MqttProtocolException>(() => Decode(hex));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10 02 00 00", "CONNECT")]
    [InlineData("50 02 00 01", "PUBREC")]
    [InlineData("70 02 00 01", "PUBCOMP")]
    [InlineData("82 02 00 01", "SUBSCRIBE")]
    [InlineData("C0 00", "PINGREQ")]
    [InlineData("E0 00", "DISCONNECT")]
    [InlineData("00 00", "reserved type 0")]
    [InlineData("F0 00", "reserved type 15")]
    public void Packets_a_broker_never_sends_to_this_client_are_refused(string hex, string name)
    {
        var error = Assert.Throws<MqttProtocolException>(() => Decode(hex));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("30 80")]
    [InlineData("30 07 00 03 61 2F 62 68")]
    public void An_incomplete_packet_needs_more_bytes(string hex)
    {
        Assert.False(MqttPacketDecoder.TryDecode(Bytes(hex), 1000, out var packet, out var consumed));
        Assert.Null(packet);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void Only_the_first_packet_of_the_buffer_is_consumed()
    {
        var bytes = Bytes("D0 00 40 02 00 05");
        Assert.True(MqttPacketDecoder.TryDecode(bytes, 1000, out var first, out var consumed));
        Assert.Same(PingRespPacket.Instance, first);
        Assert.Equal(2, consumed);
        Assert.True(MqttPacketDecoder.TryDecode(bytes.AsSpan(consumed), 1000, out var second, out _));
        Assert.Equal(new PubAckPacket(5), second);
    }

    [Fact]
    public void A_packet_over_the_size_limit_is_refused_from_its_header_alone()
    {
        var error = Assert.Throws<MqttProtocolException>(() => MqttPacketDecoder.TryDecode(Bytes("30 FF FF FF 7F"), 1024, out _, out _));
        Assert.Contains("268435455 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxIncomingPacketSize", error.Message, StringComparison.Ordinal);
    }
}
