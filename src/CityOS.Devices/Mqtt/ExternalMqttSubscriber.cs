using CityOS.Devices.Rules;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace CityOS.Devices.Mqtt;

/// <summary>
/// The agent as a client of an external broker: subscribes with QoS 1 to every device topic (<c>/+/+/attrs</c>,
/// <c>…/attrs/+</c>, <c>…/cmdexe</c>, with the /json and /ul prefixes) in a persistent session, acknowledges a message only
/// once <see cref="MqttDeviceMessages"/> committed it (when the store cannot take it, it disconnects unacknowledged, so
/// the broker delivers it again), handles the messages in flight together, publishes commands, and reconnects whenever
/// the connection drops.
/// </summary>
public sealed class ExternalMqttSubscriber(IOptions<ExternalMqttOptions> options, MqttDeviceMessages messages, MqttCommandOutlet outlet,
    ILogger<ExternalMqttSubscriber> logger) : BackgroundService, IHealthCheck
{
    private const int MaxPending = 1000;
    private static readonly string[] Filters = ["/+/+/attrs", "/+/+/attrs/+", "/+/+/cmdexe"];
    private readonly SemaphoreSlim _pending = new(MaxPending);
    private Task _acknowledged = Task.CompletedTask;   // the last message's PUBACK; MQTTnet hands messages over one at a time
    private IMqttClient? _client;
    private volatile bool _subscribed;

    /// <summary>Whether the agent is connected to the external broker and subscribed to the device topics.</summary>
    public bool Connected => _subscribed && _client?.IsConnected == true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.Host)) return;
        var factory = new MqttClientFactory();
        using var client = factory.CreateMqttClient();
        _client = client;
        client.ApplicationMessageReceivedAsync += OnMessageAsync;
        var builder = new MqttClientOptionsBuilder().WithTcpServer(settings.Host, settings.Port).WithClientId(settings.ClientId)
            .WithCleanSession(false).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V311);
        if (!string.IsNullOrEmpty(settings.Username)) builder = builder.WithCredentials(settings.Username, settings.Password);
        var connectOptions = builder.Build();
        var subscribe = factory.CreateSubscribeOptionsBuilder();
        foreach (var filter in Filters)
        {
            foreach (var prefix in new[] { "", "/json", "/ul" }) subscribe = subscribe.WithTopicFilter(prefix + filter, MqttQualityOfServiceLevel.AtLeastOnce);
        }
        var subscribeOptions = subscribe.Build();
        outlet.Add(PublishAsync);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (!client.IsConnected)
                {
                    _subscribed = false;
                    try
                    {
                        var connected = await client.ConnectAsync(connectOptions, stoppingToken);
                        // A persistent session keeps the subscriptions; subscribing again is harmless and covers a broker that lost them.
                        await client.SubscribeAsync(subscribeOptions, stoppingToken);
                        _subscribed = true;
                        logger.LogInformation("Subscribed to the device topics of MQTT broker {Host}:{Port} (session present: {Present})",
                            settings.Host, settings.Port, connected.IsSessionPresent);
                    }
                    catch (Exception error) when (error is not OperationCanceledException)
                    {
                        logger.LogWarning("MQTT broker {Host}:{Port} not reachable: {Error}; retrying", settings.Host, settings.Port, error.Message);
                    }
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            outlet.Remove(PublishAsync);
            if (client.IsConnected) await client.DisconnectAsync();
            _client = null;
        }
    }

    private Task PublishAsync(string topic, string payload, CancellationToken ct) =>
        _client is { IsConnected: true } client
            ? client.PublishAsync(MqttCommandOutlet.Message(topic, payload), ct)
            : throw new InvalidOperationException($"Not connected to the MQTT broker {options.Value.Host}:{options.Value.Port}.");

    /// <summary>
    /// Takes the next message at once, without waiting for the last one's commit, so that the messages the broker has in
    /// flight to the agent share broker writes (MeasureBatcher) rather than being committed one by one. A message's
    /// handling starts here, in arrival order (its measure is queued before this returns, and its payload read), and its
    /// PUBACK goes out once it is committed and every earlier message was acknowledged, in the order they came.
    /// </summary>
    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        e.AutoAcknowledge = false;
        // QoS 0 messages are not held back by the broker's in-flight window: at most MaxPending wait for their commit.
        await _pending.WaitAsync(CancellationToken.None);
        var handled = HandleAsync(e);
        _acknowledged = AcknowledgeInOrderAsync(_acknowledged, handled, e);
    }

    /// <summary>Whether the message may be acknowledged: committed, or refused for good (sent again, it would be refused again).</summary>
    private async Task<bool> HandleAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        try
        {
            var topic = DeviceTopic.Parse(e.ApplicationMessage.Topic);
            if (topic is null || topic.Kind == TopicKind.Cmd) return true;
            await messages.HandleAsync(topic, e.ApplicationMessage.Payload, CancellationToken.None);
            return true;
        }
        catch (IotAgentException error) when (error.Status is >= 400 and < 500)
        {
            logger.LogWarning("MQTT message on {Topic} refused: {Name} {Message}", e.ApplicationMessage.Topic, error.Name, error.Message);
            return true;
        }
        catch (Exception error)
        {
            logger.LogError(error, "MQTT message on {Topic} could not be stored; disconnecting unacknowledged", e.ApplicationMessage.Topic);
            _ = _client?.DisconnectAsync();
            return false;
        }
        finally
        {
            _pending.Release();
        }
    }

    private async Task AcknowledgeInOrderAsync(Task previous, Task<bool> handled, MqttApplicationMessageReceivedEventArgs e)
    {
        await previous;
        if (!await handled) return;
        try
        {
            await e.AcknowledgeAsync(CancellationToken.None);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // The connection is gone: the broker sends the message again in the persistent session, and it is stored twice at most.
            logger.LogDebug("MQTT message on {Topic} committed but not acknowledged: {Error}", e.ApplicationMessage.Topic, error.Message);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(string.IsNullOrEmpty(options.Value.Host) || Connected
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"Not connected to the MQTT broker {options.Value.Host}:{options.Value.Port}."));
}
