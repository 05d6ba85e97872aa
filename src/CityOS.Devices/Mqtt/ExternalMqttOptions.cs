namespace CityOS.Devices.Mqtt;

/// <summary>An external MQTT broker (mosquitto, EMQX) the agent subscribes to for its devices (<c>CityOS:Devices:ExternalMqtt:*</c>); off without a Host.</summary>
public sealed class ExternalMqttOptions
{
    public const string Section = "CityOS:Devices:ExternalMqtt";

    public string? Host { get; set; }

    public int Port { get; set; } = 1883;

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>The agent's client id: its session (and the measures not acknowledged yet) survives reconnections and restarts.</summary>
    public string ClientId { get; set; } = "cityos-iot-agent";
}
