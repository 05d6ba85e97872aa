using CityOS.Core;

namespace CityOS.Devices.Import;

/// <summary>Which reader a file needs: the format named, else its media type, else its name's extension, else CSV.</summary>
public static class ImportSources
{
    public static ImportFormat Format(string? format, string? mediaType, string? fileName)
    {
        if (!string.IsNullOrEmpty(format))
        {
            return format.ToLowerInvariant() switch
            {
                "csv" => ImportFormat.Csv,
                "json" or "ndjson" or "jsonl" => ImportFormat.Json,
                "geojson" => ImportFormat.GeoJson,
                _ => throw NgsiLdException.BadRequest($"Unknown format '{format}': csv, json, ndjson or geojson."),
            };
        }
        var media = mediaType?.Split(';')[0].Trim().ToLowerInvariant();
        switch (media)
        {
            case "text/csv":
                return ImportFormat.Csv;
            case "application/geo+json":
                return ImportFormat.GeoJson;
            case "application/json" or "application/x-ndjson" or "application/ndjson" or "application/jsonl" or "application/ld+json":
                return ImportFormat.Json;
        }
        return Path.GetExtension(fileName ?? "").ToLowerInvariant() switch
        {
            ".json" or ".ndjson" or ".jsonl" => ImportFormat.Json,
            ".geojson" => ImportFormat.GeoJson,
            _ => ImportFormat.Csv,
        };
    }

    /// <summary>The records of a stream in that format, read as they are needed.</summary>
    public static IAsyncEnumerable<ImportRecord> Records(Stream stream, ImportFormat format, ImportMapping mapping, CancellationToken ct) => format switch
    {
        ImportFormat.Csv => CsvRecordReader.ReadAsync(stream, mapping.Delimiter?[0] ?? ',', ct),
        _ => JsonRecordReader.ReadAsync(stream, ct),
    };
}
