using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.Model;

namespace CityOS.Context.Storage;

/// <summary>
/// The storage form of an entity: compact JSON of the expanded model. It is the broker's own
/// format (never shown to clients), so it can change with a schema migration.
/// </summary>
public static class EntityDocument
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public static byte[] Serialize(Entity entity)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id", entity.Id);
            writer.WriteStartArray("type");
            foreach (var type in entity.Types) writer.WriteStringValue(type);
            writer.WriteEndArray();
            if (entity.Scopes is { Count: > 0 })
            {
                writer.WriteStartArray("scope");
                foreach (var scope in entity.Scopes) writer.WriteStringValue(scope);
                writer.WriteEndArray();
            }
            writer.WriteNumber("c", entity.CreatedAt.ToUnixTimeMilliseconds());
            writer.WriteNumber("m", entity.ModifiedAt.ToUnixTimeMilliseconds());
            writer.WriteStartObject("a");
            foreach (var (name, instances) in entity.Attributes)
            {
                writer.WriteStartArray(name);
                foreach (var instance in instances) WriteAttribute(writer, instance);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteAttribute(Utf8JsonWriter writer, NgsiAttribute attribute)
    {
        writer.WriteStartObject();
        writer.WriteNumber("k", (int)attribute.Kind);
        if (attribute.Value is not null)
        {
            writer.WritePropertyName("v");
            attribute.Value.WriteTo(writer);
        }
        if (attribute.ObjectType is not null)
        {
            writer.WritePropertyName("ot");
            attribute.ObjectType.WriteTo(writer);
        }
        if (attribute.ObservedAt is { } observedAt) writer.WriteString("o", observedAt.ToString("O", CultureInfo.InvariantCulture));
        if (attribute.UnitCode is not null) writer.WriteString("u", attribute.UnitCode);
        if (attribute.DatasetId is not null) writer.WriteString("d", attribute.DatasetId);
        writer.WriteNumber("c", attribute.CreatedAt.ToUnixTimeMilliseconds());
        writer.WriteNumber("m", attribute.ModifiedAt.ToUnixTimeMilliseconds());
        if (attribute.SubAttributes.Count > 0)
        {
            writer.WriteStartObject("s");
            foreach (var (name, sub) in attribute.SubAttributes)
            {
                writer.WritePropertyName(name);
                WriteAttribute(writer, sub);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    public static Entity Deserialize(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var entity = new Entity
        {
            Id = root.GetProperty("id").GetString()!,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("c").GetInt64()),
            ModifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("m").GetInt64()),
        };
        foreach (var type in root.GetProperty("type").EnumerateArray()) entity.Types.Add(type.GetString()!);
        if (root.TryGetProperty("scope", out var scopes))
        {
            entity.Scopes = [];
            foreach (var scope in scopes.EnumerateArray()) entity.Scopes.Add(scope.GetString()!);
        }
        foreach (var attribute in root.GetProperty("a").EnumerateObject())
        {
            var instances = new List<NgsiAttribute>(attribute.Value.GetArrayLength());
            foreach (var instance in attribute.Value.EnumerateArray()) instances.Add(ReadAttribute(instance));
            entity.Attributes[attribute.Name] = instances;
        }
        return entity;
    }

    private static NgsiAttribute ReadAttribute(JsonElement element)
    {
        var attribute = new NgsiAttribute { Kind = (AttributeKind)element.GetProperty("k").GetInt32() };
        foreach (var member in element.EnumerateObject())
        {
            switch (member.Name)
            {
                case "v": attribute.Value = ToNode(member.Value); break;
                case "ot": attribute.ObjectType = ToNode(member.Value); break;
                case "o": attribute.ObservedAt = DateTimeOffset.Parse(member.Value.GetString()!, CultureInfo.InvariantCulture); break;
                case "u": attribute.UnitCode = member.Value.GetString(); break;
                case "d": attribute.DatasetId = member.Value.GetString(); break;
                case "c": attribute.CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(member.Value.GetInt64()); break;
                case "m": attribute.ModifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(member.Value.GetInt64()); break;
                case "s":
                    foreach (var sub in member.Value.EnumerateObject()) attribute.SubAttributes[sub.Name] = ReadAttribute(sub.Value);
                    break;
            }
        }
        return attribute;
    }

    private static JsonNode? ToNode(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Object => JsonObject.Create(element.Clone()),
        JsonValueKind.Array => JsonArray.Create(element.Clone()),
        _ => JsonValue.Create(element.Clone()),
    };
}
