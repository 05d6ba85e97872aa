using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Catalog.Ckan;

/// <summary>An action's result that writes itself as the <c>result</c> of CKAN's envelope, given the site's address for download URLs.</summary>
public interface ICkanResult
{
    void WriteTo(Utf8JsonWriter writer, string siteUrl);
}

/// <summary>One found dataset: its stored dictionary and the members package_show adds to it (JSON object members without braces).</summary>
public sealed record FoundPackage(PackageJson Package, byte[] ShownMembers);

/// <summary>
/// package_search's result as CKAN answers it (count, facets, results, sort, search_facets); the datasets' dictionaries
/// are written as they are stored.
/// </summary>
public sealed class PackageSearchResult(long count, JsonObject facets, IReadOnlyList<FoundPackage> results, string sort, JsonObject searchFacets) : ICkanResult
{
    public long Count => count;

    public void WriteTo(Utf8JsonWriter writer, string siteUrl)
    {
        writer.WriteStartObject();
        writer.WriteNumber("count", count);
        writer.WritePropertyName("facets");
        facets.WriteTo(writer);
        writer.WriteStartArray("results");
        foreach (var found in results) found.Package.WriteTo(writer, siteUrl, found.ShownMembers);
        writer.WriteEndArray();
        writer.WriteString("sort", sort);
        writer.WritePropertyName("search_facets");
        searchFacets.WriteTo(writer);
        writer.WriteEndObject();
    }

    /// <summary>The result as a JSON dictionary, served resources with their download URLs under <paramref name="siteUrl"/>.</summary>
    public JsonObject ToJson(string siteUrl)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, PackageJson.WriterOptions)) WriteTo(writer, siteUrl);
        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }
}
