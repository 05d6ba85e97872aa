using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace CityOS.Context.JsonLd;

/// <summary>
/// The published NGSI-LD core @context documents, built in so that a core context URL is never fetched.
/// Versions whose document is not kept here (1.1, 1.2, 1.4) resolve to the closest earlier published one.
/// </summary>
public static class CoreContexts
{
    /// <summary>The core context this broker implements (GS CIM 009 v1.8.1).</summary>
    public const string CoreUrl = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";

    public const string UnversionedUrl = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld";

    private const string VersionedUrlPrefix = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.";

    private static readonly FrozenDictionary<string, string> ResourceByUrl = BuildResourceMap();

    private static readonly FrozenDictionary<string, string> TextByResource = ResourceByUrl.Values.Distinct()
        .ToFrozenDictionary(resource => resource, ReadResource, StringComparer.Ordinal);

    /// <summary>True for every URL under which ETSI publishes a core context (unversioned and v1.0 to v1.9).</summary>
    public static bool IsCoreUrl(string url) => ResourceByUrl.ContainsKey(url);

    /// <summary>True for the URLs whose document is exactly the core context of this broker.</summary>
    public static bool IsCurrentCoreUrl(string url) => url is CoreUrl or UnversionedUrl;

    public static IEnumerable<string> Urls => ResourceByUrl.Keys;

    /// <summary>A fresh parse of the built-in document for a core context URL, or null for other URLs.</summary>
    public static JsonNode? TryLoad(string url) =>
        ResourceByUrl.TryGetValue(url, out var resource) ? JsonNode.Parse(TextByResource[resource]) : null;

    public static string CurrentCoreText => TextByResource[ResourceByUrl[CoreUrl]];

    private static FrozenDictionary<string, string> BuildResourceMap()
    {
        var published = new Dictionary<int, string>
        {
            [0] = "v1.0", [3] = "v1.3", [5] = "v1.5", [6] = "v1.6", [7] = "v1.7", [8] = "v1.8", [9] = "v1.9",
        };
        var map = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [UnversionedUrl] = Resource("v1.8"),
        };
        for (var minor = 0; minor <= 9; minor++)
        {
            var closest = published.Keys.Where(k => k <= minor).Max();
            map[$"{VersionedUrlPrefix}{minor}.jsonld"] = Resource(published[closest]);
        }
        return map.ToFrozenDictionary(StringComparer.Ordinal);

        static string Resource(string version) => $"CityOS.Context.JsonLd.Contexts.ngsi-ld-core-context-{version}.jsonld";
    }

    private static string ReadResource(string name)
    {
        using var stream = typeof(CoreContexts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded core context {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
