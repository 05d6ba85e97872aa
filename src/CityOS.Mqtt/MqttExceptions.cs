namespace CityOS.Mqtt;

/// <summary>Base class of every error this client reports about the broker or the connection.</summary>
public class MqttException : Exception
{
    public MqttException(string message) : base(message) { }

    public MqttException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>The broker answered CONNECT with a refusal.</summary>
/// <param name="returnCode">The refusal as MQTT 3.1.1 names it (MQTT 5 reasons are mapped onto it).</param>
/// <param name="reasonCode">The code the broker sent: the 3.1.1 return code, or the MQTT 5 reason code.</param>
public sealed class MqttConnectException(MqttConnectReturnCode returnCode, byte reasonCode, string host, int port, string? reasonString = null)
    : MqttException($"The MQTT broker {host}:{port} refused the connection: {Describe(returnCode, reasonString)} (CONNACK return code {reasonCode}).")
{
    public MqttConnectReturnCode ReturnCode { get; } = returnCode;

    /// <summary>The code in the broker's CONNACK: the 3.1.1 return code (1–5) or the MQTT 5 reason code (128 and up).</summary>
    public byte ReasonCode { get; } = reasonCode;

    private static string Describe(MqttConnectReturnCode code, string? reason)
    {
        var text = code switch
        {
            MqttConnectReturnCode.UnacceptableProtocolVersion => "the broker does not support this MQTT version",
            MqttConnectReturnCode.IdentifierRejected => "the client identifier was rejected",
            MqttConnectReturnCode.ServerUnavailable => "the MQTT service is unavailable",
            MqttConnectReturnCode.BadUserNameOrPassword => "bad user name or password",
            MqttConnectReturnCode.NotAuthorized => "the client is not authorised to connect",
            _ => "refused",
        };
        return string.IsNullOrEmpty(reason) ? text : $"{text}: {reason}";
    }
}

/// <summary>The broker sent something that breaks the MQTT protocol; the connection is closed.</summary>
public sealed class MqttProtocolException(string message, Exception? innerException = null) : MqttException(message, innerException);

/// <summary>The connection to the broker was lost (or could not be used) while the operation was in progress.</summary>
public sealed class MqttConnectionException(string message, Exception? innerException = null) : MqttException(message, innerException);
