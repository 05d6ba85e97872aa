using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Core.Http;

namespace CityOS.Context.Temporal.Storage;

/// <summary>
/// The storage columns of an instance: its value as JSON text, a number for aggregation, and the rest
/// (objectType, unitCode, sub-attributes) as compact JSON. Internal format, never shown to clients.
/// </summary>
internal static class InstanceCodec
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public static string? Value(NgsiAttribute attribute) => attribute.Value?.ToJsonString();

    /// <summary>What aggregations compute on: a number, or a boolean as 1 or 0; null for anything else.</summary>
    public static double? Number(NgsiAttribute attribute)
    {
        if (attribute.Value is not JsonValue value) return null;
        return value.GetValueKind() switch
        {
            // A value parsed from JSON reads as a double; one built in code (an int, a decimal) is read from its JSON text.
            JsonValueKind.Number => value.TryGetValue<double>(out var number) ? number : double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture),
            JsonValueKind.True => 1,
            JsonValueKind.False => 0,
            _ => null,
        };
    }

    public static string? Details(NgsiAttribute attribute)
    {
        if (attribute.ObjectType is null && attribute.UnitCode is null && attribute.SubAttributes.Count == 0) return null;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            WriteDetails(writer, attribute);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteDetails(Utf8JsonWriter writer, NgsiAttribute attribute)
    {
        if (attribute.ObjectType is not null)
        {
            writer.WritePropertyName("ot");
            attribute.ObjectType.WriteTo(writer);
        }
        if (attribute.UnitCode is not null) writer.WriteString("u", attribute.UnitCode);
        if (attribute.SubAttributes.Count == 0) return;
        writer.WriteStartObject("s");
        foreach (var (name, sub) in attribute.SubAttributes)
        {
            writer.WriteStartObject(name);
            writer.WriteNumber("k", (int)sub.Kind);
            if (sub.Value is not null)
            {
                writer.WritePropertyName("v");
                sub.Value.WriteTo(writer);
            }
            if (sub.ObservedAt is { } observedAt) writer.WriteNumber("o", observedAt.ToUnixTimeMilliseconds());
            if (sub.DatasetId is not null) writer.WriteString("d", sub.DatasetId);
            writer.WriteNumber("c", sub.CreatedAt.ToUnixTimeMilliseconds());
            writer.WriteNumber("m", sub.ModifiedAt.ToUnixTimeMilliseconds());
            WriteDetails(writer, sub);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    public static void ReadDetails(string json, NgsiAttribute attribute)
    {
        using var document = JsonDocument.Parse(json, InputLimits.StoredDocument);
        ReadDetails(document.RootElement, attribute);
    }

    private static void ReadDetails(JsonElement element, NgsiAttribute attribute)
    {
        foreach (var member in element.EnumerateObject())
        {
            switch (member.Name)
            {
                case "ot": attribute.ObjectType = JsonNode.Parse(member.Value.GetRawText(), documentOptions: InputLimits.StoredDocument); break;
                case "u": attribute.UnitCode = member.Value.GetString(); break;
                case "s":
                    foreach (var sub in member.Value.EnumerateObject())
                    {
                        var child = new NgsiAttribute { Kind = (AttributeKind)sub.Value.GetProperty("k").GetInt32() };
                        foreach (var field in sub.Value.EnumerateObject())
                        {
                            switch (field.Name)
                            {
                                case "v": child.Value = JsonNode.Parse(field.Value.GetRawText(), documentOptions: InputLimits.StoredDocument); break;
                                case "o": child.ObservedAt = DateTimeOffset.FromUnixTimeMilliseconds(field.Value.GetInt64()); break;
                                case "d": child.DatasetId = field.Value.GetString(); break;
                                case "c": child.CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(field.Value.GetInt64()); break;
                                case "m": child.ModifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(field.Value.GetInt64()); break;
                            }
                        }
                        ReadDetails(sub.Value, child);
                        attribute.SubAttributes[sub.Name] = child;
                    }
                    break;
            }
        }
    }
}
