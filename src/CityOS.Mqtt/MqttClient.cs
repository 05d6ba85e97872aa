using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace CityOS.Mqtt;

/// <summary>
/// An MQTT 3.1.1 or 5.0 client on MQTTnet: QoS 0, 1 and 2 publishing, subscriptions, keep-alive and automatic reconnection.
/// All members are safe to call concurrently.
/// </summary>
/// <remarks>
/// Each connection is one MQTTnet client. One supervisor task owns the connection's life: when MQTTnet reports the connection
/// lost (a socket error, a missing PINGRESP, a DISCONNECT from the broker) it connects again with backoff, restores the
/// subscriptions, and only then lets publishers use the new connection. A QoS 1 or 2 publish that was not acknowledged on the
/// lost connection is sent again on the new one, so its task completes only once some connection's broker took it.
/// </remarks>
public sealed class MqttClient : IAsyncDisposable
{
    /// <summary>Largest MQTT packet body (a four-byte variable length).</summary>
    private const int MaxRemainingLength = 268_435_455;

    private static readonly TimeSpan DisconnectTimeout = TimeSpan.FromSeconds(2);
    private static readonly MqttClientFactory Factory = new();

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SemaphoreSlim _inflightSlots;
    private int _inflight;

    // _gate guards every field below it.
    private readonly Lock _gate = new();
    private readonly List<MqttSubscription> _subscriptions = [];
    private TaskCompletionSource _changed = NewSignal();
    private Connection? _current;
    private long _generations;
    private Task? _supervisor;
    private bool _started;
    private Exception? _terminal;

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

        Connection connection;
        try
        {
            connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
            {
                _started = false;
                Signal();
            }
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
            connection.Abort(new ObjectDisposedException(nameof(MqttClient)));
            throw new ObjectDisposedException(nameof(MqttClient));
        }
        await WaitForConnectionAsync(after: 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes an application message. QoS 0 completes once the packet is written; QoS 1 and 2 complete when the broker
    /// acknowledges the message, and survive reconnects (it is sent again) until then. While the client is reconnecting,
    /// publishing waits for the connection, as long as <paramref name="cancellationToken"/> allows.
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
        if ((long)payload.Length + 4 + MqttTopic.StrictUtf8.GetByteCount(topic) > MaxRemainingLength)
            throw new ArgumentException($"The payload of {payload.Length} bytes does not fit in one MQTT packet (at most {MaxRemainingLength} bytes).", nameof(payload));
        if (qualityOfService is not (MqttQualityOfService.AtMostOnce or MqttQualityOfService.AtLeastOnce or MqttQualityOfService.ExactlyOnce))
            throw new ArgumentOutOfRangeException(nameof(qualityOfService), qualityOfService, "The QoS must be 0, 1 or 2.");
        lock (_gate)
        {
            ThrowIfClosed();
            if (!_started)
                throw new InvalidOperationException("Call ConnectAsync before publishing.");
        }
        return qualityOfService == MqttQualityOfService.AtMostOnce
            ? PublishAtMostOnceAsync(topic, payload, retain, cancellationToken)
            : PublishAcknowledgedAsync(topic, payload, qualityOfService, retain, cancellationToken);
    }

