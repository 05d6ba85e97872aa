using System.Net;
using System.Net.Sockets;

namespace CityOS.Mqtt.Tests.Infrastructure;

/// <summary>
/// A scripted broker on loopback: the test reads what the client sends byte by byte and answers
/// whatever it likes, including what no real broker would send.
/// </summary>
public sealed class FakeBroker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<FakeBrokerConnection> _connections = [];

    public FakeBroker() => _listener.Start();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async Task<FakeBrokerConnection> AcceptAsync()
    {
        var client = await _listener.AcceptTcpClientAsync(TestClient.Timeout());
        var connection = new FakeBrokerConnection(client);
        _connections.Add(connection);
        return connection;
    }

    /// <summary>Accepts a connection, checks it starts with CONNECT and accepts it.</summary>
    public async Task<FakeBrokerConnection> AcceptClientAsync(bool sessionPresent = false)
    {
        var connection = await AcceptAsync();
        var (type, _) = await connection.ReadPacketAsync();
        Assert.Equal(0x10, type);
        await connection.SendAsync(sessionPresent ? "20 02 01 00" : "20 02 00 00");
        return connection;
    }

    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        foreach (var connection in _connections)
            connection.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class FakeBrokerConnection(TcpClient client) : IDisposable
{
    private readonly NetworkStream _stream = client.GetStream();

    /// <summary>Reads one packet: its first byte and its body.</summary>
    public async Task<(byte FirstByte, byte[] Body)> ReadPacketAsync(int timeoutSeconds = 10)
    {
        var token = TestClient.Timeout(timeoutSeconds);
        var first = await ReadByteAsync(token);
        var length = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = await ReadByteAsync(token);
            length |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                break;
        }
        var body = new byte[length];
        await _stream.ReadExactlyAsync(body, token);
        return (first, body);
    }

    /// <summary>Reads packets until one whose first byte's high nibble is <paramref name="type"/>, skipping PINGREQs.</summary>
    public async Task<(byte FirstByte, byte[] Body)> ReadPacketOfTypeAsync(int type)
    {
        while (true)
        {
            var packet = await ReadPacketAsync();
            if (packet.FirstByte >> 4 == type)
                return packet;
            Assert.Equal(0xC0, packet.FirstByte);
        }
    }

    public async Task SendAsync(string hex) => await _stream.WriteAsync(Hex.Bytes(hex), TestClient.Timeout());

    /// <summary>True when the client closed the connection (end of stream or reset).</summary>
    public async Task<bool> ClosedByClientAsync()
    {
        try
        {
            var buffer = new byte[256];
            while (await _stream.ReadAsync(buffer, TestClient.Timeout()) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<byte> ReadByteAsync(CancellationToken token)
    {
        var buffer = new byte[1];
        await _stream.ReadExactlyAsync(buffer, token);
        return buffer[0];
    }

    public void Dispose() => client.Dispose();
}
