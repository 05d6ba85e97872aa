namespace CityOS.Mqtt;

/// <summary>MQTT delivery guarantee. This client publishes and subscribes with QoS 0 and 1 only.</summary>
public enum MqttQualityOfService : byte
{
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}
