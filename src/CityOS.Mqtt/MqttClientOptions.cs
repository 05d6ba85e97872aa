using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace CityOS.Mqtt;

/// <summary>How an <see cref="MqttClient"/> connects and behaves. Validated when the client is created.</summary>
public sealed record MqttClientOptions
{
    public required string Host { get; init; }

    public int Port { get; init; } = MqttEndpoint.DefaultPort;

    public bool UseTls { get; init; }

    /// <summary>
    /// Opens the TCP connection to (host, port); null connects to the host's first reachable address. A host sets it to
    /// check the resolved addresses against its outbound policy.
    /// </summary>
    public Func<string, int, CancellationToken, ValueTask<Socket>>? ConnectSocket { get; init; }

    /// <summary>TLS settings for <see cref="UseTls"/>; a null <c>TargetHost</c> means <see cref="Host"/>.</summary>
    public SslClientAuthenticationOptions? TlsOptions { get; init; }

    /// <summary>
    /// Client identifier. Stays the same across reconnects, so the broker can resume a persistent session;
    /// the default is unique per options instance.
    /// </summary>
    public string ClientId { get; init; } = "cityos-" + RandomNumberGenerator.GetHexString(12, lowercase: true);

    public string? UserName { get; init; }

    public string? Password { get; init; }

    /// <summary>MQTT 3.1.1 (the default) or 5.0.</summary>
    public MqttVersion ProtocolVersion { get; init; } = MqttVersion.V311;

    /// <summary>
    /// Longest the client stays silent before it sends PINGREQ; zero turns keep-alive off. A PINGRESP that does not come within
    /// half of it (the grace the broker gives too, MQTT-3.1.2-24) means the connection is dead, and the client reconnects.
    /// </summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(30);

    public bool CleanSession { get; init; } = true;

    public MqttWill? Will { get; init; }

    /// <summary>Limit for TCP connect, TLS handshake and CONNACK together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool AutoReconnect { get; init; } = true;

    /// <summary>Wait before the second reconnect attempt; it doubles after each failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>QoS 1 and 2 publishes awaiting their acknowledgement at once; further publishers wait for a slot.</summary>
    public int MaxInflightMessages { get; init; } = 256;

    /// <summary>Options for the broker of an endpoint parsed by <see cref="MqttEndpoint.Parse"/>.</summary>
    public static MqttClientOptions FromEndpoint(MqttEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new MqttClientOptions
        {
            Host = endpoint.Host,
            Port = endpoint.Port,
            UseTls = endpoint.UseTls,
            UserName = endpoint.UserName,
            Password = endpoint.Password,
        };
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
            throw new ArgumentException("MqttClientOptions.Host is required.", nameof(Host));
        if (Port is < 1 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "The port must be between 1 and 65535.");
        ArgumentNullException.ThrowIfNull(ClientId);
        Check(MqttTopic.CheckUtf8(ClientId, "client identifier"), nameof(ClientId));
        if (ClientId.Length == 0 && !CleanSession)
            throw new ArgumentException("An empty client identifier needs CleanSession (MQTT 3.1.1, 3.1.3-7).", nameof(ClientId));
        if (ProtocolVersion is not (MqttVersion.V311 or MqttVersion.V500))
            throw new ArgumentOutOfRangeException(nameof(ProtocolVersion), ProtocolVersion, "The MQTT version must be 3.1.1 or 5.0.");
        if (UserName is not null)
            Check(MqttTopic.CheckUtf8(UserName, "user name"), nameof(UserName));
        if (Password is not null)
        {
            if (UserName is null && ProtocolVersion == MqttVersion.V311)
                throw new ArgumentException("MQTT 3.1.1 does not allow a password without a user name.", nameof(Password));
            Check(MqttTopic.CheckUtf8(Password, "password"), nameof(Password));
        }
        if (KeepAlive < TimeSpan.Zero || KeepAlive.TotalSeconds > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(KeepAlive), KeepAlive, "The keep-alive must be between 0 and 65535 seconds.");
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(ReconnectDelay, nameof(ReconnectDelay));
        if (MaxReconnectDelay < ReconnectDelay)
            throw new ArgumentOutOfRangeException(nameof(MaxReconnectDelay), MaxReconnectDelay, "MaxReconnectDelay must not be shorter than ReconnectDelay.");
        // Packet identifiers are 16-bit and SUBSCRIBE/UNSUBSCRIBE need some too.
        if (MaxInflightMessages is < 1 or > 60_000)
            throw new ArgumentOutOfRangeException(nameof(MaxInflightMessages), MaxInflightMessages, "MaxInflightMessages must be between 1 and 60000.");
        if (Will is not null)
        {
            Check(MqttTopic.CheckTopicName(Will.Topic), nameof(Will));
            if (Will.Payload.Length > ushort.MaxValue)
                throw new ArgumentException($"A will message is at most {ushort.MaxValue} bytes.", nameof(Will));
            if (Will.QualityOfService is > MqttQualityOfService.ExactlyOnce)
                throw new ArgumentException("The will's QoS must be 0, 1 or 2.", nameof(Will));
        }
    }

    private static void Check(string? problem, string name)
    {
        if (problem is not null)
            throw new ArgumentException($"Invalid {name}: {problem}.", name);
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
    }
}
