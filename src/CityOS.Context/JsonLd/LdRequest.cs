using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace CityOS.Context.JsonLd;

/// <summary>Where the @context of a request comes from (GS CIM 009, 6.3.4 to 6.3.6).</summary>
public static class LdRequest
{
    public const string Json = "application/json";
    public const string JsonLd = "application/ld+json";
    public const string MergePatchJson = "application/merge-patch+json";

    /// <summary>
    /// The context of a request with a body. application/json and application/merge-patch+json take it from
    /// the Link header and may not carry @context in the body; application/ld+json carries it in the body and
    /// may not have a context Link header; any other media type is refused. For a JSON array body (batch
    /// operations) every element is checked and the first element's context is returned.
    /// </summary>
    public static async ValueTask<LdContext> ForBodyAsync(HttpRequest request, JsonNode? body, ILdContextResolver resolver, CancellationToken ct)
    {
        var contexts = await ForEachAsync(request, body, resolver, ct);
        return contexts.Count > 0 ? contexts[0] : resolver.Core;
    }

    /// <summary>
    /// Like <see cref="ForBodyAsync"/>, with one context per element of a JSON array body (batch operations,
    /// where each application/ld+json entity carries its own @context); one element for an object body.
    /// </summary>
    public static async ValueTask<IReadOnlyList<LdContext>> ForEachAsync(HttpRequest request, JsonNode? body, ILdContextResolver resolver, CancellationToken ct)
    {
        var items = body is JsonArray array ? array.ToList() : [body];
        switch (RequireBodyMediaType(request))
        {
            case Json or MergePatchJson:
                if (items.Any(i => i is JsonObject o && o.ContainsKey("@context")))
                {
                    throw NgsiLdException.BadRequest("A body with @context must be sent as application/ld+json; with application/json the @context goes in a Link header.");
                }
                var linked = await resolver.ResolveAsync(LinkedContext(request), Tenancy.FromRequest(request), FetchBudget(request), ct);
                return items.Select(_ => linked).ToList();
            default:
                if (LinkedContext(request) is not null)
                {
                    throw NgsiLdException.BadRequest("An application/ld+json request carries its @context in the body and cannot also have a JSON-LD context Link header.");
                }
                var contexts = new List<LdContext>(items.Count);
                foreach (var item in items)
                {
                    if (item is not JsonObject obj || !obj.TryGetPropertyValue("@context", out var context))
                    {
                        throw NgsiLdException.BadRequest("An application/ld+json body must contain @context.");
                    }
                    contexts.Add(await resolver.ResolveAsync(context, Tenancy.FromRequest(request), FetchBudget(request), ct));
                }
                return contexts;
        }
    }

    /// <summary>
    /// The media type of a request body: application/json, application/ld+json or application/merge-patch+json,
    /// anything else 415. Checked before the body is read, so that a body of another type is refused for its type
    /// rather than for not being JSON.
    /// </summary>
    public static string RequireBodyMediaType(HttpRequest request) => MediaTypeOf(request) switch
    {
        Json => Json,
        JsonLd => JsonLd,
        MergePatchJson => MergePatchJson,
        null => throw new NgsiLdException(NgsiLdErrorType.UnsupportedMediaType, "A request body needs a Content-Type: application/json or application/ld+json."),
        var other => throw new NgsiLdException(NgsiLdErrorType.UnsupportedMediaType, $"Content-Type {other} is not supported; use application/json or application/ld+json."),
    };

    /// <summary>The context of a request without a body: from the Link header, or the core context.</summary>
    public static ValueTask<LdContext> ForReadAsync(HttpRequest request, ILdContextResolver resolver, CancellationToken ct) =>
        resolver.ResolveAsync(LinkedContext(request), Tenancy.FromRequest(request), FetchBudget(request), ct);

    /// <summary>The request's one budget of remote @context fetches, however many contexts it carries (a batch: one per entity).</summary>
    private static ContextFetchBudget FetchBudget(HttpRequest request)
    {
        if (request.HttpContext.Features.Get<ContextFetchBudget>() is { } budget)
        {
            return budget;
        }
        budget = new ContextFetchBudget();
        request.HttpContext.Features.Set(budget);
        return budget;
    }

    /// <summary>The URL of the JSON-LD context Link header as a JSON string, or null when there is none.</summary>
    public static JsonNode? LinkedContext(HttpRequest request)
    {
        var headers = request.Headers.Link;
        if (headers.Count == 0)
        {
            return null;
        }
        string? found = null;
        foreach (var header in headers)
        {
            foreach (var link in SplitLinks(header ?? ""))
            {
                var (url, isContext) = ParseLink(link);
                if (!isContext)
                {
                    continue;
                }
                if (found is not null)
                {
                    throw NgsiLdException.BadRequest("More than one JSON-LD context Link header.");
                }
                found = url;
            }
        }
        if (found is not null && !(Uri.TryCreate(found, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            throw NgsiLdException.BadRequest($"The JSON-LD context Link header must hold an absolute http(s) URL, not '{found}'.");
        }
        return found is null ? null : JsonValue.Create(found);
    }

    private static string? MediaTypeOf(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) && parsed.MediaType.HasValue
            ? parsed.MediaType.Value!.ToLowerInvariant()
            : null;

    /// <summary>Splits a Link header value at the commas between links (RFC 8288), not at commas inside &lt;URL&gt; or quotes.</summary>
    private static IEnumerable<string> SplitLinks(string header)
    {
        var start = 0;
        var inUrl = false;
        var inQuotes = false;
        for (var i = 0; i < header.Length; i++)
        {
            switch (header[i])
            {
                case '<' when !inQuotes: inUrl = true; break;
                case '>' when !inQuotes: inUrl = false; break;
                case '"' when !inUrl: inQuotes = !inQuotes; break;
                case ',' when !inUrl && !inQuotes:
                    yield return header[start..i];
                    start = i + 1;
                    break;
            }
        }
        if (header[start..].Trim().Length > 0)
        {
            yield return header[start..];
        }
    }

    private static (string Url, bool IsContext) ParseLink(string link)
    {
        var text = link.Trim();
        var close = text.IndexOf('>');
        if (!text.StartsWith('<') || close < 0)
        {
            throw NgsiLdException.BadRequest($"Malformed Link header '{text}': expected <URL>; rel=\"...\".");
        }
        var url = text[1..close].Trim();
        var isContext = false;
        foreach (var parameter in text[(close + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = parameter.IndexOf('=');
            if (equals < 0 || !parameter[..equals].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var rel = parameter[(equals + 1)..].Trim().Trim('"');
            isContext |= rel.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(LdContext.ContextRel, StringComparer.Ordinal);
        }
        return (url, isContext);
    }
}
