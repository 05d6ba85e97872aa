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
}
