namespace CityOS.Devices;

/// <summary>Settings of the IoT agent (<c>CityOS:Devices:*</c>).</summary>
public sealed class DevicesOptions
{
    public const string Section = "CityOS:Devices";

    /// <summary>The largest provisioning or measure payload accepted (HTTP body or MQTT message).</summary>
    public long MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a command waits for its device's answer before it is EXPIRED.</summary>
    public int CommandExpirySeconds { get; set; } = 60;
}
