using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
using CityOS.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace CityOS.Context.Broker.Http;

/// <summary>The media types a client may ask NGSI-LD responses in (6.3.4).</summary>
public enum ResponseMediaType
{
    Json,
    JsonLd,
    GeoJson,
}

/// <summary>
/// A JSON response with its JSON-LD context where the spec puts it: in the body for
/// application/ld+json and application/geo+json (the Feature or FeatureCollection carries "@context", as in Orion-LD),
/// in a Link header for application/json. A handler declared to return it
/// is described in the OpenAPI document as answering 200 with a JSON document.
/// </summary>
public sealed class NgsiLdResponse(JsonNode? body, LdContext context, ResponseMediaType mediaType, int status = StatusCodes.Status200OK)
    : IResult, IEndpointMetadataProvider
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    public List<string> Links { get; } = [];

    /// <summary>The media type of the body ("application/json", "application/ld+json" or "application/geo+json").</summary>
    public string ContentType => mediaType switch
    {
        ResponseMediaType.JsonLd => "application/ld+json",
        ResponseMediaType.GeoJson => "application/geo+json",
        _ => "application/json",
    };

    /// <summary>
    /// The path of a created resource with its id as the client sent it (as Orion-LD gives it): only what a URI path
    /// segment cannot hold is percent-encoded, so "urn:ngsi-ld:Building:1" stays readable and ':' is not escaped.
    /// </summary>
    public static string LocationOf(string collection, string id) => collection + "/" + PercentEncode(id, "-._~!$&'()*+,;=:@");

    /// <summary>Percent-encodes the UTF-8 bytes of <paramref name="text"/> except ASCII letters, digits and the <paramref name="kept"/> characters.</summary>
    public static string PercentEncode(string text, string kept)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (b < 0x80 && (char.IsAsciiLetterOrDigit(c) || kept.Contains(c))) builder.Append(c);
            else builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(JsonNode), ["application/json", "application/ld+json"]));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        foreach (var (name, value) in Headers) response.Headers[name] = value;
        var links = new List<string>(Links);
        // GeoJSON carries the @context in its body unless the client asks for "Prefer: body=json" (6.3.6, V1.9.1):
        // then the body has none and the Link header names it, as for application/json.
        var contextInBody = mediaType == ResponseMediaType.JsonLd
            || (mediaType == ResponseMediaType.GeoJson && !PrefersBodyJson(httpContext.Request));
        if (!contextInBody) links.Insert(0, context.LinkHeader);
        if (links.Count > 0) response.Headers.Link = string.Join(", ", links);
        if (body is null) return;
        response.ContentType = ContentType;
        await using var writer = new Utf8JsonWriter(response.BodyWriter, WriterOptions);
        if (contextInBody) WriteWithContext(writer, body, context.ResponseContext);
        else body.WriteTo(writer);
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Whether the request's Prefer header (RFC 7240) holds the preference body=json.</summary>
    internal static bool PrefersBodyJson(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            if (header is null) continue;
            foreach (var preference in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var token = preference.Split(';', 2)[0].Trim();
                var eq = token.IndexOf('=');
                if (eq > 0 && token[..eq].Trim().Equals("body", StringComparison.OrdinalIgnoreCase)
                    && token[(eq + 1)..].Trim().Trim('"').Equals("json", StringComparison.OrdinalIgnoreCase)) return true;
            }
        }
        return false;
    }

    private static void WriteWithContext(Utf8JsonWriter writer, JsonNode body, JsonNode ldContext)
    {
        switch (body)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                writer.WritePropertyName("@context");
                ldContext.WriteTo(writer);
                foreach (var (name, value) in obj)
                {
                    if (name == "@context") continue;
                    writer.WritePropertyName(name);
                    if (value is null) writer.WriteNullValue();
                    else value.WriteTo(writer);
                }
                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    if (item is null) writer.WriteNullValue();
                    else WriteWithContext(writer, item, ldContext);
                }
                writer.WriteEndArray();
                break;
            default:
                body.WriteTo(writer);
                break;
        }
    }

    /// <summary>The representations of 6.3.4 in the order of its list, which breaks ties between equal weights.</summary>
    private static readonly (string Name, ResponseMediaType Type)[] Representations =
    [
        ("application/json", ResponseMediaType.Json),
        ("application/ld+json", ResponseMediaType.JsonLd),
        ("application/geo+json", ResponseMediaType.GeoJson),
    ];

    /// <summary>
    /// Content negotiation of 6.3.4: JSON by default. Each representation takes the weight of the most specific range that
    /// matches it (RFC 9110 §12.5.1: "application/json;q=0, */*" refuses JSON); the heaviest wins, and between equal weights
    /// the first of the 6.3.4 list (json, ld+json, geo+json), whatever order the client wrote. Nothing acceptable: 406.
    /// </summary>
    public static ResponseMediaType Negotiate(HttpRequest request, bool geoJsonAllowed = true)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 0) return ResponseMediaType.Json;
        if (!MediaTypeHeaderValue.TryParseList(accept, out var ranges) || ranges.Count == 0) return ResponseMediaType.Json;
        ResponseMediaType? best = null;
        double bestQuality = 0;
        foreach (var (name, type) in Representations)
        {
            if (type == ResponseMediaType.GeoJson && !geoJsonAllowed) continue;
            var specificity = -1;
            double quality = 0;
            foreach (var range in ranges)
            {
                var rangeName = range.MediaType.Value?.ToLowerInvariant();
                var match = rangeName == name ? 2 : rangeName == "application/*" ? 1 : rangeName == "*/*" ? 0 : -1;
                if (match <= specificity) continue;
                specificity = match;
                quality = range.Quality ?? 1;
            }
            if (specificity >= 0 && quality > bestQuality)
            {
                best = type;
                bestQuality = quality;
            }
        }
        return best ?? throw new NgsiLdException(NgsiLdErrorType.NotAcceptable,
            $"None of the media types in Accept ({accept}) can be served: use application/json, application/ld+json" + (geoJsonAllowed ? " or application/geo+json." : "."));
    }
}
