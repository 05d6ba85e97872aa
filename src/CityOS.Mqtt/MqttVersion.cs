namespace CityOS.Mqtt;

/// <summary>The MQTT protocol version a client speaks to its broker.</summary>
public enum MqttVersion
{
    /// <summary>MQTT 3.1.1, what every broker speaks and what NGSI-LD notifications use unless told otherwise.</summary>
    V311 = 4,

    /// <summary>MQTT 5.0.</summary>
    V500 = 5,
}
