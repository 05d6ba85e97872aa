namespace CityOS.Devices.Import;

/// <summary>Settings of file imports and external systems (<c>CityOS:Devices:Import:*</c>).</summary>
public sealed class ImportOptions
{
    public const string Section = "CityOS:Devices:Import";

    /// <summary>The largest file an import takes (it is streamed, so this bounds time, not memory). Default 8 GiB.</summary>
    public long MaxFileBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>The shortest polling interval an external system may have.</summary>
    public int MinIntervalSeconds { get; set; } = 10;

    /// <summary>How long one poll of an external system may take before it counts as failed.</summary>
    public int PollTimeoutSeconds { get; set; } = 300;

    /// <summary>The largest answer of an external system read in one poll.</summary>
    public long MaxPollBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>How many polls run at the same time.</summary>
    public int MaxConcurrentPolls { get; set; } = 2;

    /// <summary>Runs kept per external system in its history.</summary>
    public int RunsKept { get; set; } = 100;

    /// <summary>Whether file:// URLs may be registered (off by default: anyone who registers one reads the server's files).</summary>
    public bool AllowFileUrls { get; set; }
}
