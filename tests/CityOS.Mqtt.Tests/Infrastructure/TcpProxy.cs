using System.Net;
using System.Net.Sockets;

namespace CityOS.Mqtt.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of the broker, to simulate network failures the broker cannot:
/// a connection that goes silent (half-open) or is cut without a DISCONNECT.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Pair> _pairs = [];
    private readonly Task _acceptLoop;
    private long _bytesFromBroker;

    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int AcceptedConnections
    {
        get
        {
            lock (_pairs)
                return _pairs.Count;
        }
    }

    /// <summary>Bytes the broker sent through the proxy so far, all connections together.</summary>
    public long BytesFromBroker => Interlocked.Read(ref _bytesFromBroker);

    /// <summary>Existing connections stop carrying bytes in both directions but stay open; new ones work.</summary>
    public void SilenceExistingConnections()
    {
        lock (_pairs)
        {
            foreach (var pair in _pairs)
                pair.Silenced = true;
        }
    }

    /// <summary>Closes every existing connection abruptly on both sides.</summary>
    public void CutExistingConnections()
    {
        lock (_pairs)
        {
            foreach (var pair in _pairs)
                pair.Close();
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                var pair = new Pair(client, server);
                lock (_pairs)
                    _pairs.Add(pair);
                _ = PumpAsync(pair, client.GetStream(), server.GetStream(), fromBroker: false);
                _ = PumpAsync(pair, server.GetStream(), client.GetStream(), fromBroker: true);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The proxy is shutting down.
        }
    }

    private async Task PumpAsync(Pair pair, NetworkStream from, NetworkStream to, bool fromBroker)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                    break;
                if (pair.Silenced)
                    continue;
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                if (fromBroker)
                    Interlocked.Add(ref _bytesFromBroker, read);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Either side went away; closing the pair below tells the other side.
        }
        pair.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        CutExistingConnections();
        _stop.Dispose();
    }

    private sealed class Pair(TcpClient client, TcpClient server)
    {
        public volatile bool Silenced;

        public void Close()
        {
            // Linger 0 sends RST, the closest thing to a cable being pulled.
            foreach (var socket in new[] { client.Client, server.Client })
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                catch (ObjectDisposedException)
                {
                    continue;
                }
                socket.Dispose();
            }
        }
    }
}
