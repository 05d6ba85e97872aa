using System.Buffers;

namespace CityOS.Mqtt.Protocol;

/// <summary>
/// Reads whole packets from a stream through one pooled buffer that grows only for packets that need it
/// and shrinks back once they are gone, so a stream of small packets reads without allocations
/// other than the decoded packets themselves.
/// </summary>
internal sealed class MqttPacketStreamReader(Stream stream, int maxRemainingLength) : IDisposable
{
    private const int DefaultBufferSize = 4096;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(DefaultBufferSize);
    private int _start;
    private int _end;

    public async ValueTask<MqttPacket> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffered = _buffer.AsSpan(_start, _end - _start);
            if (MqttPacketDecoder.TryReadFixedHeader(buffered, out var firstByte, out var remainingLength, out var headerLength))
            {
                MqttPacketDecoder.CheckSize(remainingLength, maxRemainingLength);
                var total = headerLength + remainingLength;
                if (buffered.Length >= total)
                {
                    var packet = MqttPacketDecoder.Decode(firstByte, buffered.Slice(headerLength, remainingLength));
                    Consume(total);
                    return packet;
                }
                MakeRoom(total);
            }
            else
            {
                MakeRoom(MqttPacketDecoder.MaxFixedHeaderLength);
            }

            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                throw new MqttConnectionException("The broker closed the connection.");
            _end += read;
        }
    }

    private void Consume(int count)
    {
        _start += count;
        if (_start != _end)
            return;
        _start = _end = 0;
        if (_buffer.Length > DefaultBufferSize)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(DefaultBufferSize);
        }
    }

    /// <summary>Ensures the buffer can hold <paramref name="packetLength"/> bytes from <c>_start</c> and has free space after <c>_end</c>.</summary>
    private void MakeRoom(int packetLength)
    {
        var buffered = _end - _start;
        var needed = Math.Max(packetLength, buffered + 1);
        if (needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(needed);
            _buffer.AsSpan(_start, buffered).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        else if (_start + needed > _buffer.Length || _end == _buffer.Length)
        {
            _buffer.AsSpan(_start, buffered).CopyTo(_buffer);
        }
        else
        {
            return;
        }
        _start = 0;
        _end = buffered;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
