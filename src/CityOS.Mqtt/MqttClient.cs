using CityOS.Mqtt.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityOS.Mqtt;

/// <summary>
/// An MQTT 3.1.1 client: QoS 0 and 1 publishing, subscriptions, keep-alive and automatic reconnection.
/// All members are safe to call concurrently.
/// </summary>
/// <remarks>
/// One supervisor task owns the connection's life: it runs the read loop and the keep-alive loop,
/// and when the connection faults it reconnects, retransmits unacknowledged QoS 1 messages with DUP
/// set and restores subscriptions before publishers may use the new connection.
/// </remarks>
public sealed class MqttClient : IAsyncDisposable
{
    private static readonly TimeSpan DisconnectTimeout = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SemaphoreSlim _inflightSlots;

    // _gate guards every field below it.
    private readonly Lock _gate = new();
    private readonly Dictionary<ushort, PendingOperation> _pending = [];
    private readonly List<MqttSubscription> _subscriptions = [];
    private TaskCompletionSource<MqttConnection> _connected = NewConnectedSource();
    private MqttConnection? _current;
    private Task? _supervisor;
    private bool _started;
    private Exception? _terminal;
    private ushort _lastPacketId;
    private long _publishSequence;

    public MqttClient(MqttClientOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _inflightSlots = new SemaphoreSlim(options.MaxInflightMessages, options.MaxInflightMessages);
    }

    public MqttClientOptions Options { get; }

