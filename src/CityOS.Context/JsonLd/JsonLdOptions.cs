namespace CityOS.Context.JsonLd;

public sealed class JsonLdOptions
{
    /// <summary>Configuration section of the fetch limits and quotas (the data directory and base URL come from "CityOS").</summary>
    public const string Section = "CityOS:JsonLd";

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

    /// <summary>
    /// Most remote @context documents one request (every entity of a batch together) may make the broker fetch (those already kept cost nothing):
    /// a client cannot turn one request into hundreds of outbound requests.
    /// </summary>
    public int MaxFetchesPerRequest { get; set; } = 10;

    /// <summary>How long a @context URL that could not be retrieved is answered as unavailable without fetching it again.</summary>
    public TimeSpan FailureCacheDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most implicitly created and cached @contexts one tenant keeps (hosted ones are not counted).</summary>
    public int MaxContextsPerTenant { get; set; } = 1000;
}
