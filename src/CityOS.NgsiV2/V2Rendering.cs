using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CityOS.NgsiV2;

/// <summary>
/// How entities leave: normalized, keyValues or values, with the attrs selection in its order. The v2 JSON is written
/// straight from the NGSI-LD form (<see cref="V2Mapping.TypeAndValue"/>, <see cref="V2Mapping.Metadata"/>) without
/// building a v2 tree: a query's page is written as it is mapped (bench/README.md, "NGSI-v2 beside NGSI-LD").
/// </summary>
public sealed record V2Rendering(bool KeyValues, bool Values, bool Unique, IReadOnlyList<string>? Attrs)
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public static V2Rendering Of(HashSet<string> options, IReadOnlyList<string>? attrs) => new(
        options.Contains("keyValues"), options.Contains("values") || options.Contains("unique"), options.Contains("unique"),
        attrs is null || attrs.Contains("*") ? null : attrs);

    /// <summary>One entity (NGSI-LD form) as v2 JSON.</summary>
    public JsonNode Entity(JsonObject ld, bool withIdAndType = true) => JsonNode.Parse(Bytes(ld, withIdAndType))!;

    /// <summary>The answer of one entity (NGSI-LD form), written as v2 JSON.</summary>
    public IResult EntityResult(JsonObject ld, bool withIdAndType = true) => new Written(w => Write(w, ld, withIdAndType));

    /// <summary>The answer of a page of entities (NGSI-LD form): a v2 JSON array (without repeated values with <see cref="Unique"/>).</summary>
    public IResult EntitiesResult(IReadOnlyList<JsonObject> ld) => new Written(w =>
    {
        w.WriteStartArray();
        if (Unique)
        {
            foreach (var entity in ld.Select(e => Bytes(e, true)).DistinctBy(Convert.ToBase64String)) w.WriteRawValue(entity, skipInputValidation: true);
        }
        else
        {
            foreach (var entity in ld) Write(w, entity, true);
        }
        w.WriteEndArray();
    });

    private byte[] Bytes(JsonObject ld, bool withIdAndType)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) Write(writer, ld, withIdAndType);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes one entity (NGSI-LD form) as v2 JSON.</summary>
    public void Write(Utf8JsonWriter writer, JsonObject ld, bool withIdAndType = true)
    {
        if (Values)
        {
            writer.WriteStartArray();
            foreach (var (_, attr) in Selected(ld)) WriteNode(writer, V2Mapping.TypeAndValue(attr).Value);
            writer.WriteEndArray();
            return;
        }
        writer.WriteStartObject();
        if (withIdAndType)
        {
            writer.WriteString("id", V2Mapping.FromLdId(ld["id"]!.GetValue<string>()));
            writer.WriteString("type", V2Mapping.EntityType(ld));
        }
        foreach (var (name, attr) in Selected(ld))
        {
            writer.WritePropertyName(name);
            var (type, value) = V2Mapping.TypeAndValue(attr);
            if (KeyValues)
            {
                WriteNode(writer, value);
                continue;
            }
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("value");
            WriteNode(writer, value);
            writer.WriteStartObject("metadata");
            foreach (var (mdName, mdType, mdValue) in V2Mapping.Metadata(attr))
            {
                writer.WriteStartObject(mdName);
                writer.WriteString("type", mdType);
                writer.WritePropertyName("value");
                WriteNode(writer, mdValue);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    /// <summary>The attributes to render, in the entity's order or in the order of the attrs selection.</summary>
    private IEnumerable<(string Name, JsonObject Attr)> Selected(JsonObject ld)
    {
        if (Attrs is null)
        {
            foreach (var (name, node) in ld)
            {
                if (node is JsonObject attr && name is not ("id" or "type" or "@context")) yield return (name, attr);
            }
            yield break;
        }
        foreach (var name in Attrs.Distinct(StringComparer.Ordinal))
        {
            if (name is not ("id" or "type" or "@context") && ld[name] is JsonObject attr) yield return (name, attr);
        }
    }

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null) writer.WriteNullValue();
        else node.WriteTo(writer);
    }

    /// <summary>A 200 application/json answer (<see cref="V2Results.JsonType"/>) written by a function.</summary>
    private sealed class Written(Action<Utf8JsonWriter> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = V2Results.JsonType;
            await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter, WriterOptions);
            write(writer);
            await writer.FlushAsync(httpContext.RequestAborted);
        }
    }
}