    /// <summary>Whether a connection is up right now; false while reconnecting.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_gate)
                return _current is not null;
        }
    }

    internal bool IsClosed
    {
        get
        {
            lock (_gate)
                return _terminal is not null;
        }
    }

    /// <summary>
    /// Connects for the first time. Failures are reported here (refused credentials, unreachable broker);
    /// after a success, connection losses are repaired in the background.
    /// </summary>
    /// <exception cref="MqttConnectException">The broker refused the connection.</exception>
    /// <exception cref="MqttConnectionException">The broker could not be reached or the handshake failed.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ThrowIfClosed();
            if (_started)
                throw new InvalidOperationException("ConnectAsync was already called on this client.");
            _started = true;
        }

        MqttConnection connection;
        try
        {
            connection = await MqttConnection.OpenAsync(Options, _time, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
                _started = false;
            throw;
        }

        Log.Connected(_logger, Options.ClientId, Options.Host, Options.Port, connection.SessionPresent);
        lock (_gate)
        {
            if (_terminal is null)
                _supervisor = Task.Run(() => SuperviseAsync(connection, isReconnect: false), CancellationToken.None);
        }
        if (_supervisor is null)
        {
            // Disposed while connecting: nobody else will close this connection.
            connection.Dispose();
            connection.Reader.Dispose();
            throw new ObjectDisposedException(nameof(MqttClient));
        }
        await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes an application message. QoS 0 completes once the packet is written; QoS 1 completes when
    /// the broker acknowledges it, and survives reconnects (it is retransmitted) until then. While the
    /// client is reconnecting, publishing waits for the connection, as long as <paramref name="cancellationToken"/> allows.
    /// </summary>
    /// <remarks>The client keeps a reference to <paramref name="payload"/> until the task completes, so do not modify it before.</remarks>
    public Task PublishAsync(
        string topic,
        ReadOnlyMemory<byte> payload,
        MqttQualityOfService qualityOfService = MqttQualityOfService.AtMostOnce,
        bool retain = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (MqttTopic.CheckTopicName(topic) is { } problem)
            throw new ArgumentException($"Cannot publish: {problem}.", nameof(topic));
        if ((long)payload.Length + 4 + MqttPacketEncoder.StrictUtf8.GetByteCount(topic) > MqttPacketEncoder.MaxRemainingLength)
            throw new ArgumentException($"The payload of {payload.Length} bytes does not fit in one MQTT packet (at most {MqttPacketEncoder.MaxRemainingLength} bytes).", nameof(payload));
        return qualityOfService switch
        {
            MqttQualityOfService.AtMostOnce => PublishAtMostOnceAsync(new PublishPacket(topic, payload, qualityOfService, retain, false, 0), cancellationToken),
            MqttQualityOfService.AtLeastOnce => PublishAtLeastOnceAsync(topic, payload, retain, cancellationToken),
            _ => throw new NotSupportedException("This client publishes with QoS 0 or 1; QoS 2 is not supported."),
        };
    }

    private async Task PublishAtMostOnceAsync(PublishPacket packet, CancellationToken cancellationToken)
    {
        var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.SendAsync(packet, cancellationToken).ConfigureAwait(false);
    }

    private async Task PublishAtLeastOnceAsync(string topic, ReadOnlyMemory<byte> payload, bool retain, CancellationToken cancellationToken)
    {
        await _inflightSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        PendingPublish pending;
        lock (_gate)
        {
            if (_terminal is not null)
            {
                _inflightSlots.Release();
                ThrowIfClosed();
            }
            var packetId = AllocatePacketId();
            pending = new PendingPublish(
                new PublishPacket(topic, payload, MqttQualityOfService.AtLeastOnce, retain, Duplicate: false, packetId),
                ++_publishSequence);
            _pending.Add(packetId, pending);
        }

        try
        {
            var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
            bool alreadySent;
            lock (_gate)
            {
                // The supervisor may have sent it already while restoring the session of this connection.
                alreadySent = pending.SentOn == connection;
                pending.SentOn = connection;
            }
            if (!alreadySent)
            {
                try
                {
                    await connection.SendAsync(pending.Packet, cancellationToken).ConfigureAwait(false);
                }
                catch (MqttConnectionException)
                {
                    // Still pending: the supervisor retransmits it once it has reconnected.
                }
            }
            await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (TryRemovePending(pending.Packet.PacketId, pending))
                _inflightSlots.Release();
        }
    }

    /// <summary>
    /// Subscribes to a topic filter (wildcards allowed) and returns the subscription whose channel receives
    /// the matching messages, retained ones included.
    /// </summary>
    /// <exception cref="MqttException">The broker refused the subscription.</exception>
    public async Task<MqttSubscription> SubscribeAsync(
        string topicFilter,
        MqttQualityOfService qualityOfService = MqttQualityOfService.AtMostOnce,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topicFilter);
        if (MqttTopic.CheckTopicFilter(topicFilter) is { } problem)
            throw new ArgumentException($"Cannot subscribe: {problem}.", nameof(topicFilter));
        if (qualityOfService is not (MqttQualityOfService.AtMostOnce or MqttQualityOfService.AtLeastOnce))
            throw new NotSupportedException("This client subscribes with QoS 0 or 1; QoS 2 is not supported.");

        var subscription = new MqttSubscription(this, topicFilter, qualityOfService);
        lock (_gate)
        {
            ThrowIfClosed();
            // Registered before SUBSCRIBE goes out: retained messages may follow the SUBACK immediately.
            _subscriptions.Add(subscription);
        }
        try
        {
            while (true)
            {
                var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
                SubAckPacket ack;
                try
                {
                    ack = (SubAckPacket)await RequestAsync(
                        connection, id => new SubscribePacket(id, [new MqttTopicFilter(topicFilter, qualityOfService)]), cancellationToken).ConfigureAwait(false);
                }
                catch (MqttConnectionException)
                {
                    continue;
                }
                if (ack.ReturnCodes[0] == SubAckPacket.Failure)
                    throw new MqttException($"The MQTT broker refused the subscription to '{topicFilter}' (SUBACK failure: usually not authorised by the broker's access control).");
                lock (_gate)
                    subscription.Confirm((MqttQualityOfService)ack.ReturnCodes[0]);
                return subscription;
            }
        }
        catch
        {
            lock (_gate)
                _subscriptions.Remove(subscription);
            subscription.Complete();
            throw;
        }
    }

    internal async Task UnsubscribeAsync(MqttSubscription subscription, CancellationToken cancellationToken)
    {
        bool filterStillUsed;
        MqttConnection? connection;
        lock (_gate)
        {
            if (!_subscriptions.Remove(subscription))
                return;
            filterStillUsed = _subscriptions.Exists(s => s.TopicFilter == subscription.TopicFilter);
            connection = _current;
        }
        subscription.Complete();
        if (filterStillUsed || connection is null)
            return;
        try
        {
            await RequestAsync(connection, id => new UnsubscribePacket(id, [subscription.TopicFilter]), cancellationToken).ConfigureAwait(false);
        }
        catch (MqttConnectionException)
        {
            // The subscription is no longer restored on reconnect, and a clean session has forgotten it.
        }
    }

    /// <summary>Sends DISCONNECT (so the broker discards the will), closes the connection and fails whatever is still pending.</summary>
    public async ValueTask DisposeAsync()
    {
        MqttConnection? connection;
        lock (_gate)
        {
            if (_terminal is ObjectDisposedException)
                return;
            _terminal = new ObjectDisposedException(nameof(MqttClient));
            connection = _current;
            _current = null;
            _connected.TrySetException(new ObjectDisposedException(nameof(MqttClient)));
        }
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (connection is not null)
        {
            await connection.DisconnectAsync(DisconnectTimeout).ConfigureAwait(false);
            Log.Disconnected(_logger, Options.ClientId, Options.Host, Options.Port);
        }

        Task? supervisor;
        lock (_gate)
            supervisor = _supervisor;
        if (supervisor is not null)
            await supervisor.ConfigureAwait(false);
        FailEverything(() => new ObjectDisposedException(nameof(MqttClient), "The MQTT client was disposed before the operation completed."));
        _lifetime.Dispose();
    }

    private async Task SuperviseAsync(MqttConnection connection, bool isReconnect)
    {
        while (true)
        {
            var readLoop = ReadLoopAsync(connection);
            var keepAliveLoop = KeepAliveLoopAsync(connection);
            try
            {
                await RestoreSessionAsync(connection, isReconnect).ConfigureAwait(false);
                lock (_gate)
                {
                    if (_terminal is null)
                    {
                        _current = connection;
                        _connected.TrySetResult(connection);
                    }
                }
            }
            catch (Exception ex)
            {
                connection.Fault(ex);
            }
            if (_lifetime.IsCancellationRequested)
                connection.Fault(new ObjectDisposedException(nameof(MqttClient)));

            var reason = await connection.Closed.ConfigureAwait(false);
            await Task.WhenAll(readLoop, keepAliveLoop).ConfigureAwait(false);
            connection.Reader.Dispose();
            Deactivate(connection, reason);
            if (_lifetime.IsCancellationRequested)
                return;
            Log.ConnectionLost(_logger, Options.ClientId, Options.Host, Options.Port, reason.Message, reason);

            if (!Options.AutoReconnect)
            {
                Log.GivingUp(_logger, Options.ClientId, Options.Host, Options.Port);
                var message = $"The connection to the MQTT broker {Options.Host}:{Options.Port} was lost and AutoReconnect is off: {reason.Message}";
                lock (_gate)
                {
                    _terminal = new MqttConnectionException(message, reason);
                    _connected.TrySetException(new MqttConnectionException(message, reason));
                }
                FailEverything(() => new MqttConnectionException(message, reason));
                return;
            }

            var next = await ReconnectAsync().ConfigureAwait(false);
            if (next is null)
                return;
            connection = next;
            isReconnect = true;
        }
    }

    /// <summary>Returns the new connection, or null once the client is disposed.</summary>
    private async Task<MqttConnection?> ReconnectAsync()
    {
        var delay = Options.ReconnectDelay;
        for (var attempt = 1; ; attempt++)
        {
            Log.Reconnecting(_logger, Options.ClientId, Options.Host, Options.Port, attempt);
            try
            {
                return await MqttConnection.OpenAsync(Options, _time, _lifetime.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex)
            {
                // Jitter keeps many clients of a restarted broker from reconnecting in lockstep.
                var wait = delay * (0.8 + 0.4 * Random.Shared.NextDouble());
                Log.ReconnectFailed(_logger, Options.ClientId, Options.Host, Options.Port, attempt, wait, ex);
                try
                {
                    await Task.Delay(wait, _time, _lifetime.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Options.MaxReconnectDelay.Ticks));
            }
        }
    }

    /// <summary>Retransmits unacknowledged QoS 1 messages in their original order, then restores subscriptions.</summary>
    private async Task RestoreSessionAsync(MqttConnection connection, bool isReconnect)
    {
        if (!isReconnect)
            return;
        List<PublishPacket> retransmit = [];
        List<MqttTopicFilter> filters;
        lock (_gate)
        {
            foreach (var pending in _pending.Values.OfType<PendingPublish>().OrderBy(p => p.Sequence))
            {
                retransmit.Add(pending.SentOn is null ? pending.Packet : pending.Packet with { Duplicate = true });
                pending.SentOn = connection;
            }
            filters = _subscriptions
                .Where(s => s.IsConfirmed)
                .GroupBy(s => s.TopicFilter, StringComparer.Ordinal)
                .Select(g => new MqttTopicFilter(g.Key, g.Max(s => s.RequestedQualityOfService)))
                .ToList();
        }
        Log.Connected(_logger, Options.ClientId, Options.Host, Options.Port, connection.SessionPresent);
        Log.Reconnected(_logger, Options.ClientId, Options.Host, Options.Port, retransmit.Count, filters.Count);

        foreach (var packet in retransmit)
            await connection.SendAsync(packet, CancellationToken.None).ConfigureAwait(false);
        if (filters.Count == 0)
            return;

        using var timeout = new CancellationTokenSource(Options.ConnectTimeout, _time);
        var ack = (SubAckPacket)await RequestAsync(connection, id => new SubscribePacket(id, filters), timeout.Token).ConfigureAwait(false);
        for (var i = 0; i < filters.Count; i++)
        {
            if (ack.ReturnCodes[i] == SubAckPacket.Failure)
                Log.ResubscribeRefused(_logger, Options.ClientId, filters[i].Filter);
        }
    }

    private async Task ReadLoopAsync(MqttConnection connection)
    {
        try
        {
            while (true)
            {
                var packet = await connection.ReadAsync(connection.ClosingToken).ConfigureAwait(false);
                switch (packet)
                {
                    case PublishPacket publish:
                        await DeliverAsync(connection, publish).ConfigureAwait(false);
                        break;
                    case PubAckPacket ack:
                        CompletePublish(ack.PacketId);
                        break;
                    case SubAckPacket or UnsubAckPacket:
                        CompleteRequest(packet);
                        break;
                    case PingRespPacket:
                        connection.OnPingResponse();
                        break;
                    default:
                        throw new MqttProtocolException($"The broker sent an unexpected {MqttPacketDecoder.Name(packet.Type)} packet after the connection was established.");
                }
            }
        }
        catch (Exception ex)
        {
            connection.Fault(ex);
        }
    }

    private async Task KeepAliveLoopAsync(MqttConnection connection)
    {
        var keepAlive = Options.KeepAlive;
        if (keepAlive == TimeSpan.Zero)
            return;
        try
        {
            while (true)
            {
                // A ping is due after silence in either direction: outgoing silence is what the broker
                // times out on, incoming silence is how a half-open connection shows itself.
                var idle = TimeSpan.FromTicks(Math.Max(connection.SinceLastSent.Ticks, connection.SinceLastReceived.Ticks));
                if (idle < keepAlive)
                {
                    await Task.Delay(keepAlive - idle, _time, connection.ClosingToken).ConfigureAwait(false);
                    continue;
                }
                var reply = connection.BeginPing();
                await connection.SendAsync(PingReqPacket.Instance, connection.ClosingToken).ConfigureAwait(false);
                try
                {
                    await reply.WaitAsync(Options.PingTimeout, _time, connection.ClosingToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    connection.Fault(new MqttConnectionException(
                        $"No PINGRESP from the MQTT broker within {Options.PingTimeout.TotalSeconds:0.###} s: the connection is dead."));
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            connection.Fault(ex);
        }
    }

    private async Task DeliverAsync(MqttConnection connection, PublishPacket publish)
    {
        if (publish.QualityOfService == MqttQualityOfService.ExactlyOnce)
            throw new MqttProtocolException("The broker sent a QoS 2 message, but this client never subscribes with QoS 2.");
        var message = new MqttMessage(publish.Topic, publish.Payload, publish.QualityOfService, publish.Retain);
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                if (MqttTopic.Matches(subscription.TopicFilter, publish.Topic))
                    subscription.Deliver(message);
            }
        }
        if (publish.QualityOfService == MqttQualityOfService.AtLeastOnce)
            await connection.SendAsync(new PubAckPacket(publish.PacketId), connection.ClosingToken).ConfigureAwait(false);
    }

    private void CompletePublish(ushort packetId)
    {
        PendingPublish? completed = null;
        lock (_gate)
        {
            // A PUBACK for an unknown identifier answers a publish whose caller gave up; nothing to do.
            if (_pending.TryGetValue(packetId, out var operation))
            {
                completed = operation as PendingPublish
                    ?? throw new MqttProtocolException($"The broker sent PUBACK for packet identifier {packetId}, which belongs to a SUBSCRIBE or UNSUBSCRIBE.");
                _pending.Remove(packetId);
            }
        }
        if (completed is null)
            return;
        _inflightSlots.Release();
        completed.Completion.TrySetResult();
    }

    private void CompleteRequest(MqttPacket reply)
    {
        var (packetId, expected) = reply switch
        {
            SubAckPacket ack => (ack.PacketId, MqttPacketType.Subscribe),
            UnsubAckPacket ack => (ack.PacketId, MqttPacketType.Unsubscribe),
            _ => throw new ArgumentException("Not a reply to a request.", nameof(reply)),
        };
        PendingRequest? request;
        lock (_gate)
        {
            if (!_pending.TryGetValue(packetId, out var operation))
                return;
            request = operation as PendingRequest;
            if (request is null || request.Kind != expected)
                throw new MqttProtocolException($"The broker sent {MqttPacketDecoder.Name(reply.Type)} for packet identifier {packetId}, which belongs to another kind of packet.");
            _pending.Remove(packetId);
        }
        if (reply is SubAckPacket subAck && subAck.ReturnCodes.Count != request.FilterCount)
        {
            throw new MqttProtocolException($"The broker answered a SUBSCRIBE of {request.FilterCount} filter(s) with {subAck.ReturnCodes.Count} SUBACK return code(s).");
        }
        request.Completion.TrySetResult(reply);
    }

    private async Task<MqttPacket> RequestAsync(MqttConnection connection, Func<ushort, MqttPacket> createPacket, CancellationToken cancellationToken)
    {
        PendingRequest request;
        MqttPacket packet;
        lock (_gate)
        {
            var packetId = AllocatePacketId();
            packet = createPacket(packetId);
            request = packet switch
            {
                SubscribePacket subscribe => new PendingRequest(connection, MqttPacketType.Subscribe, subscribe.Filters.Count, packetId),
                UnsubscribePacket => new PendingRequest(connection, MqttPacketType.Unsubscribe, 0, packetId),
                _ => throw new ArgumentException("Only SUBSCRIBE and UNSUBSCRIBE are requests.", nameof(createPacket)),
            };
            _pending.Add(packetId, request);
        }
        try
        {
            await connection.SendAsync(packet, cancellationToken).ConfigureAwait(false);
            return await request.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            TryRemovePending(request.PacketId, request);
        }
    }

    private async Task<MqttConnection> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        Task<MqttConnection> connected;
        lock (_gate)
        {
            ThrowIfClosed();
            if (_current is not null)
                return _current;
            if (!_started)
                throw new InvalidOperationException("Call ConnectAsync before using the MQTT client.");
            connected = _connected.Task;
        }
        return await connected.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Deactivate(MqttConnection connection, Exception reason)
    {
        List<PendingRequest> interrupted = [];
        lock (_gate)
        {
            if (_current == connection)
                _current = null;
            if (_terminal is null && _connected.Task.IsCompleted)
                _connected = NewConnectedSource();
            foreach (var operation in _pending.Values)
            {
                if (operation is PendingRequest request && request.Connection == connection)
                    interrupted.Add(request);
            }
        }
        foreach (var request in interrupted)
            request.Completion.TrySetException(new MqttConnectionException($"The connection to the MQTT broker was lost: {reason.Message}", reason));
    }

    private void FailEverything(Func<Exception> error)
    {
        List<PendingOperation> operations;
        List<MqttSubscription> subscriptions;
        lock (_gate)
        {
            operations = [.. _pending.Values];
            _pending.Clear();
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
        }
        foreach (var operation in operations)
        {
            if (operation is PendingPublish publish)
            {
                _inflightSlots.Release();
                publish.Completion.TrySetException(error());
            }
            else if (operation is PendingRequest request)
            {
                request.Completion.TrySetException(error());
            }
        }
        foreach (var subscription in subscriptions)
            subscription.Complete();
    }

    private bool TryRemovePending(ushort packetId, PendingOperation operation)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(packetId, out var current) || current != operation)
                return false;
            _pending.Remove(packetId);
            return true;
        }
    }

    /// <remarks>Caller holds <see cref="_gate"/>.</remarks>
    private ushort AllocatePacketId()
    {
        for (var i = 0; i < ushort.MaxValue; i++)
        {
            _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
            if (!_pending.ContainsKey(_lastPacketId))
                return _lastPacketId;
        }
        throw new MqttException("All 65535 MQTT packet identifiers are in use.");
    }

    /// <remarks>Caller holds <see cref="_gate"/>.</remarks>
    private void ThrowIfClosed()
    {
        switch (_terminal)
        {
            case null:
                return;
            case ObjectDisposedException:
                throw new ObjectDisposedException(nameof(MqttClient));
            default:
                throw new MqttConnectionException(_terminal.Message, _terminal.InnerException);
        }
    }

    private static TaskCompletionSource<MqttConnection> NewConnectedSource() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private abstract class PendingOperation;

    private sealed class PendingPublish(PublishPacket packet, long sequence) : PendingOperation
    {
        public PublishPacket Packet { get; } = packet;

        public long Sequence { get; } = sequence;

        /// <summary>The connection it was last written to; guarded by the client's gate.</summary>
        public MqttConnection? SentOn { get; set; }

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class PendingRequest(MqttConnection connection, MqttPacketType kind, int filterCount, ushort packetId) : PendingOperation
    {
        public MqttConnection Connection { get; } = connection;

        public MqttPacketType Kind { get; } = kind;

        public int FilterCount { get; } = filterCount;

        public ushort PacketId { get; } = packetId;

        public TaskCompletionSource<MqttPacket> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
