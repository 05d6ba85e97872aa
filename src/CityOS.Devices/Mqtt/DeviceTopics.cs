namespace CityOS.Devices.Mqtt;

/// <summary>The payload formats of the IoT Agents' MQTT transport.</summary>
public enum MeasureFormat
{
    UltraLight,
    Json,
}

/// <summary>What a device topic carries.</summary>
public enum TopicKind
{
    /// <summary><c>/{apikey}/{deviceId}/attrs</c>: measures of the device.</summary>
    Attrs,

    /// <summary><c>/{apikey}/{deviceId}/attrs/{attr}</c>: one measure, the payload is its value.</summary>
    Attr,

    /// <summary><c>/{apikey}/{deviceId}/cmdexe</c>: the device's answer to a command.</summary>
    CmdExe,

    /// <summary><c>/{apikey}/{deviceId}/cmd</c>: commands to the device (the agent publishes, the device subscribes).</summary>
    Cmd,
}

/// <summary>
/// A device topic of the IoT Agents: <c>/{apikey}/{deviceId}/attrs</c>, <c>…/attrs/{attr}</c>, <c>…/cmdexe</c> and
/// <c>…/cmd</c>, optionally prefixed by <c>/ul</c> or <c>/json</c>, which fixes the payload format. Without a prefix
/// (<see cref="Format"/> null) a payload starting with <c>{</c> or <c>[</c> is JSON, any other UltraLight 2.0.
/// </summary>
public sealed record DeviceTopic(MeasureFormat? Format, string Apikey, string DeviceId, TopicKind Kind, string? Attribute = null)
{
    /// <summary>The device topic named by <paramref name="topic"/>, or null when it is no device topic.</summary>
    public static DeviceTopic? Parse(string topic)
    {
        var parts = topic.TrimStart('/').Split('/');
        MeasureFormat? format = null;
        if (parts.Length >= 4 && parts[0] is "json" or "ul")
        {
            format = parts[0] == "json" ? MeasureFormat.Json : MeasureFormat.UltraLight;
            parts = parts[1..];
        }
        if (parts.Length is < 3 or > 4 || parts[0].Length == 0 || parts[1].Length == 0 || parts.Any(p => p.Contains('+') || p.Contains('#'))) return null;
        return (parts.Length, parts[2]) switch
        {
            (3, "attrs") => new DeviceTopic(format, parts[0], parts[1], TopicKind.Attrs),
            (4, "attrs") when parts[3].Length > 0 => new DeviceTopic(format, parts[0], parts[1], TopicKind.Attr, parts[3]),
            (3, "cmdexe") => new DeviceTopic(format, parts[0], parts[1], TopicKind.CmdExe),
            (3, "cmd") => new DeviceTopic(format, parts[0], parts[1], TopicKind.Cmd),
            _ => null,
        };
    }

    /// <summary>The format of <paramref name="payload"/> on this topic.</summary>
    public MeasureFormat FormatOf(string payload) =>
        Format ?? (payload.TrimStart() is { Length: > 0 } text && text[0] is '{' or '[' ? MeasureFormat.Json : MeasureFormat.UltraLight);

    /// <summary>The topic a device receives its commands on (both IoT Agents publish there, whatever the payload format).</summary>
    public static string CommandTopic(string apikey, string deviceId) => $"/{apikey}/{deviceId}/cmd";
}
