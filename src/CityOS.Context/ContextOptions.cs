namespace CityOS.Context;

/// <summary>Settings of the context broker block (configuration section "CityOS").</summary>
public sealed class ContextOptions
{
    public const string Section = "CityOS";

    /// <summary>Largest accepted body for one entity or attribute operation (bytes).</summary>
    public long MaxEntityBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest accepted body for a batch operation or a POST query (bytes).</summary>
    public long MaxBatchBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Default page size of queries (limit), and the most a client may ask for (6.3.10).</summary>
    public int DefaultLimit { get; set; } = 20;

    public int MaxLimit { get; set; } = 1000;

    /// <summary>The limits every request body and entity is held to (section "CityOS:Limits").</summary>
    public CityOS.Core.Http.InputLimits Limits { get; set; } = new();
}
