namespace CityOS.Mqtt;

/// <summary>Base class of every error this client reports about the broker or the connection.</summary>
public class MqttException : Exception
{
    public MqttException(string message) : base(message) { }

    public MqttException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>The broker answered CONNECT with a refusal.</summary>
public sealed class MqttConnectException(MqttConnectReturnCode returnCode, string host, int port)
    : MqttException($"The MQTT broker {host}:{port} refused the connection: {Describe(returnCode)} (CONNACK return code {(byte)returnCode}).")
{
    public MqttConnectReturnCode ReturnCode { get; } = returnCode;

    private static string Describe(MqttConnectReturnCode code) => code switch
    {
        MqttConnectReturnCode.UnacceptableProtocolVersion => "the broker does not support MQTT 3.1.1",
        MqttConnectReturnCode.IdentifierRejected => "the client identifier was rejected",
        MqttConnectReturnCode.ServerUnavailable => "the MQTT service is unavailable",
        MqttConnectReturnCode.BadUserNameOrPassword => "bad user name or password",
        MqttConnectReturnCode.NotAuthorized => "the client is not authorised to connect",
        _ => "unknown reason",
    };
}

/// <summary>The broker sent bytes that are not a valid MQTT 3.1.1 packet, or a packet it must not send; the connection is closed.</summary>
public sealed class MqttProtocolException(string message) : MqttException(message);

/// <summary>The connection to the broker was lost (or could not be used) while the operation was in progress.</summary>
public sealed class MqttConnectionException(string message, Exception? innerException = null) : MqttException(message, innerException);
