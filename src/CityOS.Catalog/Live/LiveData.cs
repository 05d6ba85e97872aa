using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Catalog.Ckan;
using CityOS.Core;
using CityOS.Core.Context;
using CityOS.Core.Security;
using CsvHelper;

namespace CityOS.Catalog.Live;

/// <summary>
/// Live distributions: a resource with <c>url_type</c> "live" names an NGSI-LD entity type of the tenant (<c>ngsi_type</c>), with
/// an optional query (<c>ngsi_q</c>), geo-query (<c>ngsi_georel</c>, <c>ngsi_geometry</c>, <c>ngsi_coordinates</c>), attribute
/// list (<c>ngsi_attrs</c>, comma-separated) and @context (<c>ngsi_context</c>). Its download reads the broker at that moment,
/// through <see cref="IContextReader"/> page by page, and streams the entities out as CSV, GeoJSON or JSON.
/// </summary>
public static class LiveData
{
    public static readonly string[] Fields = ["ngsi_type", "ngsi_q", "ngsi_attrs", "ngsi_georel", "ngsi_geometry", "ngsi_coordinates", "ngsi_context"];

    private static readonly string[] GeoFields = ["ngsi_georel", "ngsi_geometry", "ngsi_coordinates"];

    /// <summary>The formats of a live download: its extension and media type.</summary>
    public static readonly IReadOnlyDictionary<string, (string Extension, string MediaType)> Formats = new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase)
    {
        ["CSV"] = ("csv", "text/csv"),
        ["GEOJSON"] = ("geojson", "application/geo+json"),
        ["JSON"] = ("json", "application/json"),
    };

    /// <summary>Validates and sets the live fields of a resource (CKAN's Validation Error with the field names otherwise); the url is its file name.</summary>
    public static void Apply(JsonObject resource, JsonObject input)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var field in Fields)
        {
            var node = input[field];
            if (node is not null and not JsonValue) errors[field] = ["Must be a string"];
            resource[field] = node is JsonValue value && value.ToString() is { Length: > 0 } text ? text : null;
        }
        if (resource["ngsi_type"] is null) errors.TryAdd("ngsi_type", ["Missing value"]);
        var geo = GeoFields.Count(f => resource[f] is not null);
        if (geo is not (0 or 3)) errors["ngsi_georel"] = ["ngsi_georel, ngsi_geometry and ngsi_coordinates go together"];
        var format = resource["format"]?.ToString() is { Length: > 0 } given ? given.ToUpperInvariant() : "CSV";
        if (!Formats.TryGetValue(format, out var kind)) errors["format"] = ["Live data is downloaded as CSV, GeoJSON or JSON"];
        if (errors.Count > 0) throw CkanException.Invalid(errors);
        var type = resource["ngsi_type"]!.GetValue<string>();
        var name = type.Split('/', '#', ':').Last(s => s.Length > 0);
        resource["format"] = format;
        resource["url"] = (name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? name : "live") + "." + kind.Extension;
        resource["mimetype"] = kind.MediaType;
        resource["size"] = null;
        resource["hash"] = "";
    }

    /// <summary>The query of a live resource, pages of <paramref name="pageSize"/>.</summary>
    public static ContextQuery Query(JsonObject resource, int pageSize) => new()
    {
        Type = resource["ngsi_type"]!.GetValue<string>(),
        Q = resource["ngsi_q"]?.ToString(),
        Attrs = resource["ngsi_attrs"]?.ToString() is { } attrs ? attrs.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : null,
        Geo = resource["ngsi_georel"]?.ToString() is { } georel
            ? new ContextGeoQuery(georel, resource["ngsi_geometry"]!.ToString(), resource["ngsi_coordinates"]!.ToString())
            : null,
        Limit = pageSize,
    };

    public static ContextCall Call(CallerIdentity caller, string? tenant, JsonObject resource) =>
        new(caller, tenant, resource["ngsi_context"]?.ToString() is { } context ? [context] : null);

    /// <summary>
    /// The first page, read before the answer starts so that a bad query is a 4xx; a tenant without entities has none.
    /// </summary>
    public static async Task<ContextPage> FirstPageAsync(IContextReader reader, ContextCall call, ContextQuery query, CancellationToken ct)
    {
        try
        {
            return await reader.QueryAsync(call, query, ct);
        }
        catch (ContextException error) when (error.Kind == ContextErrorKind.TenantNotFound)
        {
            return new ContextPage([], 0);
        }
        catch (ContextException error)
        {
            throw error.Kind switch
            {
                ContextErrorKind.Unauthorized => new NgsiLdException(NgsiLdErrorType.Unauthorized, error.Detail),
                ContextErrorKind.Forbidden => new NgsiLdException(NgsiLdErrorType.Forbidden, error.Detail),
                _ => NgsiLdException.BadRequest("The live data's query was refused by the broker: " + error.Detail),
            };
        }
    }

    /// <summary>The pages from the first on, each after the previous one's cursor (so a page costs only its rows), until the broker gives none.</summary>
    public static async IAsyncEnumerable<IReadOnlyList<JsonObject>> PagesAsync(IContextReader reader, ContextCall call, ContextQuery query, ContextPage first,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var page = first;
        while (true)
        {
            yield return page.Entities;
            if (page.Next is null) yield break;
            page = await reader.QueryAsync(call, query with { After = page.Next }, ct);
        }
    }

    /// <summary>Writes the entities as CSV: id, type, then the attributes (ngsi_attrs, else those of the first page, in order).</summary>
    public static async Task WriteCsvAsync(Stream body, IReadOnlyList<string>? attrs, IAsyncEnumerable<IReadOnlyList<JsonObject>> pages, CancellationToken ct)
    {
        // CsvHelper buffers the fields and writes UTF-8 to the body only in EndRecordAsync (when its buffer is mostly full) and FlushAsync.
        await using var csv = CsvWriter.Create(body, CsvWriterOptions.Default, true);
        string[]? columns = null;
        await foreach (var page in pages.WithCancellation(ct))
        {
            if (columns is null)
            {
                columns = [.. attrs ?? page.SelectMany(e => e.Select(p => p.Key)).Where(k => k is not ("id" or "type" or "@context")).Distinct(StringComparer.Ordinal)];
                csv.WriteField("id");
                csv.WriteField("type");
                foreach (var column in columns) csv.WriteField(column);
                await csv.EndRecordAsync(ct);
            }
            foreach (var entity in page)
            {
                csv.WriteField(entity["id"]?.ToString());
                csv.WriteField(entity["type"]?.ToString());
                foreach (var column in columns) csv.WriteField(Cell(Value(entity[column])));
                await csv.EndRecordAsync(ct);
            }
            await csv.FlushAsync(ct);
        }
    }

    /// <summary>Writes the entities as a GeoJSON FeatureCollection: the geometry of <c>location</c> (else the first GeoProperty), the other attributes' values as properties.</summary>
    public static async Task WriteGeoJsonAsync(Stream body, IAsyncEnumerable<IReadOnlyList<JsonObject>> pages, CancellationToken ct)
    {
        await using var json = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("type", "FeatureCollection");
        json.WriteStartArray("features");
        await foreach (var page in pages.WithCancellation(ct))
        {
            foreach (var entity in page)
            {
                var geometryName = entity["location"] is JsonObject { } location && location["type"]?.ToString() == "GeoProperty" ? "location"
                    : entity.FirstOrDefault(p => p.Value is JsonObject a && a["type"]?.ToString() == "GeoProperty").Key;
                json.WriteStartObject();
                json.WriteString("type", "Feature");
                json.WriteString("id", entity["id"]?.ToString());
                json.WritePropertyName("geometry");
                if (geometryName is not null && Value(entity[geometryName]) is { } geometry) geometry.WriteTo(json);
                else json.WriteNullValue();
                json.WriteStartObject("properties");
                json.WriteString("type", entity["type"]?.ToString());
                foreach (var (name, attribute) in entity)
                {
                    if (name is "id" or "type" or "@context" || name == geometryName) continue;
                    json.WritePropertyName(name);
                    if (Value(attribute) is { } value) value.WriteTo(json);
                    else json.WriteNullValue();
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            await json.FlushAsync(ct);
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(ct);
    }

    /// <summary>Writes the entities as a JSON array, normalized as the broker gives them.</summary>
    public static async Task WriteJsonAsync(Stream body, IAsyncEnumerable<IReadOnlyList<JsonObject>> pages, CancellationToken ct)
    {
        await using var json = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartArray();
        await foreach (var page in pages.WithCancellation(ct))
        {
            foreach (var entity in page) entity.WriteTo(json);
            await json.FlushAsync(ct);
        }
        json.WriteEndArray();
        await json.FlushAsync(ct);
    }

    /// <summary>The value of an attribute, whatever its kind (the first instance of a multi-attribute).</summary>
    private static JsonNode? Value(JsonNode? attribute) => attribute switch
    {
        JsonArray instances => Value(instances.FirstOrDefault()),
        JsonObject a => a["type"]?.ToString() switch
        {
            "Relationship" => a["object"],
            "LanguageProperty" => a["languageMap"],
            "VocabProperty" => a["vocab"],
            "ListProperty" => a["valueList"],
            "ListRelationship" => a["objectList"],
            _ => a["value"],
        },
        _ => attribute,
    };

    /// <summary>A CSV cell: a string as it is, any other value as JSON.</summary>
    private static string? Cell(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(),
    };
}
