namespace CityOS.Context.JsonLd;

public sealed class JsonLdOptions
{
    /// <summary>Directory of the context store (jsonld-contexts.db). Created when missing.</summary>
    public string DataDirectory { get; set; } = "cityos-data";

    /// <summary>How long fetching one remote @context may take.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest remote @context document accepted, in bytes.</summary>
    public long MaxContextBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>
    /// Absolute base URL of this broker as clients reach it (e.g. "https://broker.city.example"), used in the
    /// URLs of hosted contexts. Without it those URLs are root-relative paths.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Bound on distinct processed contexts kept in memory.</summary>
    public int MaxCachedContexts { get; set; } = 10_000;
}
