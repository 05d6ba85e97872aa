using System.Text.Json.Nodes;

namespace CityOS.Devices.Import;

/// <summary>
/// One record of a file or an external system, at the line it starts on: its fields (strings when the source is text, as
/// CSV is; JSON values otherwise), a GeoJSON geometry, or why it could not be read.
/// </summary>
public sealed record ImportRecord(long Line, IReadOnlyDictionary<string, JsonNode?>? Fields, bool Textual = false, JsonNode? Geometry = null, string? Error = null)
{
    public static ImportRecord Rejected(long line, string error) => new(line, null, Error: error);

    /// <summary>A JSON record: an object's members are its fields; a GeoJSON Feature's properties are, and its geometry is its location.</summary>
    public static ImportRecord FromJson(long line, JsonNode? node, string where)
    {
        if (node is not JsonObject record) return Rejected(line, $"{where} is not an object");
        if (record["type"] is JsonValue type && type.TryGetValue(out string? kind) && kind == "Feature")
        {
            var fields = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            if (record["properties"] is JsonObject properties)
            {
                foreach (var (name, value) in properties) fields[name] = value;
            }
            else if (record["properties"] is not null)
            {
                return Rejected(line, "the feature's properties are not an object");
            }
            if (record["id"] is { } id && !fields.ContainsKey("id")) fields["id"] = id;
            return new ImportRecord(line, fields, Geometry: record["geometry"]);
        }
        return new ImportRecord(line, record.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }
}

/// <summary>A file that cannot be read on from some line on (a broken header, JSON that is not JSON); the rows before it were imported.</summary>
public sealed class ImportFileException(long line, string message) : Exception($"line {line}: {message}")
{
    public long Line { get; } = line;
}
