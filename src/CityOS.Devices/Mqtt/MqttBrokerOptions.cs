namespace CityOS.Devices.Mqtt;

/// <summary>Settings of the MQTT broker built into cityos (<c>CityOS:Mqtt:Broker:*</c>).</summary>
public sealed class MqttBrokerOptions
{
    public const string Section = "CityOS:Mqtt:Broker";

    /// <summary>Whether cityos listens for MQTT devices itself (on by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The TCP port (1883 by default; 0 picks a free one, as tests and several nodes on one machine do).</summary>
    public int Port { get; set; } = 1883;

    /// <summary>The address the listener binds (loopback by default; 0.0.0.0 for every interface).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>
    /// Whether clients without a username may connect (off by default). The FIWARE IoT Agents trust the apikey in the topic
    /// alone; with this on, an anonymous client may publish to the topics of any provisioned apikey and subscribe to any one
    /// device's command topic, as behind an open mosquitto. Leave it off where devices are reachable from an untrusted network.
    /// </summary>
    public bool AllowAnonymous { get; set; }
}
