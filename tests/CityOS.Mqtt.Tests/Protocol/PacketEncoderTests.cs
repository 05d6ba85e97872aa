using System.Buffers;
using CityOS.Mqtt.Protocol;
using static CityOS.Mqtt.Tests.Protocol.Hex;

namespace CityOS.Mqtt.Tests.Protocol;

/// <summary>Every packet the client sends, checked byte by byte against MQTT 3.1.1 chapter 3.</summary>
public sealed class PacketEncoderTests
{
    [Fact]
    public void Connect_with_credentials_and_clean_session()
    {
        var packet = new ConnectPacket("c1", 60, CleanSession: true, UserName: "u", Password: "p", Will: null);
        Assert.Equal(
            "10 14 00 04 4D 51 54 54 04 C2 00 3C 00 02 63 31 00 01 75 00 01 70",
            Encode(packet));
    }

    [Fact]
    public void Connect_with_a_retained_qos1_will_and_no_credentials()
    {
        var will = new MqttWill("w", "x"u8.ToArray(), MqttQualityOfService.AtLeastOnce, Retain: true);
        var packet = new ConnectPacket("c1", 0, CleanSession: true, UserName: null, Password: null, will);
        Assert.Equal("10 14 00 04 4D 51 54 54 04 2E 00 00 00 02 63 31 00 01 77 00 01 78", Encode(packet));
    }

    [Fact]
    public void Connect_with_persistent_session_empty_client_id_and_user_name_only()
    {
        var packet = new ConnectPacket("", 65535, CleanSession: false, UserName: "ü", Password: null, Will: null);
        Assert.Equal("10 10 00 04 4D 51 54 54 04 80 FF FF 00 00 00 02 C3 BC", Encode(packet));
    }

    [Fact]
    public void Connect_refuses_a_password_without_a_user_name()
    {
        var packet = new ConnectPacket("c", 0, true, UserName: null, Password: "p", Will: null);
        Assert.Throws<ArgumentException>(() => Encode(packet));
    }

    [Fact]
    public void Publish_qos0()
    {
        Assert.Equal("30 07 00 03 61 2F 62 68 69", Encode(new PublishPacket("a/b", "hi"u8.ToArray(), MqttQualityOfService.AtMostOnce, false, false, 0)));
    }

    [Fact]
    public void Publish_qos1_duplicate_retained_with_packet_id()
    {
        Assert.Equal("3B 09 00 03 61 2F 62 00 0A 68 69", Encode(new PublishPacket("a/b", "hi"u8.ToArray(), MqttQualityOfService.AtLeastOnce, true, true, 10)));
    }

    [Fact]
    public void Publish_with_a_payload_that_needs_a_two_byte_remaining_length()
    {
        var payload = new byte[200];
        var hex = Encode(new PublishPacket("t", payload, MqttQualityOfService.AtMostOnce, false, false, 0));
        // 2 + 1 + 200 = 203 = 0xCB 0x01
        Assert.StartsWith("30 CB 01 00 01 74 00 00", hex, StringComparison.Ordinal);
        Assert.Equal(3 + 203, Bytes(hex).Length);
    }

    [Fact]
    public void Publish_header_without_payload_is_what_precedes_the_payload()
    {
        var packet = new PublishPacket("a/b", new byte[20_000], MqttQualityOfService.AtLeastOnce, false, false, 7);
        var whole = new ArrayBufferWriter<byte>();
        var header = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, whole);
        MqttPacketEncoder.EncodePublish(packet, header, includePayload: false);
        Assert.Equal(whole.WrittenCount - 20_000, header.WrittenCount);
        Assert.True(whole.WrittenSpan.StartsWith(header.WrittenSpan));
    }

    [Fact]
    public void Publish_qos1_needs_a_packet_id()
    {
        Assert.Throws<ArgumentException>(() => Encode(new PublishPacket("t", default, MqttQualityOfService.AtLeastOnce, false, false, 0)));
    }

    [Fact]
    public void Puback()
    {
        Assert.Equal("40 02 00 05", Encode(new PubAckPacket(5)));
        Assert.Equal("40 02 FF FF", Encode(new PubAckPacket(65535)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new PubAckPacket(0)));
    }

    [Fact]
    public void Subscribe_with_two_filters()
    {
        var packet = new SubscribePacket(1, [new MqttTopicFilter("a/+", MqttQualityOfService.AtLeastOnce), new MqttTopicFilter("#", MqttQualityOfService.AtMostOnce)]);
        Assert.Equal("82 0C 00 01 00 03 61 2F 2B 01 00 01 23 00", Encode(packet));
    }

    [Fact]
    public void Subscribe_needs_a_filter()
    {
        Assert.Throws<ArgumentException>(() => Encode(new SubscribePacket(1, [])));
    }

    [Fact]
    public void Unsubscribe()
    {
        Assert.Equal("A2 07 00 02 00 03 61 2F 2B", Encode(new UnsubscribePacket(2, ["a/+"])));
        Assert.Throws<ArgumentException>(() => Encode(new UnsubscribePacket(2, [])));
    }

    [Fact]
    public void Pingreq_and_disconnect()
    {
        Assert.Equal("C0 00", Encode(PingReqPacket.Instance));
        Assert.Equal("E0 00", Encode(DisconnectPacket.Instance));
    }

    [Fact]
    public void Strings_are_length_prefixed_utf8()
    {
        Assert.Equal("30 0B 00 09 E2 82 AC 2F F0 9F 98 80 2F", Encode(new PublishPacket("€/😀/", default, MqttQualityOfService.AtMostOnce, false, false, 0)));
    }

    [Theory]
    [InlineData('\0', "U+0000")]
    [InlineData('\ud800', "unpaired surrogate")]
    public void Strings_mqtt_forbids_are_refused(char bad, string reason)
    {
        var topic = $"a{bad}b";
        var error = Assert.Throws<ArgumentException>(() => Encode(new PublishPacket(topic, default, MqttQualityOfService.AtMostOnce, false, false, 0)));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_longer_than_65535_utf8_bytes_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Encode(new UnsubscribePacket(1, [new string('é', 32_768)])));
        Assert.Contains("65536 bytes", error.Message, StringComparison.Ordinal);
        Encode(new UnsubscribePacket(1, [new string('a', 65_535)]));
    }
}
