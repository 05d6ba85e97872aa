using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Devices.Http;
using CityOS.Devices.Rules;
using CityOS.Devices.Services;
using Microsoft.Extensions.Options;

namespace CityOS.Devices.Mqtt;

/// <summary>
/// What a device's MQTT message means, whichever broker carried it (the built-in one or an external one): measures on
/// <c>attrs</c> and <c>attrs/{attr}</c> go through <see cref="MeasureIngest"/> (the one path the HTTP southbound takes),
/// command answers on <c>cmdexe</c> to <see cref="DeviceCommands"/>. The task completes once the message is committed;
/// a refusal is an <see cref="IotAgentException"/>.
/// </summary>
public sealed class MqttDeviceMessages(MeasureIngest ingest, DeviceCommands commands, IOptions<DevicesOptions> options)
{
    private static readonly UTF8Encoding Utf8 = new(false, true);

    public async Task HandleAsync(DeviceTopic topic, ReadOnlySequence<byte> payload, CancellationToken ct)
    {
        if (topic.Kind == TopicKind.Cmd) return;
        var text = Text(payload);
        var format = topic.FormatOf(text);
        if (topic.Kind == TopicKind.CmdExe)
        {
            await commands.AnswerAsync(topic.Apikey, topic.DeviceId, format, text, ct);
            return;
        }
        var groups = topic.Kind == TopicKind.Attr
            ? [new MeasureGroup(new Dictionary<string, JsonNode?>(StringComparer.Ordinal) { [topic.Attribute!] = Value(format, text) }, null)]
            : format == MeasureFormat.UltraLight ? UltraLight.Parse(text) : JsonMeasures.Groups(Json(text));
        await ingest.IngestAsync(null, topic.Apikey, topic.DeviceId, groups, null, ct);
    }

    private string Text(ReadOnlySequence<byte> payload)
    {
        var limit = options.Value.MaxPayloadBytes;
        if (payload.Length > limit) throw IotAgentException.BadMeasure($"The message has {payload.Length} bytes; at most {limit} are taken.");
        try
        {
            return Utf8.GetString(payload.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw IotAgentException.BadMeasure("The message is not UTF-8 text.");
        }
    }

    /// <summary>The value of a single-attribute measure: the JSON value in JSON, the text in UltraLight (the mapping types it).</summary>
    private static JsonNode? Value(MeasureFormat format, string text)
    {
        if (format == MeasureFormat.UltraLight) return JsonValue.Create(text.Trim());
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    internal static JsonNode Json(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 32 })
                ?? throw IotAgentException.BadMeasure("A JSON measure is an object of measures or a non-empty array of them.");
        }
        catch (JsonException error)
        {
            throw IotAgentException.BadMeasure($"The JSON measure is not valid JSON (line {error.LineNumber + 1}, byte {error.BytePositionInLine + 1}).");
        }
    }
}
