using System.Collections.Concurrent;
using System.Net.Http.Headers;
using CityOS.Mqtt;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Subscriptions;

public sealed class SubscriptionOptions
{
    public const string Section = "CityOS:Subscriptions";

    /// <summary>Notifications in flight at once to one receiver (endpoint URI), each about another entity (or periodic subscription).</summary>
    public int MaxInFlightPerReceiver { get; set; } = 16;

    /// <summary>How long a receiver's queue (and its workers) stays after its last delivery; the next notification to it makes a new one.</summary>
    public TimeSpan IdleReceiverTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Deliveries held in memory per receiver (queued, in flight or waiting to retry); beyond it they wait in the durable outbox
    /// only, and are read back from it as the receiver catches up, so a receiver that is down for hours costs no memory.
    /// </summary>
    public int MaxQueuedPerReceiver { get; set; } = 100_000;

    /// <summary>How long a receiver has to answer (HTTP) or the broker to take the message (MQTT).</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First wait before retrying a failed delivery; doubled on each failure up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Attempts before a notification is given up (about an hour and a half with the default delays).</summary>
    public int MaxAttempts { get; set; } = 25;

    /// <summary>
    /// How long a notification may wait before it is written to the durable outbox (with the journal position it was computed
    /// up to, which is acknowledged after that commit). One its receiver took within this time is never written: a fast receiver
    /// costs no outbox writes. After a crash the journal is read again from the last written position (at-least-once).
    /// </summary>
    public TimeSpan OutboxDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Notifications not yet written to the outbox beyond which the notifier writes them at once and waits for that.</summary>
    public int MaxUnwrittenDeliveries { get; set; } = 50_000;

    /// <summary>Journal changes read per tenant at once.</summary>
    public int JournalBatch { get; set; } = 1000;

    /// <summary>How often changed counters (timesSent, lastSuccess...) are written to storage.</summary>
    public TimeSpan CountersFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest number of entities in one periodic (timeInterval) notification.</summary>
    public int MaxEntitiesPerPeriodicNotification { get; set; } = 1000;

    /// <summary>Shortest timeInterval a subscription may ask for: each period costs a query and a notification, forever.</summary>
    public TimeSpan MinTimeInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Sends queued notifications: one queue per receiver with its own workers, so a receiver that is slow or down
/// only delays its own notifications, and the notifications of one entity reach a receiver in order. A failed delivery is retried with exponential backoff; a delivery leaves
/// the durable outbox only once its receiver took it (at-least-once) or it was given up. A queue that has had nothing
/// to do for <see cref="SubscriptionOptions.IdleReceiverTimeout"/> is removed, so receivers used once cost nothing after.
/// </summary>
public sealed partial class DeliveryDispatcher : IAsyncDisposable
{
    public const string HttpClientName = "cityos-notifier";

    private readonly ConcurrentDictionary<string, ReceiverQueue> _queues = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SubscriptionOptions _options;
    private readonly ISubscriptionStore _store;
    private readonly SubscriptionRegistry _registry;
    private readonly IHttpClientFactory _httpClients;
    private readonly MqttConnectionPool _mqtt;
    private readonly TimeProvider _time;
    private readonly ILogger<DeliveryDispatcher> _logger;
    private readonly ITimer _sweep;

