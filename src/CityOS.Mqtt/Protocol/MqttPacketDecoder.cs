using System.Buffers.Binary;
using System.Text;

namespace CityOS.Mqtt.Protocol;

/// <summary>
/// Reads the MQTT 3.1.1 packets a broker sends to a client. Anything that breaks a MUST of the
/// specification raises <see cref="MqttProtocolException"/>: the caller then closes the connection,
/// as the specification requires.
/// </summary>
internal static class MqttPacketDecoder
{
    /// <summary>Largest fixed header: one type byte and a four-byte remaining length.</summary>
    public const int MaxFixedHeaderLength = 5;

    /// <summary>
    /// Reads a variable byte integer. Returns false when <paramref name="buffer"/> ends before it does.
    /// </summary>
    public static bool TryReadVariableByteInteger(ReadOnlySpan<byte> buffer, out int value, out int bytesConsumed)
    {
        value = 0;
        for (var i = 0; i < 4; i++)
        {
            if (i >= buffer.Length)
            {
                bytesConsumed = 0;
                return false;
            }
            var b = buffer[i];
            value |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                bytesConsumed = i + 1;
                return true;
            }
        }
        throw new MqttProtocolException("Malformed remaining length: more than four bytes (the largest allowed value is 268435455).");
    }

    /// <summary>Reads a fixed header. Returns false when more bytes are needed to know the packet's length.</summary>
    public static bool TryReadFixedHeader(ReadOnlySpan<byte> buffer, out byte firstByte, out int remainingLength, out int headerLength)
    {
        remainingLength = 0;
        headerLength = 0;
        firstByte = 0;
        if (buffer.IsEmpty)
            return false;
        firstByte = buffer[0];
        if (!TryReadVariableByteInteger(buffer[1..], out remainingLength, out var lengthSize))
            return false;
        headerLength = 1 + lengthSize;
        return true;
    }

    /// <summary>
    /// Decodes one whole packet from the start of <paramref name="buffer"/>. Returns false when the buffer
    /// holds only part of it. A PUBLISH payload is copied, so the buffer may be reused afterwards.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> buffer, int maxRemainingLength, out MqttPacket? packet, out int bytesConsumed)
    {
        packet = null;
        bytesConsumed = 0;
        if (!TryReadFixedHeader(buffer, out var firstByte, out var remainingLength, out var headerLength))
            return false;
        CheckSize(remainingLength, maxRemainingLength);
        if (buffer.Length - headerLength < remainingLength)
            return false;
        packet = Decode(firstByte, buffer.Slice(headerLength, remainingLength));
        bytesConsumed = headerLength + remainingLength;
        return true;
    }

    public static void CheckSize(int remainingLength, int maxRemainingLength)
    {
        if (remainingLength > maxRemainingLength)
            throw new MqttProtocolException($"The broker sent a packet of {remainingLength} bytes; this client accepts at most {maxRemainingLength} (MqttClientOptions.MaxIncomingPacketSize).");
    }

    /// <summary>Decodes a packet whose fixed header has been read; <paramref name="body"/> is exactly the remaining length.</summary>
    public static MqttPacket Decode(byte firstByte, ReadOnlySpan<byte> body)
    {
        var type = (MqttPacketType)(firstByte >> 4);
        var flags = firstByte & 0x0F;
        if (type != MqttPacketType.Publish && flags != 0)
            throw new MqttProtocolException($"Malformed {Name(type)} packet: reserved fixed-header flags are 0x{flags:X} instead of 0.");
        var reader = new SpanReader(body, type);
        MqttPacket packet = type switch
        {
            MqttPacketType.ConnAck => DecodeConnAck(ref reader),
            MqttPacketType.Publish => DecodePublish(ref reader, flags),
            MqttPacketType.PubAck => new PubAckPacket(reader.ReadPacketId()),
            MqttPacketType.SubAck => DecodeSubAck(ref reader),
            MqttPacketType.UnsubAck => new UnsubAckPacket(reader.ReadPacketId()),
            MqttPacketType.PingResp => PingRespPacket.Instance,
            _ => throw new MqttProtocolException($"The broker sent a {Name(type)} packet, which a broker never sends to an MQTT 3.1.1 client that does not use QoS 2."),
        };
        reader.EnsureConsumed();
        return packet;
    }

    private static ConnAckPacket DecodeConnAck(ref SpanReader reader)
    {
        var acknowledgeFlags = reader.ReadByte();
        if ((acknowledgeFlags & 0xFE) != 0)
            throw new MqttProtocolException($"Malformed CONNACK packet: reserved acknowledge flags 0x{acknowledgeFlags:X2}.");
        var code = reader.ReadByte();
        if (code > (byte)MqttConnectReturnCode.NotAuthorized)
            throw new MqttProtocolException($"Malformed CONNACK packet: unknown return code {code}.");
        var sessionPresent = (acknowledgeFlags & 1) != 0;
        if (sessionPresent && code != 0)
            throw new MqttProtocolException("Malformed CONNACK packet: session present on a refused connection.");
        return new ConnAckPacket(sessionPresent, (MqttConnectReturnCode)code);
    }

    private static PublishPacket DecodePublish(ref SpanReader reader, int flags)
    {
        var qos = (MqttQualityOfService)((flags >> 1) & 3);
        if ((byte)qos == 3)
            throw new MqttProtocolException("Malformed PUBLISH packet: QoS 3 does not exist.");
        var duplicate = (flags & 0x08) != 0;
        if (duplicate && qos == MqttQualityOfService.AtMostOnce)
            throw new MqttProtocolException("Malformed PUBLISH packet: DUP set on a QoS 0 message.");
        var topic = reader.ReadString("topic name");
        if (MqttTopic.CheckTopicName(topic) is { } problem)
            throw new MqttProtocolException($"Malformed PUBLISH packet: {problem}.");
        var packetId = qos == MqttQualityOfService.AtMostOnce ? (ushort)0 : reader.ReadPacketId();
        var payload = reader.ReadToEnd().ToArray();
        return new PublishPacket(topic, payload, qos, Retain: (flags & 1) != 0, duplicate, packetId);
    }

    private static SubAckPacket DecodeSubAck(ref SpanReader reader)
    {
        var packetId = reader.ReadPacketId();
        var codes = reader.ReadToEnd();
        if (codes.IsEmpty)
            throw new MqttProtocolException("Malformed SUBACK packet: no return codes.");
        foreach (var code in codes)
        {
            if (code is > 2 and not SubAckPacket.Failure)
                throw new MqttProtocolException($"Malformed SUBACK packet: invalid return code 0x{code:X2}.");
        }
        return new SubAckPacket(packetId, codes.ToArray());
    }

    internal static string Name(MqttPacketType type) =>
        Enum.IsDefined(type) ? type.ToString().ToUpperInvariant() : $"reserved type {(byte)type}";

    private ref struct SpanReader(ReadOnlySpan<byte> body, MqttPacketType type)
    {
        private readonly ReadOnlySpan<byte> _body = body;
        private int _position;

        public byte ReadByte()
        {
            Need(1);
            return _body[_position++];
        }

        public ushort ReadPacketId()
        {
            Need(2);
            var id = BinaryPrimitives.ReadUInt16BigEndian(_body[_position..]);
            _position += 2;
            return id != 0 ? id : throw Malformed("packet identifier 0");
        }

        public string ReadString(string what)
        {
            Need(2);
            var length = BinaryPrimitives.ReadUInt16BigEndian(_body[_position..]);
            _position += 2;
            Need(length);
            var bytes = _body.Slice(_position, length);
            _position += length;
            string value;
            try
            {
                value = MqttPacketEncoder.StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Malformed($"the {what} is not well-formed UTF-8");
            }
            return value.Contains('\0') ? throw Malformed($"the {what} contains U+0000") : value;
        }

        public ReadOnlySpan<byte> ReadToEnd()
        {
            var rest = _body[_position..];
            _position = _body.Length;
            return rest;
        }

        public readonly void EnsureConsumed()
        {
            if (_position != _body.Length)
                throw Malformed($"{_body.Length - _position} unexpected bytes after the packet's fields");
        }

        private readonly void Need(int count)
        {
            if (_body.Length - _position < count)
                throw Malformed("the packet ends before its fields do (remaining length too short)");
        }

        private readonly MqttProtocolException Malformed(string detail) => new($"Malformed {Name(type)} packet: {detail}.");
    }
}
