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
/// the durable outbox only once its receiver took it (at-least-once) or it was given up.
/// </summary>
public sealed partial class DeliveryDispatcher(
    SubscriptionStore store,
    SubscriptionRegistry registry,
    IHttpClientFactory httpClients,
    MqttConnectionPool mqtt,
    TimeProvider time,
    IOptions<SubscriptionOptions> options,
    ILogger<DeliveryDispatcher> logger) : IAsyncDisposable
{
    public const string HttpClientName = "cityos-notifier";

    private readonly ConcurrentDictionary<string, ReceiverQueue> _queues = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SubscriptionOptions _options = options.Value;
    private readonly SubscriptionStore _store = store;

    /// <summary>Raised after each delivery attempt, with the delivery and whether it succeeded (used by benchmarks and tests).</summary>
    public event Action<Delivery, bool>? Attempted;

    /// <summary>Queues a delivery whose insert into the outbox was submitted and is durable once <paramref name="committed"/> completes.</summary>
    public void Post(Delivery delivery, Task committed) =>
        _queues.GetOrAdd(delivery.Receiver, receiver => new ReceiverQueue(this, receiver)).Post(delivery, committed);

    /// <summary>Deliveries held in memory (queued, in flight or waiting to retry), all receivers together; those beyond a receiver's cap are in the outbox only.</summary>
    public int Pending => _queues.Values.Sum(q => q.Pending);

    private async Task DeliverAsync(ReceiverQueue queue, Delivery delivery)
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            var success = await SendAsync(queue, delivery, ct);
            delivery.Attempts++;
            var now = time.GetUtcNow();
            if (registry.TryGetState(delivery.Tenant, delivery.SubscriptionId, out var state)) state.Sent(success, now);
            Attempted?.Invoke(delivery, success);
            if (success)
            {
                _store.Finished(delivery);
                return;
            }
            if (delivery.Attempts >= _options.MaxAttempts)
            {
                LogGivenUp(logger, delivery.SubscriptionId, delivery.Attempts, delivery.Receiver);
                _store.Finished(delivery);
                return;
            }
            _store.Attempted(delivery.Seq, delivery.Attempts);
            var delay = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks,
                _options.InitialRetryDelay.Ticks * (1L << Math.Min(delivery.Attempts - 1, 30))));
            try
            {
                await Task.Delay(delay, time, ct);
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
            var payload = NotificationBuilder.PayloadAt(delivery, time.GetUtcNow());
            if (queue.Mqtt is { } endpoint)
            {
                await mqtt.PublishAsync(endpoint, payload, (MqttQualityOfService)delivery.Qos, retain: false, timeout.Token);
                return true;
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, queue.Uri) { Content = new ByteArrayContent(payload) };
            foreach (var (name, value) in delivery.Headers)
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
                else if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode) LogFailed(logger, delivery.SubscriptionId, delivery.Receiver, $"HTTP {(int)response.StatusCode}");
            return response.IsSuccessStatusCode;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            LogFailed(logger, delivery.SubscriptionId, delivery.Receiver, "timeout");
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or MqttException or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            LogFailed(logger, delivery.SubscriptionId, delivery.Receiver, e.Message);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_queues.Values.Select(q => q.Completion));
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification of subscription {SubscriptionId} to {Receiver} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string subscriptionId, string receiver, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification of subscription {SubscriptionId} given up after {Attempts} attempts to {Receiver}")]
    private static partial void LogGivenUp(ILogger logger, string subscriptionId, int attempts, string receiver);

    /// <summary>
    /// The deliveries of one receiver: up to MaxInFlightPerReceiver in flight at once, but never two of the same
    /// <see cref="Delivery.OrderKey"/>, so the notifications of one entity arrive in the order they were queued while
    /// different entities go in parallel. A key whose delivery is in flight (or waiting to retry) holds back the rest of its key.
    /// At most MaxQueuedPerReceiver deliveries are held in memory: past that the queue overflows, new deliveries stay in the
    /// outbox only (from <c>_reloadFrom</c> on), and once half the room is free again and every overflowed delivery is durably
    /// queued, the queue reads them back from the outbox in queueing order, until the outbox has no more of them.
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
        private int _held;
        private bool _overflowing;
        private long _reloadFrom;
        private int _uncommittedOverflow;

        /// <summary>Deliveries read back from the outbox before their own Post came (posted just after their commit): not held twice.</summary>
        private readonly HashSet<long> _readBack = [];

        public ReceiverQueue(DeliveryDispatcher dispatcher, string receiver)
        {
            _dispatcher = dispatcher;
            _receiver = receiver;
            _capacity = Math.Max(1, dispatcher._options.MaxQueuedPerReceiver);
            Uri = new Uri(receiver);
            Mqtt = Uri.Scheme is "mqtt" or "mqtts" ? MqttEndpoint.Parse(receiver) : null;
            Completion = Task.WhenAll(Enumerable.Range(0, Math.Max(1, dispatcher._options.MaxInFlightPerReceiver))
                .Select(_ => Task.Run(WorkAsync)));
        }

        public Uri Uri { get; }
        public MqttEndpoint? Mqtt { get; }
        public Task Completion { get; }
        public int Pending => Volatile.Read(ref _held);

        public void Post(Delivery delivery, Task committed)
        {
            bool uncommitted;
            lock (_gate)
            {
                if (_readBack.Contains(delivery.Seq)) return;
                // A delivery below the read-back point was durably queued after later ones: hold it, or nothing would.
                if (_overflowing ? delivery.Seq < _reloadFrom : _held < _capacity)
                {
                    Hold(delivery);
                    return;
                }
                if (!_overflowing)
                {
                    _overflowing = true;
                    _reloadFrom = delivery.Seq;
                }
                uncommitted = !committed.IsCompleted;
                if (uncommitted) _uncommittedOverflow++;
            }
            if (!uncommitted)
            {
                Refill();
                return;
            }
            committed.ContinueWith(_ =>
            {
                lock (_gate) _uncommittedOverflow--;
                Refill();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
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
        private void Refill()
        {
            lock (_gate)
            {
                if (!_overflowing || _uncommittedOverflow > 0 || _held > _capacity / 2) return;
                var room = _capacity - _held;
                var deliveries = _dispatcher._store.LoadDeliveries(_receiver, _reloadFrom, room);
                foreach (var delivery in deliveries)
                {
                    _readBack.Add(delivery.Seq);
                    Hold(delivery);
                }
                if (deliveries.Count > 0) _reloadFrom = deliveries[^1].Seq + 1;
                if (deliveries.Count < room) _overflowing = false;
            }
        }

        private async Task WorkAsync()
        {
            var stopping = _dispatcher._stopping.Token;
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
                    Refill();
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping: what is left stays in the outbox for the next start.
            }
        }
    }
}
