using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CityOS.Core;
using CityOS.Devices.Import;

namespace CityOS.Devices.Polling;

/// <summary>
/// An external system CityOS polls (AM-2): an HTTP(S) JSON API or a CSV/JSON/GeoJSON file at a URL, fetched every
/// <see cref="IntervalSeconds"/>, its records mapped to entities of the tenant as a file import maps them.
/// </summary>
public sealed record ExternalSource
{
    public required string Id { get; init; }
    public string? Tenant { get; init; }
    public required string Name { get; init; }
    public required string Url { get; init; }

    /// <summary>csv, json, ndjson or geojson; null: from the answer's media type, then the URL's extension.</summary>
    public string? Format { get; init; }

    /// <summary>For a JSON answer that wraps its records (<c>{"data": {"items": [...]}}</c>): the dotted path of the array.</summary>
    public string? RecordsPath { get; init; }

    /// <summary>Request headers (an API key, Accept); their values are never shown back.</summary>
    public Dictionary<string, string> Headers { get; init; } = [];

    public required int IntervalSeconds { get; init; }
    public bool Enabled { get; init; } = true;
    public required ImportMappingDocument Mapping { get; init; }
    public DateTimeOffset Created { get; init; }

    public JsonObject ToJson(DateTimeOffset? nextRun, SourceRun? lastRun) => new()
    {
        ["id"] = Id,
        ["name"] = Name,
        ["url"] = Url,
        ["format"] = Format,
        ["recordsPath"] = RecordsPath,
        ["headers"] = new JsonObject([.. Headers.Keys.Select(k => KeyValuePair.Create(k, (JsonNode?)"***"))]),
        ["intervalSeconds"] = IntervalSeconds,
        ["enabled"] = Enabled,
        ["mapping"] = JsonSerializer.SerializeToNode(Mapping, PollingJson.Default.ImportMappingDocument),
        ["created"] = Created.ToString("O"),
        ["nextRun"] = Enabled ? nextRun?.ToString("O") : null,
        ["lastRun"] = lastRun?.ToJson(),
    };
}

/// <summary>One poll of an external system: when, what the answer was, and what the import made of it.</summary>
public sealed record SourceRun
{
    public const int ListedRejections = 20;

    public required string SourceId { get; init; }
    public required DateTimeOffset Started { get; init; }
    public required DateTimeOffset Finished { get; init; }

    /// <summary>completed, or failed (the answer could not be fetched or read; what came before the failure is written).</summary>
    public required string Status { get; init; }

    public int? HttpStatus { get; init; }
    public long BytesRead { get; init; }
    public long RowsRead { get; init; }
    public long Created { get; init; }
    public long Updated { get; init; }
    public long Rejected { get; init; }
    public string? Failure { get; init; }
    public List<RejectedRowDocument> RejectedRows { get; init; } = [];

    public JsonObject ToJson() => JsonSerializer.SerializeToNode(this, PollingJson.Default.SourceRun)!.AsObject();
}

public sealed record RejectedRowDocument(long Line, string? Id, string Reason);

/// <summary>The registration as a client sends it.</summary>
public sealed record ExternalSourceDocument
{
    public string? Name { get; init; }
    public string? Url { get; init; }
    public string? Format { get; init; }
    public string? RecordsPath { get; init; }
    public Dictionary<string, string>? Headers { get; init; }
    public int? IntervalSeconds { get; init; }
    public bool? Enabled { get; init; }
    public ImportMappingDocument? Mapping { get; init; }
}

/// <summary>What a registration must hold; every refusal names the member.</summary>
public static class ExternalSourceRules
{
    public const int MaxIntervalSeconds = 7 * 24 * 3600;
    public const int MaxHeaders = 20;

    private static readonly string[] Formats = ["csv", "json", "ndjson", "geojson"];

    public static ExternalSource Read(JsonNode json, string? tenant, ImportOptions options, DateTimeOffset now)
    {
        ExternalSourceDocument document;
        try
        {
            document = json.Deserialize(PollingJson.Default.ExternalSourceDocument) ?? throw NgsiLdException.BadRequest("The registration is null.");
        }
        catch (JsonException error)
        {
            throw NgsiLdException.BadRequest($"The registration does not have the members of an external system: {error.Message}");
        }
        var name = document.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200) throw NgsiLdException.BadRequest("name: give the external system a name (at most 200 characters).");
        if (!Uri.TryCreate(document.Url, UriKind.Absolute, out var url)
            || !(url.Scheme is "http" or "https" || (url.IsFile && options.AllowFileUrls)))
        {
            throw NgsiLdException.BadRequest(options.AllowFileUrls
                ? "url: an absolute http, https or file URL."
                : "url: an absolute http or https URL (file URLs are off: CityOS:Devices:Import:AllowFileUrls).");
        }
        if (url.IsFile && !File.Exists(url.LocalPath)) throw NgsiLdException.BadRequest($"url: there is no file {url.LocalPath}.");
        if (!string.IsNullOrEmpty(url.UserInfo)) throw NgsiLdException.BadRequest("url: no user name or password in the URL; send them as a header.");
        var format = document.Format?.ToLowerInvariant();
        if (format is not null && !Formats.Contains(format)) throw NgsiLdException.BadRequest($"format: one of {string.Join(", ", Formats)}.");
        if (document.RecordsPath is { } path && (format is "csv" or "geojson" || path.Split('.').Any(p => p.Length == 0)))
        {
            throw NgsiLdException.BadRequest("recordsPath: a dotted path of names (data.items), for a JSON answer.");
        }
        var interval = document.IntervalSeconds ?? throw NgsiLdException.BadRequest("intervalSeconds: how often to poll, in seconds.");
        if (interval < options.MinIntervalSeconds || interval > MaxIntervalSeconds)
        {
            throw NgsiLdException.BadRequest($"intervalSeconds: between {options.MinIntervalSeconds} and {MaxIntervalSeconds}.");
        }
        var headers = document.Headers ?? [];
        if (headers.Count > MaxHeaders) throw NgsiLdException.BadRequest($"headers: at most {MaxHeaders}.");
        foreach (var (header, value) in headers)
        {
            if (header.Length == 0 || header.Any(c => c <= ' ' || c >= 127 || c == ':') || value.Any(c => c is '\r' or '\n'))
                throw NgsiLdException.BadRequest($"headers: '{header}' is not a header name with a one-line value.");
            if (header.Equals("Host", StringComparison.OrdinalIgnoreCase) || header.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                throw NgsiLdException.BadRequest($"headers: '{header}' is set by CityOS.");
        }
        var mapping = document.Mapping ?? throw NgsiLdException.BadRequest("mapping: how the records become entities ({\"type\": ..., \"id\": ...}).");
        mapping.ToMapping().Validated();
        return new ExternalSource
        {
            Id = Guid.NewGuid().ToString("N"),
            Tenant = tenant,
            Name = name,
            Url = url.AbsoluteUri,
            Format = format,
            RecordsPath = document.RecordsPath,
            Headers = headers,
            IntervalSeconds = interval,
            Enabled = document.Enabled ?? true,
            Mapping = mapping,
            Created = now,
        };
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ExternalSource))]
[JsonSerializable(typeof(ExternalSourceDocument))]
[JsonSerializable(typeof(SourceRun))]
[JsonSerializable(typeof(ImportMappingDocument))]
internal sealed partial class PollingJson : JsonSerializerContext;
