using CityOS.Devices.Rules;

namespace CityOS.Devices.Mqtt;

/// <summary>The payload formats of the IoT Agents' MQTT transport.</summary>
public enum MeasureFormat
{
    UltraLight,
    Json,
}

/// <summary>A device's measure topic: <c>/{apikey}/{deviceId}/attrs</c> (UltraLight), <c>/ul/…</c> and <c>/json/…</c>.</summary>
public sealed record DeviceTopic(MeasureFormat Format, string Apikey, string DeviceId)
{
    /// <summary>The measure topic named by <paramref name="topic"/>, or null when it is no device's measure topic.</summary>
    public static DeviceTopic? Parse(string topic)
    {
        var parts = topic.TrimStart('/').Split('/');
        var format = MeasureFormat.UltraLight;
        if (parts.Length == 4 && parts[0] is "json" or "ul")
        {
            format = parts[0] == "json" ? MeasureFormat.Json : MeasureFormat.UltraLight;
            parts = parts[1..];
        }
        if (parts.Length != 3 || parts[2] != "attrs" || parts[0].Length == 0 || parts[1].Length == 0) return null;
        return new DeviceTopic(format, parts[0], parts[1]);
    }

    /// <summary>The measure groups of a payload in this topic's format (400-style <see cref="IotAgentException"/> when malformed).</summary>
    public IReadOnlyList<MeasureGroup> Groups(string payload)
    {
        if (Format == MeasureFormat.UltraLight) return UltraLight.Parse(payload);
        System.Text.Json.Nodes.JsonNode? body;
        try
        {
            body = System.Text.Json.Nodes.JsonNode.Parse(payload);
        }
        catch (System.Text.Json.JsonException error)
        {
            throw IotAgentException.BadMeasure("The JSON measure is not valid JSON: " + error.Message);
        }
        return Http.JsonMeasures.Groups(body ?? throw IotAgentException.BadMeasure("A JSON measure is an object of measures or a non-empty array of them."));
    }
}
