using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace CityOS.Mqtt.Protocol;

/// <summary>
/// Writes MQTT 3.1.1 control packets. Every packet is sized first and then written into one span,
/// so encoding allocates nothing beyond the output buffer.
/// </summary>
internal static class MqttPacketEncoder
{
    public const int MaxRemainingLength = 268_435_455;

    /// <summary>Strict so that strings with unpaired surrogates are rejected instead of silently altered.</summary>
    public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private const byte ProtocolLevel311 = 4;

    public static int GetVariableByteIntegerSize(int value) => value switch
    {
        < 0 or > MaxRemainingLength => throw new ArgumentOutOfRangeException(nameof(value), value, $"A remaining length must be between 0 and {MaxRemainingLength}."),
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };

    public static int WriteVariableByteInteger(Span<byte> destination, int value)
    {
        var size = GetVariableByteIntegerSize(value);
        for (var i = 0; i < size; i++)
        {
            var digit = (byte)(value & 0x7F);
            value >>= 7;
            destination[i] = value > 0 ? (byte)(digit | 0x80) : digit;
        }
        return size;
    }

    /// <summary>Writes the whole packet.</summary>
    public static void Encode(MqttPacket packet, IBufferWriter<byte> output)
    {
        switch (packet)
        {
            case PublishPacket publish:
                EncodePublish(publish, output, includePayload: true);
                break;
            case PubAckPacket ack:
                WriteTwoByteBody(output, 0x40, ack.PacketId);
                break;
            case ConnectPacket connect:
                EncodeConnect(connect, output);
                break;
            case SubscribePacket subscribe:
                EncodeSubscribe(subscribe, output);
                break;
            case UnsubscribePacket unsubscribe:
                EncodeUnsubscribe(unsubscribe, output);
                break;
            case PingReqPacket:
                WriteEmptyBody(output, 0xC0);
                break;
            case DisconnectPacket:
                WriteEmptyBody(output, 0xE0);
                break;
            default:
                throw new NotSupportedException($"This client does not send {packet.Type} packets.");
        }
    }

    /// <summary>
    /// Writes a PUBLISH packet; without the payload when <paramref name="includePayload"/> is false, so that
    /// a large payload can go to the socket straight from the caller's memory instead of being copied.
    /// </summary>
    public static void EncodePublish(PublishPacket packet, IBufferWriter<byte> output, bool includePayload)
    {
        if (packet.QualityOfService is > MqttQualityOfService.ExactlyOnce)
            throw new ArgumentOutOfRangeException(nameof(packet), packet.QualityOfService, "QoS must be 0, 1 or 2.");
        var hasPacketId = packet.QualityOfService != MqttQualityOfService.AtMostOnce;
        if (hasPacketId && packet.PacketId == 0)
            throw new ArgumentException("A QoS 1 or 2 PUBLISH needs a non-zero packet identifier.", nameof(packet));
        var topicLength = Utf8Length(packet.Topic, "topic name");
        var remaining = (long)2 + topicLength + (hasPacketId ? 2 : 0) + packet.Payload.Length;
        CheckRemainingLength(remaining);

        var flags = (byte)(0x30
            | (packet.Duplicate ? 0x08 : 0)
            | ((byte)packet.QualityOfService << 1)
            | (packet.Retain ? 0x01 : 0));
        var written = (int)remaining - (includePayload ? 0 : packet.Payload.Length);
        var writer = new SpanWriter(output.GetSpan(1 + GetVariableByteIntegerSize((int)remaining) + written));
        writer.WriteByte(flags);
        writer.WriteVariableByteInteger((int)remaining);
        writer.WriteString(packet.Topic, topicLength);
        if (hasPacketId)
            writer.WriteUInt16(packet.PacketId);
        if (includePayload)
            writer.WriteBytes(packet.Payload.Span);
        output.Advance(writer.Position);
    }

    private static void EncodeConnect(ConnectPacket packet, IBufferWriter<byte> output)
    {
        if (packet.Password is not null && packet.UserName is null)
            throw new ArgumentException("MQTT 3.1.1 does not allow a password without a user name.", nameof(packet));
        var clientIdLength = Utf8Length(packet.ClientId, "client identifier");
        var userNameLength = packet.UserName is null ? 0 : Utf8Length(packet.UserName, "user name");
        var passwordLength = packet.Password is null ? 0 : Utf8Length(packet.Password, "password");
        var willTopicLength = packet.Will is null ? 0 : Utf8Length(packet.Will.Topic, "will topic");
        if (packet.Will is { } will)
        {
            if (will.Payload.Length > ushort.MaxValue)
                throw new ArgumentException($"A will message is at most {ushort.MaxValue} bytes.", nameof(packet));
            if (will.QualityOfService is > MqttQualityOfService.ExactlyOnce)
                throw new ArgumentOutOfRangeException(nameof(packet), will.QualityOfService, "The will QoS must be 0, 1 or 2.");
        }

        // Variable header: protocol name "MQTT" (6), level (1), flags (1), keep-alive (2).
        var remaining = 10 + 2 + clientIdLength
            + (packet.Will is null ? 0 : 2 + willTopicLength + 2 + packet.Will.Payload.Length)
            + (packet.UserName is null ? 0 : 2 + userNameLength)
            + (packet.Password is null ? 0 : 2 + passwordLength);
        var flags = (byte)((packet.CleanSession ? 0x02 : 0)
            | (packet.Will is { } w ? 0x04 | ((byte)w.QualityOfService << 3) | (w.Retain ? 0x20 : 0) : 0)
            | (packet.Password is not null ? 0x40 : 0)
            | (packet.UserName is not null ? 0x80 : 0));

        var writer = new SpanWriter(output.GetSpan(1 + GetVariableByteIntegerSize(remaining) + remaining));
        writer.WriteByte(0x10);
        writer.WriteVariableByteInteger(remaining);
        writer.WriteString("MQTT", 4);
        writer.WriteByte(ProtocolLevel311);
        writer.WriteByte(flags);
        writer.WriteUInt16(packet.KeepAliveSeconds);
        writer.WriteString(packet.ClientId, clientIdLength);
        if (packet.Will is { } willMessage)
        {
            writer.WriteString(willMessage.Topic, willTopicLength);
            writer.WriteUInt16((ushort)willMessage.Payload.Length);
            writer.WriteBytes(willMessage.Payload.Span);
        }
        if (packet.UserName is not null)
            writer.WriteString(packet.UserName, userNameLength);
        if (packet.Password is not null)
            writer.WriteString(packet.Password, passwordLength);
        output.Advance(writer.Position);
    }

