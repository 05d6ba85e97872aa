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
            if (entity.ExpiresAt is { } expiresAt) writer.WriteNumber("x", expiresAt.ToUnixTimeMilliseconds());
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
        if (attribute.ObservedAtFraction) writer.WriteBoolean("of", true);
        if (attribute.UnitCode is not null) writer.WriteString("u", attribute.UnitCode);
        if (attribute.DatasetId is not null) writer.WriteString("d", attribute.DatasetId);
        if (attribute.ExpiresAt is { } expiresAt) writer.WriteNumber("x", expiresAt.ToUnixTimeMilliseconds());
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

    /// <summary>Reads the storage form back; on the hot path of every read, so it walks the bytes once.</summary>
    public static Entity Deserialize(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, CityOS.Core.Http.InputLimits.StoredReader);
        reader.Read();
        string? id = null;
        var entity = new Entity { Id = "" };
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("id"u8)) id = reader.GetString();
            else if (name.SequenceEqual("type"u8)) entity.Types = ReadStrings(ref reader);
            else if (name.SequenceEqual("scope"u8)) entity.Scopes = ReadStrings(ref reader);
            else if (name.SequenceEqual("x"u8)) entity.ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64());
            else if (name.SequenceEqual("c"u8)) entity.CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64());
            else if (name.SequenceEqual("m"u8)) entity.ModifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64());
            else if (name.SequenceEqual("a"u8))
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var attribute = reader.GetString()!;
                    reader.Read();
                    var instances = new List<NgsiAttribute>(1);
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject) instances.Add(ReadAttribute(ref reader));
                    entity.Attributes[attribute] = instances;
                }
            }
            else reader.Skip();
        }
        entity.Id = id ?? throw new JsonException("A stored entity has no id.");
        return entity;
    }

    private static List<string> ReadStrings(ref Utf8JsonReader reader)
    {
        var values = new List<string>(1);
        while (reader.Read() && reader.TokenType == JsonTokenType.String) values.Add(reader.GetString()!);
        return values;
    }

    private static NgsiAttribute ReadAttribute(ref Utf8JsonReader reader)
    {
        var attribute = new NgsiAttribute();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("k"u8)) attribute.Kind = (AttributeKind)reader.GetInt32();
            else if (name.SequenceEqual("v"u8)) attribute.Value = ReadValue(ref reader);
            else if (name.SequenceEqual("ot"u8)) attribute.ObjectType = ReadValue(ref reader);
            else if (name.SequenceEqual("o"u8)) attribute.ObservedAt = reader.GetDateTimeOffset();
            else if (name.SequenceEqual("of"u8)) attribute.ObservedAtFraction = reader.GetBoolean();
            else if (name.SequenceEqual("u"u8)) attribute.UnitCode = reader.GetString();
            else if (name.SequenceEqual("d"u8)) attribute.DatasetId = reader.GetString();
            else if (name.SequenceEqual("x"u8)) attribute.ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64());
            else if (name.SequenceEqual("c"u8)) attribute.CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64());
            else if (name.SequenceEqual("m"u8)) attribute.ModifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64());
            else if (name.SequenceEqual("s"u8))
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var sub = reader.GetString()!;
                    reader.Read();
                    attribute.SubAttributes[sub] = ReadAttribute(ref reader);
                }
            }
            else reader.Skip();
        }
        return attribute;
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => JsonValue.Create(reader.GetString()),
        JsonTokenType.Number => Number(ref reader),
        JsonTokenType.True => JsonValue.Create(true),
        JsonTokenType.False => JsonValue.Create(false),
        JsonTokenType.Null => null,
        _ => JsonNode.Parse(ref reader),
    };

    // Doubles keep every integer up to 2^53 exact and read back as double for q and the indexes;
    // larger integers keep their exact value as long.
    private static JsonValue Number(ref Utf8JsonReader reader) =>
        reader.TryGetInt64(out var integer) && Math.Abs(integer) > (1L << 53) ? JsonValue.Create(integer) : JsonValue.Create(reader.GetDouble());
}
