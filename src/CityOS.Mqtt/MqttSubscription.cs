using System.Threading.Channels;

namespace CityOS.Mqtt;

/// <summary>
/// A topic filter the client is subscribed to. Matching messages arrive in <see cref="Messages"/>;
/// disposing unsubscribes. The subscription is restored after every reconnect.
/// </summary>
public sealed class MqttSubscription : IAsyncDisposable
{
    private static readonly TimeSpan UnsubscribeOnDisposeTimeout = TimeSpan.FromSeconds(5);

    private readonly MqttClient _client;

    // Unbounded because the client's single read loop must never wait for a slow consumer:
    // waiting would also hold back PUBACKs and PINGRESPs and make the connection look dead.
    private readonly Channel<MqttMessage> _messages = Channel.CreateUnbounded<MqttMessage>();

    internal MqttSubscription(MqttClient client, string topicFilter, MqttQualityOfService requested)
    {
        _client = client;
        TopicFilter = topicFilter;
        RequestedQualityOfService = requested;
    }

    public string TopicFilter { get; }

    public MqttQualityOfService RequestedQualityOfService { get; }

    /// <summary>The QoS the broker granted, which may be lower than requested.</summary>
    public MqttQualityOfService GrantedQualityOfService { get; private set; }

    /// <summary>Messages in the order the broker sent them; completes when the subscription or the client ends.</summary>
    public ChannelReader<MqttMessage> Messages => _messages.Reader;

    internal bool IsConfirmed { get; private set; }

    internal void Confirm(MqttQualityOfService granted)
    {
        GrantedQualityOfService = granted;
        IsConfirmed = true;
    }

    internal void Deliver(MqttMessage message) => _messages.Writer.TryWrite(message);

    internal void Complete() => _messages.Writer.TryComplete();

    /// <summary>Sends UNSUBSCRIBE (unless another subscription of this client uses the same filter) and completes <see cref="Messages"/>.</summary>
    public Task UnsubscribeAsync(CancellationToken cancellationToken = default) => _client.UnsubscribeAsync(this, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(UnsubscribeOnDisposeTimeout);
        try
        {
            await UnsubscribeAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or MqttException)
        {
            // Disposal must not throw; locally the subscription is gone either way.
        }
    }
}