    private static void EncodeSubscribe(SubscribePacket packet, IBufferWriter<byte> output)
    {
        if (packet.Filters.Count == 0)
            throw new ArgumentException("A SUBSCRIBE needs at least one topic filter.", nameof(packet));
        CheckPacketId(packet.PacketId);
        long remaining = 2;
        foreach (var filter in packet.Filters)
        {
            if (filter.QualityOfService is > MqttQualityOfService.ExactlyOnce)
                throw new ArgumentOutOfRangeException(nameof(packet), filter.QualityOfService, "A requested QoS must be 0, 1 or 2.");
            remaining += 2 + Utf8Length(filter.Filter, "topic filter") + 1;
        }
        CheckRemainingLength(remaining);

        var writer = new SpanWriter(output.GetSpan(1 + GetVariableByteIntegerSize((int)remaining) + (int)remaining));
        writer.WriteByte(0x82);
        writer.WriteVariableByteInteger((int)remaining);
        writer.WriteUInt16(packet.PacketId);
        foreach (var filter in packet.Filters)
        {
            writer.WriteString(filter.Filter, StrictUtf8.GetByteCount(filter.Filter));
            writer.WriteByte((byte)filter.QualityOfService);
        }
        output.Advance(writer.Position);
    }

    private static void EncodeUnsubscribe(UnsubscribePacket packet, IBufferWriter<byte> output)
    {
        if (packet.Filters.Count == 0)
            throw new ArgumentException("An UNSUBSCRIBE needs at least one topic filter.", nameof(packet));
        CheckPacketId(packet.PacketId);
        long remaining = 2;
        foreach (var filter in packet.Filters)
            remaining += 2 + Utf8Length(filter, "topic filter");
        CheckRemainingLength(remaining);

        var writer = new SpanWriter(output.GetSpan(1 + GetVariableByteIntegerSize((int)remaining) + (int)remaining));
        writer.WriteByte(0xA2);
        writer.WriteVariableByteInteger((int)remaining);
        writer.WriteUInt16(packet.PacketId);
        foreach (var filter in packet.Filters)
            writer.WriteString(filter, StrictUtf8.GetByteCount(filter));
        output.Advance(writer.Position);
    }

    private static void WriteTwoByteBody(IBufferWriter<byte> output, byte firstByte, ushort packetId)
    {
        CheckPacketId(packetId);
        var span = output.GetSpan(4);
        span[0] = firstByte;
        span[1] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], packetId);
        output.Advance(4);
    }

    private static void WriteEmptyBody(IBufferWriter<byte> output, byte firstByte)
    {
        var span = output.GetSpan(2);
        span[0] = firstByte;
        span[1] = 0;
        output.Advance(2);
    }

    private static void CheckPacketId(ushort packetId)
    {
        if (packetId == 0)
            throw new ArgumentOutOfRangeException(nameof(packetId), "MQTT packet identifiers are non-zero.");
    }

    private static void CheckRemainingLength(long remaining)
    {
        if (remaining > MaxRemainingLength)
            throw new ArgumentException($"The packet would be {remaining} bytes long; MQTT allows at most {MaxRemainingLength} after the fixed header.");
    }

    private static int Utf8Length(string value, string what)
    {
        ArgumentNullException.ThrowIfNull(value, what);
        var problem = MqttTopic.CheckUtf8(value, what);
        return problem is null ? StrictUtf8.GetByteCount(value) : throw new ArgumentException(problem);
    }

    private ref struct SpanWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

        public void WriteByte(byte value) => _destination[Position++] = value;

        public void WriteUInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_destination[Position..], value);
            Position += 2;
        }

        public void WriteVariableByteInteger(int value) =>
            Position += MqttPacketEncoder.WriteVariableByteInteger(_destination[Position..], value);

        public void WriteString(string value, int utf8Length)
        {
            WriteUInt16((ushort)utf8Length);
            Position += StrictUtf8.GetBytes(value, _destination[Position..]);
        }

        public void WriteBytes(ReadOnlySpan<byte> value)
        {
            value.CopyTo(_destination[Position..]);
            Position += value.Length;
        }
    }
}
