using System.Globalization;

namespace CityOS.Mqtt;

/// <summary>
/// An NGSI-LD MQTT notification endpoint as Orion-LD accepts it:
/// <c>mqtt[s]://[user:password@]host[:port]/topic</c>, the topic being the path without its leading slash.
/// </summary>
public sealed record MqttEndpoint
{
    public const int DefaultPort = 1883;
    public const int DefaultTlsPort = 8883;

    public MqttEndpoint(string host, int port, string topic, bool useTls = false, string? userName = null, string? password = null)
    {
        Host = host;
        Port = port;
        Topic = topic;
        UseTls = useTls;
        UserName = userName;
        Password = password;
    }

    public string Host { get; init; }

    public int Port { get; init; }

    public string Topic { get; init; }

    public bool UseTls { get; init; }

    public string? UserName { get; init; }

    public string? Password { get; init; }

    /// <summary>Parses a notification endpoint URI.</summary>
    /// <exception cref="ArgumentException">The URI is null or empty.</exception>
    /// <exception cref="FormatException">The URI is not a valid MQTT notification endpoint; the message says why.</exception>
    public static MqttEndpoint Parse(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        return TryParse(uri, out var endpoint, out var error)
            ? endpoint
            : throw new FormatException($"Invalid MQTT endpoint '{Redact(uri)}': {error}.");
    }

    public static bool TryParse(string? uri, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MqttEndpoint? endpoint) =>
        TryParse(uri, out endpoint, out _);

    private static bool TryParse(string? uri, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MqttEndpoint? endpoint, out string error)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(uri))
        {
            error = "it is empty";
            return false;
        }

        bool useTls;
        string rest;
        if (uri.StartsWith("mqtt://", StringComparison.OrdinalIgnoreCase))
        {
            useTls = false;
            rest = uri["mqtt://".Length..];
        }
        else if (uri.StartsWith("mqtts://", StringComparison.OrdinalIgnoreCase))
        {
            useTls = true;
            rest = uri["mqtts://".Length..];
        }
        else
        {
            error = "the scheme must be mqtt:// or mqtts://";
            return false;
        }

        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            error = "there is no topic; expected mqtt://host[:port]/topic";
            return false;
        }
        var authority = rest[..slash];
        var topic = rest[(slash + 1)..];

        string? userName = null;
        string? password = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            if (colon < 0)
            {
                error = "the user information must be user:password (the colon is missing)";
                return false;
            }
            // Percent-decoding lets a password contain ':', '@' or '/', which the URI syntax reserves.
            userName = Uri.UnescapeDataString(userInfo[..colon]);
            password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            if (userName.Length == 0)
            {
                error = "the user name is empty";
                return false;
            }
        }

        string host;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0)
            {
                error = "the IPv6 address has no closing ']'";
                return false;
            }
            host = authority[1..close];
            var afterHost = authority[(close + 1)..];
            if (afterHost.Length > 0)
            {
                if (afterHost[0] != ':')
                {
                    error = "unexpected characters after the IPv6 address";
                    return false;
                }
                portText = afterHost[1..];
            }
            if (Uri.CheckHostName(host) != UriHostNameType.IPv6)
            {
                error = $"'{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = authority.IndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
            if (host.Length > 0 && Uri.CheckHostName(host) is UriHostNameType.Unknown or UriHostNameType.IPv6)
            {
                error = $"'{host}' is not a valid host name or IPv4 address";
                return false;
            }
        }
        if (host.Length == 0)
        {
            error = "the host is missing";
            return false;
        }

        var port = useTls ? DefaultTlsPort : DefaultPort;
        if (portText is not null)
        {
            if (portText.Length == 0)
            {
                error = "there is a colon after the host but no port number";
                return false;
            }
            if (!portText.All(char.IsAsciiDigit)
                || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port)
                || port is < 1 or > 65535)
            {
                error = $"the port '{portText}' is not a number between 1 and 65535";
                return false;
            }
        }

        if (MqttTopic.CheckTopicName(topic) is { } problem)
        {
            error = topic.Length == 0 ? "the topic (the path after the host) is empty" : problem;
            return false;
        }

        endpoint = new MqttEndpoint(host, port, topic, useTls, userName, password);
        error = "";
        return true;
    }

    /// <summary>The endpoint as a URI with the password hidden, so it is safe to log.</summary>
    public override string ToString()
    {
        var scheme = UseTls ? "mqtts" : "mqtt";
        var userInfo = UserName is null ? "" : Uri.EscapeDataString(UserName) + ":***@";
        var host = Host.Contains(':') ? $"[{Host}]" : Host;
        return $"{scheme}://{userInfo}{host}:{Port.ToString(CultureInfo.InvariantCulture)}/{Topic}";
    }

    private static string Redact(string uri)
    {
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
            return uri;
        var authorityStart = schemeEnd + 3;
        var slash = uri.IndexOf('/', authorityStart);
        var authority = uri.AsSpan(authorityStart, (slash < 0 ? uri.Length : slash) - authorityStart);
        var at = authority.LastIndexOf('@');
        var colon = at < 0 ? -1 : authority[..at].IndexOf(':');
        return colon < 0
            ? uri
            : string.Concat(uri.AsSpan(0, authorityStart + colon + 1), "***", uri.AsSpan(authorityStart + at));
    }
}
