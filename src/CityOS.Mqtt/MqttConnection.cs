using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using CityOS.Mqtt.Protocol;

namespace CityOS.Mqtt;

/// <summary>
/// One network connection to the broker, from CONNECT until it faults. It is never reused: the client
/// opens a new one to reconnect. Writes are serialised; reads belong to the client's single read loop.
/// </summary>
internal sealed class MqttConnection : IDisposable
{
    /// <summary>Payloads at least this large are written from the caller's memory rather than copied.</summary>
    private const int CopyPayloadBelow = 8 * 1024;
    private const int RetainedWriteBufferSize = 64 * 1024;

    private readonly Stream _stream;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte> _writeBuffer = new(256);
    private TaskCompletionSource? _pingReply;
    private long _lastSent;
    private long _lastReceived;

    private MqttConnection(Stream stream, MqttClientOptions options, TimeProvider time)
    {
        _stream = stream;
        _time = time;
        Reader = new MqttPacketStreamReader(stream, options.MaxIncomingPacketSize);
        _lastSent = _lastReceived = time.GetTimestamp();
    }

    public MqttPacketStreamReader Reader { get; }

    public bool SessionPresent { get; private set; }

    /// <summary>Completes with the reason once the connection has faulted or was closed.</summary>
    public Task<Exception> Closed => _closed.Task;

    public CancellationToken ClosingToken => _closing.Token;

    public TimeSpan SinceLastSent => _time.GetElapsedTime(Interlocked.Read(ref _lastSent));

    public TimeSpan SinceLastReceived => _time.GetElapsedTime(Interlocked.Read(ref _lastReceived));

    public static async Task<MqttConnection> OpenAsync(MqttClientOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var token = linked.Token;
        var socket = options.ConnectSocket is null ? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true } : null;
        Stream? stream = null;
        MqttConnection? connection = null;
        try
        {
            if (socket is null)
                socket = await options.ConnectSocket!(options.Host, options.Port, token).ConfigureAwait(false);
            else
                await socket.ConnectAsync(options.Host, options.Port, token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.UseTls)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(TlsOptionsFor(options), token).ConfigureAwait(false);
            }

