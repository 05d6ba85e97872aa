using CityOS.Mqtt.Protocol;

namespace CityOS.Mqtt.Tests.Protocol;

public sealed class PacketStreamReaderTests
{
    [Fact]
    public async Task Reads_packets_that_arrive_one_byte_at_a_time()
    {
        var stream = new TrickleStream(Hex.Bytes("20 02 00 00 D0 00 30 07 00 03 61 2F 62 68 69 40 02 00 05"), chunk: 1);
        using var reader = new MqttPacketStreamReader(stream, 1000);

        Assert.IsType<ConnAckPacket>(await reader.ReadAsync(default));
        Assert.IsType<PingRespPacket>(await reader.ReadAsync(default));
        Assert.Equal("a/b", Assert.IsType<PublishPacket>(await reader.ReadAsync(default)).Topic);
        Assert.Equal(new PubAckPacket(5), await reader.ReadAsync(default));
    }

    [Fact]
    public async Task Reads_a_packet_larger_than_its_buffer_and_then_small_ones_again()
    {
        var payload = new byte[1_000_000];
        Random.Shared.NextBytes(payload);
        var big = Hex.Bytes(Hex.Encode(new PublishPacket("big", payload, MqttQualityOfService.AtMostOnce, false, false, 0)));
        var stream = new TrickleStream([.. Hex.Bytes("D0 00"), .. big, .. Hex.Bytes("D0 00 B0 02 00 09")], chunk: 50_000);
        using var reader = new MqttPacketStreamReader(stream, 2_000_000);

        Assert.IsType<PingRespPacket>(await reader.ReadAsync(default));
        var publish = Assert.IsType<PublishPacket>(await reader.ReadAsync(default));
        Assert.Equal(payload, publish.Payload.ToArray());
        Assert.IsType<PingRespPacket>(await reader.ReadAsync(default));
        Assert.Equal(new UnsubAckPacket(9), await reader.ReadAsync(default));
    }

    [Fact]
    public async Task An_oversized_packet_is_refused_before_its_body_is_read()
    {
        var stream = new TrickleStream(Hex.Bytes("30 80 80 04"), chunk: 4);
        using var reader = new MqttPacketStreamReader(stream, 65_535);
        var error = await Assert.ThrowsAsync<MqttProtocolException>(() => reader.ReadAsync(default).AsTask());
        Assert.Contains("packet of 65536 bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30 07 00 03 61")]
    public async Task End_of_stream_means_the_broker_closed_the_connection(string hex)
    {
        using var reader = new MqttPacketStreamReader(new MemoryStream(Hex.Bytes(hex)), 1000);
        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => reader.ReadAsync(default).AsTask());
        Assert.Contains("closed the connection", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_honours_cancellation()
    {
        using var reader = new MqttPacketStreamReader(new NeverEndingStream(), 1000);
        using var cancel = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.ReadAsync(cancel.Token).AsTask());
    }

    /// <summary>Returns at most <c>chunk</c> bytes per read, like a slow network.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    private sealed class NeverEndingStream : MemoryStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
    }
}
