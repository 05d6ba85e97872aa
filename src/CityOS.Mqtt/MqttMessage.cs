namespace CityOS.Mqtt;

/// <summary>An application message received on a subscription.</summary>
public sealed record MqttMessage(string Topic, ReadOnlyMemory<byte> Payload, MqttQualityOfService QualityOfService, bool Retain);

/// <summary>The message the broker publishes for the client when the client disappears without a DISCONNECT.</summary>
public sealed record MqttWill(string Topic, ReadOnlyMemory<byte> Payload, MqttQualityOfService QualityOfService = MqttQualityOfService.AtMostOnce, bool Retain = false);