            connection = new MqttConnection(stream, options, time);
            // The connection's own writes ignore caller tokens; closing it is what interrupts a stalled handshake.
            using (token.Register(static state => ((MqttConnection)state!).Fault(new OperationCanceledException()), connection))
            {
                await connection.SendAsync(new ConnectPacket(
                    options.ClientId, options.KeepAliveSeconds, options.CleanSession, options.UserName, options.Password, options.Will),
                    CancellationToken.None).ConfigureAwait(false);
                var reply = await connection.ReadAsync(token).ConfigureAwait(false);
                if (reply is not ConnAckPacket connAck)
                    throw new MqttProtocolException($"The broker answered CONNECT with {MqttPacketDecoder.Name(reply.Type)} instead of CONNACK.");
                if (connAck.ReturnCode != MqttConnectReturnCode.Accepted)
                    throw new MqttConnectException(connAck.ReturnCode, options.Host, options.Port);
                connection.SessionPresent = connAck.SessionPresent;
            }
            token.ThrowIfCancellationRequested();
            return connection;
        }
        catch (Exception ex)
        {
            if (connection is not null)
            {
                connection.Dispose();
                connection.Reader.Dispose();
            }
            else if (stream is not null)
                await stream.DisposeAsync().ConfigureAwait(false);
            else
                socket?.Dispose();

            if (ex is MqttConnectException or MqttProtocolException)
                throw;
            if (cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException("Connecting to the MQTT broker was cancelled.", ex, cancellationToken);
            var where = $"{options.Host}:{options.Port}";
            throw ex switch
            {
                _ when timeout.IsCancellationRequested => new MqttConnectionException($"Connecting to the MQTT broker {where} timed out after {options.ConnectTimeout.TotalSeconds:0.###} s.", ex),
                SocketException socketError => new MqttConnectionException($"Cannot connect to the MQTT broker {where}: {socketError.Message}", ex),
                AuthenticationException => new MqttConnectionException($"The TLS handshake with the MQTT broker {where} failed: {ex.Message}", ex),
                MqttConnectionException => new MqttConnectionException($"The MQTT broker {where} closed the connection before answering CONNECT.", ex),
                _ => new MqttConnectionException($"Cannot connect to the MQTT broker {where}: {ex.Message}", ex),
            };
        }
    }

    private static SslClientAuthenticationOptions TlsOptionsFor(MqttClientOptions options)
    {
        var given = options.TlsOptions;
        if (given is null)
            return new SslClientAuthenticationOptions { TargetHost = options.Host };
        return new SslClientAuthenticationOptions
        {
            TargetHost = given.TargetHost ?? options.Host,
            ClientCertificates = given.ClientCertificates,
            RemoteCertificateValidationCallback = given.RemoteCertificateValidationCallback,
            LocalCertificateSelectionCallback = given.LocalCertificateSelectionCallback,
            EnabledSslProtocols = given.EnabledSslProtocols,
            CertificateRevocationCheckMode = given.CertificateRevocationCheckMode,
            CertificateChainPolicy = given.CertificateChainPolicy,
            ClientCertificateContext = given.ClientCertificateContext,
        };
    }

    /// <summary>Returns a task that completes when the next PINGRESP arrives.</summary>
    public Task BeginPing()
    {
        var reply = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _pingReply, reply);
        return reply.Task;
    }

    public void OnPingResponse() => Volatile.Read(ref _pingReply)?.TrySetResult();

    public async ValueTask<MqttPacket> ReadAsync(CancellationToken cancellationToken)
    {
        var packet = await Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _lastReceived, _time.GetTimestamp());
        return packet;
    }

    /// <summary>
    /// Writes one packet. <paramref name="cancellationToken"/> only cancels waiting for the turn to write:
    /// a write abandoned halfway would corrupt the stream for every other user of the connection.
    /// </summary>
    public async ValueTask SendAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closed.Task.IsCompleted)
                throw Lost(_closed.Task.Result);
            _writeBuffer.ResetWrittenCount();
            var payloadSeparately = packet is PublishPacket { Payload.Length: >= CopyPayloadBelow };
            if (payloadSeparately)
                MqttPacketEncoder.EncodePublish((PublishPacket)packet, _writeBuffer, includePayload: false);
            else
                MqttPacketEncoder.Encode(packet, _writeBuffer);
            try
            {
                await _stream.WriteAsync(_writeBuffer.WrittenMemory, _closing.Token).ConfigureAwait(false);
                if (payloadSeparately)
                    await _stream.WriteAsync(((PublishPacket)packet).Payload, _closing.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
            {
                Fault(ex);
                throw Lost(_closed.Task.Result);
            }
            Interlocked.Exchange(ref _lastSent, _time.GetTimestamp());
        }
        finally
        {
            if (_writeBuffer.Capacity > RetainedWriteBufferSize)
                _writeBuffer = new ArrayBufferWriter<byte>(256);
            _writeLock.Release();
        }
    }

    /// <summary>Closes the connection for good; the first reason wins. Safe to call from any thread, any number of times.</summary>
    public void Fault(Exception reason)
    {
        if (!_closed.TrySetResult(reason))
            return;
        _closing.Cancel();
        _stream.Dispose();
    }

    /// <summary>Sends DISCONNECT so the broker drops the will, then closes.</summary>
    public async ValueTask DisconnectAsync(TimeSpan timeout)
    {
        try
        {
            await SendAsync(DisconnectPacket.Instance, CancellationToken.None).AsTask()
                .WaitAsync(timeout, _time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MqttException or TimeoutException)
        {
            // The connection is going away anyway; a broker that missed DISCONNECT publishes the will, nothing worse.
        }
        Fault(new MqttConnectionException("The client disconnected."));
    }

    private static MqttConnectionException Lost(Exception reason) =>
        reason as MqttConnectionException ?? new MqttConnectionException($"The connection to the MQTT broker was lost: {reason.Message}", reason);

    /// <summary>Closes the stream; the packet reader's buffer is released by the read loop that owns it.</summary>
    public void Dispose() => Fault(new ObjectDisposedException(nameof(MqttConnection)));
}