    private async Task PublishAtMostOnceAsync(string topic, ReadOnlyMemory<byte> payload, bool retain, CancellationToken cancellationToken)
    {
        var connection = await WaitForConnectionAsync(after: 0, cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.Client.PublishAsync(Message(topic, payload, MqttQualityOfService.AtMostOnce, retain, duplicate: false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            ThrowIfCancelledOrClosed(ex, cancellationToken);
            throw Lost(ex);
        }
    }

    private async Task PublishAcknowledgedAsync(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qualityOfService, bool retain, CancellationToken cancellationToken)
    {
        await _inflightSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _inflight);
        try
        {
            long after = 0;
            while (true)
            {
                var connection = await WaitForConnectionAsync(after, cancellationToken).ConfigureAwait(false);
                MqttClientPublishResult result;
                try
                {
                    result = await connection.Client.PublishAsync(Message(topic, payload, qualityOfService, retain, duplicate: after != 0), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsConnectionFailure(ex))
                {
                    ThrowIfCancelledOrClosed(ex, cancellationToken);
                    // Still unacknowledged: sent again once the supervisor has a new connection.
                    after = connection.Generation;
                    continue;
                }
                if ((int)result.ReasonCode >= 0x80)
                    throw new MqttException($"The MQTT broker {Options.Host}:{Options.Port} refused the message to '{topic}': {result.ReasonCode}{(string.IsNullOrEmpty(result.ReasonString) ? "" : " (" + result.ReasonString + ")")}.");
                return;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inflight);
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
        if (qualityOfService is not (MqttQualityOfService.AtMostOnce or MqttQualityOfService.AtLeastOnce or MqttQualityOfService.ExactlyOnce))
            throw new ArgumentOutOfRangeException(nameof(qualityOfService), qualityOfService, "The QoS must be 0, 1 or 2.");

        var subscription = new MqttSubscription(this, topicFilter, qualityOfService);
        lock (_gate)
        {
            ThrowIfClosed();
            if (!_started)
                throw new InvalidOperationException("Call ConnectAsync before subscribing.");
            // Registered before SUBSCRIBE goes out: retained messages may follow the SUBACK immediately.
            _subscriptions.Add(subscription);
        }
        try
        {
            long after = 0;
            while (true)
            {
                var connection = await WaitForConnectionAsync(after, cancellationToken).ConfigureAwait(false);
                MqttClientSubscribeResult result;
                try
                {
                    result = await connection.Client.SubscribeAsync(SubscribeOptions([(topicFilter, qualityOfService)]), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsConnectionFailure(ex))
                {
                    ThrowIfCancelledOrClosed(ex, cancellationToken);
                    after = connection.Generation;
                    continue;
                }
                var code = result.Items.First().ResultCode;
                if (code is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
                    throw new MqttException($"The MQTT broker refused the subscription to '{topicFilter}' (SUBACK {code}: usually not authorised by the broker's access control).");
                lock (_gate)
                    subscription.Confirm((MqttQualityOfService)(int)code);
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
        Connection? connection;
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
            await connection.Client.UnsubscribeAsync(
                Factory.CreateUnsubscribeOptionsBuilder().WithTopicFilter(subscription.TopicFilter).Build(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            if (cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException("Unsubscribing was cancelled.", ex, cancellationToken);
            // The subscription is no longer restored on reconnect, and a clean session has forgotten it.
        }
    }

    /// <summary>Sends DISCONNECT (so the broker discards the will), closes the connection and fails whatever is still pending.</summary>
    public async ValueTask DisposeAsync()
    {
        Connection? connection;
        Task? supervisor;
        lock (_gate)
        {
            if (_terminal is ObjectDisposedException)
                return;
            _terminal = new ObjectDisposedException(nameof(MqttClient));
            connection = _current;
            _current = null;
            supervisor = _supervisor;
            Signal();
        }
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (connection is not null)
        {
            await connection.DisconnectAsync(DisconnectTimeout).ConfigureAwait(false);
            Log.Disconnected(_logger, Options.ClientId, Options.Host, Options.Port);
        }
        if (supervisor is not null)
            await supervisor.ConfigureAwait(false);
        List<MqttSubscription> subscriptions;
        lock (_gate)
        {
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
        }
        foreach (var subscription in subscriptions)
            subscription.Complete();
        _lifetime.Dispose();
    }

    private async Task SuperviseAsync(Connection connection, bool isReconnect)
    {
        while (true)
        {
            try
            {
                await RestoreSessionAsync(connection, isReconnect).ConfigureAwait(false);
                lock (_gate)
                {
                    if (_terminal is null)
                    {
                        _current = connection;
                        Signal();
                    }
                }
            }
            catch (Exception ex)
            {
                connection.Abort(ex);
            }
            if (_lifetime.IsCancellationRequested)
                connection.Abort(new ObjectDisposedException(nameof(MqttClient)));

            var reason = await connection.Closed.ConfigureAwait(false);
            lock (_gate)
            {
                if (_current == connection)
                    _current = null;
                Signal();
            }
            connection.Dispose();
            if (_lifetime.IsCancellationRequested)
                return;
            Log.ConnectionLost(_logger, Options.ClientId, Options.Host, Options.Port, reason.Message, reason);

            if (!Options.AutoReconnect)
            {
                Log.GivingUp(_logger, Options.ClientId, Options.Host, Options.Port);
                lock (_gate)
                {
                    _terminal ??= new MqttConnectionException(
                        $"The connection to the MQTT broker {Options.Host}:{Options.Port} was lost and AutoReconnect is off: {reason.Message}", reason);
                    Signal();
                    foreach (var subscription in _subscriptions)
                        subscription.Complete();
                    _subscriptions.Clear();
                }
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
    private async Task<Connection?> ReconnectAsync()
    {
        var delay = Options.ReconnectDelay;
        for (var attempt = 1; ; attempt++)
        {
            Log.Reconnecting(_logger, Options.ClientId, Options.Host, Options.Port, attempt);
            try
            {
                return await OpenAsync(_lifetime.Token).ConfigureAwait(false);
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

    /// <summary>Restores the subscriptions on a new connection; unacknowledged publishes are sent again by their own callers once it is current.</summary>
    private async Task RestoreSessionAsync(Connection connection, bool isReconnect)
    {
        if (!isReconnect)
            return;
        List<(string Filter, MqttQualityOfService Qos)> filters;
        lock (_gate)
        {
            filters = _subscriptions
                .Where(s => s.IsConfirmed)
                .GroupBy(s => s.TopicFilter, StringComparer.Ordinal)
                .Select(g => (g.Key, g.Max(s => s.RequestedQualityOfService)))
                .ToList();
        }
        Log.Connected(_logger, Options.ClientId, Options.Host, Options.Port, connection.SessionPresent);
        Log.Reconnected(_logger, Options.ClientId, Options.Host, Options.Port, Volatile.Read(ref _inflight), filters.Count);
        if (filters.Count == 0)
            return;

        using var timeout = new CancellationTokenSource(Options.ConnectTimeout, _time);
        var result = await connection.Client.SubscribeAsync(SubscribeOptions(filters), timeout.Token).ConfigureAwait(false);
        foreach (var item in result.Items)
        {
            if (item.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
                Log.ResubscribeRefused(_logger, Options.ClientId, item.TopicFilter.Topic);
        }
    }

    /// <summary>Connects one MQTTnet client: TCP (and TLS), CONNECT, CONNACK, each failure reported as what it is.</summary>
    private async Task<Connection> OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(Options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var transport = new MqttTransport(Options);
        var client = Factory.CreateMqttClient();
        var connection = new Connection(client, Interlocked.Increment(ref _generations), Options);
        client.ApplicationMessageReceivedAsync += e =>
        {
            Deliver(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        try
        {
            var result = await client.ConnectAsync(ClientOptions(transport), linked.Token).ConfigureAwait(false);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
                throw Refusal(result);
            connection.SessionPresent = result.IsSessionPresent;
            return connection;
        }
        catch (Exception ex)
        {
            connection.Dispose();
            if (ex is MqttConnectException)
                throw;
            if (cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException("Connecting to the MQTT broker was cancelled.", ex, cancellationToken);
            var where = transport.Where;
            if (timeout.IsCancellationRequested)
                throw new MqttConnectionException($"Connecting to the MQTT broker {where} timed out after {Options.ConnectTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.", ex);
            if (Find<MqttConnectionException>(ex) is { } transportError)
                throw transportError;
            if (Find<MqttProtocolViolationException>(ex) is { } violation)
                throw new MqttProtocolException($"The MQTT broker {where} broke the protocol while connecting: {violation.Message}", ex);
            if (ex is MqttCommunicationException or IOException or SocketException or ObjectDisposedException)
                throw new MqttConnectionException($"The MQTT broker {where} closed the connection before answering CONNECT.", ex);
            throw new MqttConnectionException($"Cannot connect to the MQTT broker {where}: {ex.Message}", ex);
        }
    }

    private MQTTnet.MqttClientOptions ClientOptions(MqttTransport transport)
    {
        var builder = Factory.CreateClientOptionsBuilder()
            .WithTcpServer(Options.Host, Options.Port)
            .WithStreamProvider(transport)
            .WithClientId(Options.ClientId)
            .WithProtocolVersion(Options.ProtocolVersion == MqttVersion.V500 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311)
            .WithTimeout(Options.ConnectTimeout);
        builder = Options.ProtocolVersion == MqttVersion.V500 ? builder.WithCleanStart(Options.CleanSession) : builder.WithCleanSession(Options.CleanSession);
        builder = Options.KeepAlive == TimeSpan.Zero
            ? builder.WithNoKeepAlive()
            : builder.WithKeepAlivePeriod(TimeSpan.FromSeconds(Math.Ceiling(Options.KeepAlive.TotalSeconds)));
        if (Options.UserName is not null || Options.Password is not null)
            builder = builder.WithCredentials(Options.UserName, Options.Password is null ? null : MqttTopic.StrictUtf8.GetBytes(Options.Password));
        if (Options.Will is { } will)
        {
            builder = builder
                .WithWillTopic(will.Topic)
                .WithWillPayload(will.Payload.ToArray())
                .WithWillQualityOfServiceLevel((MqttQualityOfServiceLevel)will.QualityOfService)
                .WithWillRetain(will.Retain);
        }
        return builder.Build();
    }

    private MqttConnectException Refusal(MqttClientConnectResult result)
    {
        var returnCode = result.ResultCode switch
        {
            MqttClientConnectResultCode.UnsupportedProtocolVersion => MqttConnectReturnCode.UnacceptableProtocolVersion,
            MqttClientConnectResultCode.ClientIdentifierNotValid => MqttConnectReturnCode.IdentifierRejected,
            MqttClientConnectResultCode.ServerUnavailable or MqttClientConnectResultCode.ServerBusy => MqttConnectReturnCode.ServerUnavailable,
            MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.BadAuthenticationMethod => MqttConnectReturnCode.BadUserNameOrPassword,
            MqttClientConnectResultCode.NotAuthorized or MqttClientConnectResultCode.Banned => MqttConnectReturnCode.NotAuthorized,
            _ => MqttConnectReturnCode.Refused,
        };
        // MQTTnet reports a 3.1.1 return code as the MQTT 5 reason it stands for; the 3.1.1 broker sent the small number.
        var reasonCode = Options.ProtocolVersion == MqttVersion.V311 && returnCode != MqttConnectReturnCode.Refused ? (byte)returnCode : (byte)result.ResultCode;
        return new MqttConnectException(returnCode, reasonCode, Options.Host, Options.Port, result.ReasonString);
    }

    /// <summary>The message as MQTTnet sends it; the topic was checked by <see cref="PublishAsync"/>, so no builder checks it again.</summary>
    private static MqttApplicationMessage Message(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos, bool retain, bool duplicate) => new()
    {
        Topic = topic,
        Payload = new ReadOnlySequence<byte>(payload),
        QualityOfServiceLevel = (MqttQualityOfServiceLevel)qos,
        Retain = retain,
        Dup = duplicate,
    };

    private static MqttClientSubscribeOptions SubscribeOptions(IEnumerable<(string Filter, MqttQualityOfService Qos)> filters)
    {
        var builder = Factory.CreateSubscribeOptionsBuilder();
        foreach (var (filter, qos) in filters)
            builder = builder.WithTopicFilter(Factory.CreateTopicFilterBuilder().WithTopic(filter).WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos).Build());
        return builder.Build();
    }

    private void Deliver(MqttApplicationMessage received)
    {
        var message = new MqttMessage(received.Topic, received.Payload.ToArray(), (MqttQualityOfService)received.QualityOfServiceLevel, received.Retain);
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                if (MqttTopic.Matches(subscription.TopicFilter, message.Topic))
                    subscription.Deliver(message);
            }
        }
    }

    /// <summary>Waits until a connection newer than generation <paramref name="after"/> is up and its subscriptions restored.</summary>
    private async Task<Connection> WaitForConnectionAsync(long after, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                ThrowIfClosed();
                if (!_started)
                    throw new InvalidOperationException("The MQTT client is not connected: ConnectAsync failed or was not called.");
                if (_current is { } current && current.Generation > after)
                    return current;
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether an operation failed because its connection went away (and may succeed on the next one), or was cancelled.</summary>
    private static bool IsConnectionFailure(Exception ex) =>
        ex is MqttCommunicationException or IOException or SocketException or ObjectDisposedException or OperationCanceledException;

    /// <summary>After a connection failure: the caller's cancellation and the client's end win over trying again.</summary>
    private void ThrowIfCancelledOrClosed(Exception ex, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            throw new OperationCanceledException("The MQTT operation was cancelled.", ex, cancellationToken);
        lock (_gate)
            ThrowIfClosed();
    }

    private MqttConnectionException Lost(Exception reason) =>
        new($"The connection to the MQTT broker {Options.Host}:{Options.Port} was lost: {reason.Message}", reason);

    private static T? Find<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
                return found;
        }
        return null;
    }

    /// <summary>Caller holds _gate.</summary>
    private void Signal()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    /// <summary>Caller holds _gate.</summary>
    private void ThrowIfClosed()
    {
        switch (_terminal)
        {
            case null:
                return;
            case ObjectDisposedException:
                throw new ObjectDisposedException(nameof(MqttClient), "The MQTT client was disposed.");
            default:
                throw new MqttConnectionException(_terminal.Message, _terminal.InnerException);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One MQTTnet client, connected once; <see cref="Closed"/> completes with the reason it went away.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly MqttClientOptions _options;

        public Connection(IMqttClient client, long generation, MqttClientOptions options)
        {
            Client = client;
            Generation = generation;
            _options = options;
            client.DisconnectedAsync += e =>
            {
                _closed.TrySetResult(Reason(e));
                return Task.CompletedTask;
            };
        }

        public IMqttClient Client { get; }

        public long Generation { get; }

        public bool SessionPresent { get; set; }

        public Task<Exception> Closed => _closed.Task;

        /// <summary>Sends DISCONNECT so the broker drops the will, then closes.</summary>
        public async Task DisconnectAsync(TimeSpan timeout)
        {
            try
            {
                using var cancel = new CancellationTokenSource(timeout);
                await Client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.NormalDisconnection }, cancel.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                // The connection is going away anyway; a broker that missed DISCONNECT publishes the will, nothing worse.
            }
            Abort(new MqttConnectionException("The client disconnected."));
        }

        /// <summary>Closes the connection without DISCONNECT; the first reason wins.</summary>
        public void Abort(Exception reason)
        {
            _closed.TrySetResult(reason);
            Client.Dispose();
        }

        public void Dispose() => Abort(new ObjectDisposedException(nameof(MqttClient)));

        private Exception Reason(MqttClientDisconnectedEventArgs e)
        {
            if (e.Exception is not null && Find<MqttCommunicationTimedOutException>(e.Exception) is not null)
            {
                var wait = Math.Ceiling(_options.KeepAlive.TotalSeconds) / 2;
                return new MqttConnectionException(
                    $"No PINGRESP from the MQTT broker within {wait.ToString("0.###", CultureInfo.InvariantCulture)} s: the connection is dead.", e.Exception);
            }
            if (e.Exception is { } error)
                return new MqttConnectionException($"The connection to the MQTT broker was lost: {error.Message}", error);
            return e.Reason != MqttClientDisconnectReason.NormalDisconnection
                ? new MqttConnectionException($"The MQTT broker disconnected the client: {e.Reason}{(string.IsNullOrEmpty(e.ReasonString) ? "" : " (" + e.ReasonString + ")")}.")
                : new MqttConnectionException("The MQTT broker closed the connection.");
        }
    }
}