    public DeliveryDispatcher(ISubscriptionStore store, SubscriptionRegistry registry, IHttpClientFactory httpClients, MqttConnectionPool mqtt,
        TimeProvider time, IOptions<SubscriptionOptions> options, ILogger<DeliveryDispatcher> logger)
    {
        _store = store;
        _registry = registry;
        _httpClients = httpClients;
        _mqtt = mqtt;
        _time = time;
        _options = options.Value;
        _logger = logger;
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, _options.IdleReceiverTimeout.Ticks));
        _sweep = time.CreateTimer(_ => RemoveIdleQueues(), null, period, period);
    }

    /// <summary>Raised after each delivery attempt, with the delivery and whether it succeeded (used by benchmarks and tests).</summary>
    public event Action<Delivery, bool>? Attempted;

    /// <summary>Queues a delivery whose insert into the outbox was submitted and is durable once <paramref name="committed"/> completes.</summary>
    public void Post(Delivery delivery, Task committed)
    {
        // A queue removed meanwhile refuses the delivery, and the next look-up makes a new one.
        while (!_queues.GetOrAdd(delivery.Receiver, receiver => new ReceiverQueue(this, receiver)).TryPost(delivery, committed))
        {
        }
    }

    /// <summary>Deliveries held in memory (queued, in flight or waiting to retry), all receivers together; those beyond a receiver's cap are in the outbox only.</summary>
    public int Pending => _queues.Values.Sum(q => q.Pending);

    /// <summary>Receivers with a queue now.</summary>
    internal int ReceiverCount => _queues.Count;

    private void RemoveIdleQueues()
    {
        foreach (var queue in _queues.Values) queue.RemoveIfIdle(_options.IdleReceiverTimeout);
    }

    private async Task DeliverAsync(ReceiverQueue queue, Delivery delivery)
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            var success = await SendAsync(queue, delivery, ct);
            delivery.Attempts++;
            ContextMetrics.Notified(success);
            var now = _time.GetUtcNow();
            if (_registry.TryGetState(delivery.Tenant, delivery.SubscriptionId, out var state)) state.Sent(success, now);
            Attempted?.Invoke(delivery, success);
            if (success)
            {
                _store.Finished(delivery);
                return;
            }
            if (delivery.Attempts >= _options.MaxAttempts)
            {
                LogGivenUp(_logger, delivery.SubscriptionId, delivery.Attempts, delivery.Receiver);
                _store.Finished(delivery);
                return;
            }
            _store.Attempted(delivery.Seq, delivery.Attempts);
            var delay = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks,
                _options.InitialRetryDelay.Ticks * (1L << Math.Min(delivery.Attempts - 1, 30))));
            try
            {
                await Task.Delay(delay, _time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> SendAsync(ReceiverQueue queue, Delivery delivery, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.DeliveryTimeout);
        try
        {
            var payload = NotificationBuilder.PayloadAt(delivery, _time.GetUtcNow());
            if (queue.Mqtt is { } endpoint)
            {
                await _mqtt.PublishAsync(endpoint, payload, (MqttQualityOfService)delivery.Qos, retain: false, timeout.Token);
                return true;
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, queue.Uri) { Content = new ByteArrayContent(payload) };
            foreach (var (name, value) in delivery.Headers)
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
                else if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await _httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode) LogFailed(_logger, delivery.SubscriptionId, delivery.Receiver, $"HTTP {(int)response.StatusCode}");
            return response.IsSuccessStatusCode;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            LogFailed(_logger, delivery.SubscriptionId, delivery.Receiver, "timeout");
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or MqttException or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            LogFailed(_logger, delivery.SubscriptionId, delivery.Receiver, e.Message);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync();
        await _stopping.CancelAsync();
        await Task.WhenAll(_queues.Values.Select(q => q.Completion));
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification of subscription {SubscriptionId} to {Receiver} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string subscriptionId, string receiver, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification of subscription {SubscriptionId} given up after {Attempts} attempts to {Receiver}")]
    private static partial void LogGivenUp(ILogger logger, string subscriptionId, int attempts, string receiver);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the outbox back for {Receiver} failed; retried with its next delivery")]
    private static partial void LogRefillFailed(ILogger logger, Exception error, string receiver);

    /// <summary>
    /// The deliveries of one receiver: up to MaxInFlightPerReceiver in flight at once, but never two of the same
    /// <see cref="Delivery.OrderKey"/>, so the notifications of one entity arrive in the order they were queued while
    /// different entities go in parallel. A key whose delivery is in flight (or waiting to retry) holds back the rest of its key.
    /// At most MaxQueuedPerReceiver deliveries are held in memory: past that the queue overflows, new deliveries stay in the
    /// outbox only (from <c>_reloadFrom</c> on), and once half the room is free again and every overflowed delivery is durably
    /// queued, the queue reads them back from the outbox in queueing order, until the outbox has no more of them. The outbox
    /// is read outside the queue's lock, and what was read is merged under it.
    /// </summary>
    private sealed class ReceiverQueue
    {
        private readonly DeliveryDispatcher _dispatcher;
        private readonly string _receiver;
        private readonly int _capacity;
        private readonly Lock _gate = new();
        private readonly Dictionary<string, Queue<Delivery>> _byKey = new(StringComparer.Ordinal);
        private readonly Queue<string> _ready = new();
        private readonly SemaphoreSlim _readyCount = new(0);
        private readonly CancellationTokenSource _stopping;
        private int _held;
        private bool _overflowing;
        private long _reloadFrom;
        private int _uncommittedOverflow;

        /// <summary>An outbox read is in progress; <c>_refillAgain</c>: something that may need another read happened meanwhile.</summary>
        private bool _refilling, _refillAgain;

        /// <summary>When the queue last took or finished a delivery; <c>_removed</c>: it is no longer the receiver's queue.</summary>
        private long _lastActivity;
        private bool _removed;

        /// <summary>Deliveries read back from the outbox before their own Post came (posted just after their commit): not held twice.</summary>
        private readonly HashSet<long> _readBack = [];

        public ReceiverQueue(DeliveryDispatcher dispatcher, string receiver)
        {
            _dispatcher = dispatcher;
            _receiver = receiver;
            _capacity = Math.Max(1, dispatcher._options.MaxQueuedPerReceiver);
            _stopping = CancellationTokenSource.CreateLinkedTokenSource(dispatcher._stopping.Token);
            _lastActivity = dispatcher._time.GetTimestamp();
            Uri = new Uri(receiver);
            Mqtt = Uri.Scheme is "mqtt" or "mqtts" ? MqttEndpoint.Parse(receiver) : null;
            Completion = Task.WhenAll(Enumerable.Range(0, Math.Max(1, dispatcher._options.MaxInFlightPerReceiver))
                .Select(_ => Task.Run(WorkAsync)));
        }

        public Uri Uri { get; }
        public MqttEndpoint? Mqtt { get; }
        public Task Completion { get; }
        public int Pending => Volatile.Read(ref _held);

        /// <summary>Queues the delivery; false when the queue was removed (the caller posts to the receiver's new queue).</summary>
        public bool TryPost(Delivery delivery, Task committed)
        {
            bool uncommitted;
            lock (_gate)
            {
                if (_removed) return false;
                _lastActivity = _dispatcher._time.GetTimestamp();
                if (_readBack.Contains(delivery.Seq)) return true;
                // A delivery below the read-back point was durably queued after later ones: hold it, or nothing would.
                if (_overflowing ? delivery.Seq < _reloadFrom : _held < _capacity)
                {
                    Hold(delivery);
                    return true;
                }
                if (!_overflowing)
                {
                    _overflowing = true;
                    _reloadFrom = delivery.Seq;
                }
                // A read in progress may have missed it.
                if (_refilling) _refillAgain = true;
                uncommitted = !committed.IsCompleted;
                if (uncommitted) _uncommittedOverflow++;
            }
            if (!uncommitted)
            {
                _ = RefillAsync();
                return true;
            }
            committed.ContinueWith(_ =>
            {
                lock (_gate) _uncommittedOverflow--;
                return RefillAsync();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return true;
        }

        /// <summary>Removes the queue and stops its workers when it holds nothing and has had nothing to do for <paramref name="idle"/>.</summary>
        public void RemoveIfIdle(TimeSpan idle)
        {
            lock (_gate)
            {
                if (_held > 0 || _overflowing || _uncommittedOverflow > 0 || _refilling || _dispatcher._time.GetElapsedTime(_lastActivity) < idle) return;
                _removed = true;
                _dispatcher._queues.TryRemove(new KeyValuePair<string, ReceiverQueue>(_receiver, this));
            }
            _stopping.Cancel();
            Completion.ContinueWith(_ => _stopping.Dispose(), TaskScheduler.Default);
        }

        private void Hold(Delivery delivery)
        {
            _held++;
            if (_byKey.TryGetValue(delivery.OrderKey, out var waiting))
            {
                waiting.Enqueue(delivery);
                return;
            }
            var queue = new Queue<Delivery>(1);
            queue.Enqueue(delivery);
            _byKey[delivery.OrderKey] = queue;
            _ready.Enqueue(delivery.OrderKey);
            _readyCount.Release();
        }

        /// <summary>Reads overflowed deliveries back from the outbox when there is room and all of them are committed (so none is skipped).</summary>
        private async Task RefillAsync()
        {
            while (true)
            {
                long from;
                int room;
                lock (_gate)
                {
                    if (_refilling)
                    {
                        _refillAgain = true;
                        return;
                    }
                    if (!_overflowing || _uncommittedOverflow > 0 || _held > _capacity / 2) return;
                    _refilling = true;
                    _refillAgain = false;
                    from = _reloadFrom;
                    room = _capacity - _held;
                }
                IReadOnlyList<Delivery> deliveries = [];
                try
                {
                    deliveries = await _dispatcher._store.LoadDeliveriesAsync(_receiver, from, room, _stopping.Token);
                }
                catch (Exception error)
                {
                    if (!_stopping.IsCancellationRequested) LogRefillFailed(_dispatcher._logger, error, _receiver);
                    lock (_gate) _refilling = false;
                    return;
                }
                lock (_gate)
                {
                    _refilling = false;
                    // Deliveries held meanwhile (posted below the read-back point) leave less room than there was.
                    var taken = Math.Min(deliveries.Count, Math.Max(0, _capacity - _held));
                    for (var i = 0; i < taken; i++)
                    {
                        _readBack.Add(deliveries[i].Seq);
                        Hold(deliveries[i]);
                    }
                    if (taken > 0) _reloadFrom = deliveries[taken - 1].Seq + 1;
                    // The outbox has no more of them, unless one was posted while it was read.
                    if (taken == deliveries.Count && deliveries.Count < room && !_refillAgain) _overflowing = false;
                    if (!_refillAgain) return;
                }
            }
        }

        private async Task WorkAsync()
        {
            var stopping = _stopping.Token;
            try
            {
                while (true)
                {
                    await _readyCount.WaitAsync(stopping);
                    string key;
                    Delivery delivery;
                    lock (_gate)
                    {
                        key = _ready.Dequeue();
                        delivery = _byKey[key].Peek();
                    }
                    await _dispatcher.DeliverAsync(this, delivery);
                    stopping.ThrowIfCancellationRequested();
                    lock (_gate)
                    {
                        _held--;
                        _lastActivity = _dispatcher._time.GetTimestamp();
                        _readBack.Remove(delivery.Seq);
                        var queue = _byKey[key];
                        queue.Dequeue();
                        if (queue.Count > 0)
                        {
                            _ready.Enqueue(key);
                            _readyCount.Release();
                        }
                        else
                        {
                            _byKey.Remove(key);
                        }
                    }
                    await RefillAsync();
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping (or removed, holding nothing): what is left stays in the outbox for the next start.
            }
        }
    }
}
