using MQTTnet;
using MQTTnet.Protocol;

namespace CityOS.Devices.Mqtt;

/// <summary>Where commands for MQTT devices are published: the built-in broker and the external one, whichever run.</summary>
public sealed class MqttCommandOutlet
{
    private readonly List<Func<string, string, CancellationToken, Task>> _publishers = [];

    public void Add(Func<string, string, CancellationToken, Task> publish)
    {
        lock (_publishers) _publishers.Add(publish);
    }

    public void Remove(Func<string, string, CancellationToken, Task> publish)
    {
        lock (_publishers) _publishers.Remove(publish);
    }

    /// <summary>The message a broker publishes for a command: QoS 1, so the device gets it at least once.</summary>
    public static MqttApplicationMessage Message(string topic, string payload) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    /// <summary>Publishes on every broker (QoS 1); fails when no broker runs.</summary>
    public Task PublishAsync(string topic, string payload, CancellationToken ct)
    {
        Func<string, string, CancellationToken, Task>[] publishers;
        lock (_publishers) publishers = [.. _publishers];
        if (publishers.Length == 0) throw new InvalidOperationException("No MQTT broker runs (CityOS:Mqtt:Broker or CityOS:Devices:ExternalMqtt).");
        return Task.WhenAll(publishers.Select(p => p(topic, payload, ct)));
    }
}
