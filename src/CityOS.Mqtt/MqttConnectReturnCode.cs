namespace CityOS.Mqtt;

/// <summary>
/// Why a broker refused a connection, as the CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3) name it. An MQTT 5
/// reason code is mapped onto the nearest of these (<see cref="Refused"/> when none fits); <see cref="MqttConnectException.ReasonCode"/> keeps the exact one.
/// </summary>
public enum MqttConnectReturnCode : byte
{
    Accepted = 0,
    UnacceptableProtocolVersion = 1,
    IdentifierRejected = 2,
    ServerUnavailable = 3,
    BadUserNameOrPassword = 4,
    NotAuthorized = 5,

    /// <summary>An MQTT 5 refusal with no MQTT 3.1.1 equivalent (unspecified error, banned, quota exceeded, ...).</summary>
    Refused = 128,
}
