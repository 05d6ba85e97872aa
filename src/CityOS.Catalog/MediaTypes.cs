namespace CityOS.Catalog;

/// <summary>The media types of the formats open data is published in, guessed from a resource's format or file name as CKAN does.</summary>
public static class MediaTypes
{
    private static readonly Dictionary<string, string> ByFormat = new(StringComparer.OrdinalIgnoreCase)
    {
        ["csv"] = "text/csv",
        ["json"] = "application/json",
        ["geojson"] = "application/geo+json",
        ["jsonld"] = "application/ld+json",
        ["xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ["xls"] = "application/vnd.ms-excel",
        ["pdf"] = "application/pdf",
        ["zip"] = "application/zip",
        ["xml"] = "application/xml",
        ["ttl"] = "text/turtle",
        ["txt"] = "text/plain",
    };

    /// <summary>The media type of the format (CSV, GeoJSON...), else of the URL's file extension; null when neither is known.</summary>
    public static string? Guess(string? format, string? url)
    {
        if (!string.IsNullOrEmpty(format) && ByFormat.TryGetValue(format, out var type)) return type;
        var extension = Path.GetExtension(url?.Split('?', '#')[0] ?? "").TrimStart('.');
        return extension.Length > 0 && ByFormat.TryGetValue(extension, out type) ? type : null;
    }
}
