using CityOS.Core.Hosting;
using Microsoft.Extensions.Options;

namespace CityOS.Server;

/// <summary>Settings of <see cref="IdleMemoryTrim"/> (section <c>CityOS:Memory</c>).</summary>
public sealed class MemoryTrimOptions
{
    public const string Section = "CityOS:Memory";

    /// <summary>Whether memory the garbage collector keeps after a burst is given back once the process is idle.</summary>
    public bool IdleTrim { get; set; } = true;

    /// <summary>How often the process is looked at.</summary>
    public TimeSpan IdleTrimInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The process counts as idle while it used less than this share of one core over the last interval.</summary>
    public double IdleCpuShare { get; set; } = 0.05;

    /// <summary>Only memory committed beyond the live heap by more than this is worth a full collection.</summary>
    public long MinSlackMegabytes { get; set; } = 48;
}

public sealed class MemoryTrimOptionsValidator : OptionsValidator<MemoryTrimOptions>
{
    protected override string Section => MemoryTrimOptions.Section;

    protected override void Check(MemoryTrimOptions options, OptionChecks checks)
    {
        checks.Positive(nameof(options.IdleTrimInterval), options.IdleTrimInterval);
        checks.AtLeast(nameof(options.MinSlackMegabytes), options.MinSlackMegabytes, 0);
        checks.Require(options.IdleCpuShare is > 0 and <= 1, $"{checks.Setting(nameof(options.IdleCpuShare))} is {options.IdleCpuShare}; it must be above 0 and at most 1.");
    }
}

/// <summary>
/// The decision of <see cref="IdleMemoryTrim"/>: trim when the process was idle over the last interval and the garbage
/// collector holds more than the configured slack beyond the live heap.
/// </summary>
public static class MemoryTrimPolicy
{
    public static bool ShouldTrim(TimeSpan cpuUsed, TimeSpan interval, long committedBytes, long heapBytes, MemoryTrimOptions options) =>
        interval > TimeSpan.Zero
        && cpuUsed.TotalMilliseconds < interval.TotalMilliseconds * options.IdleCpuShare
        && committedBytes - heapBytes > options.MinSlackMegabytes * 1024 * 1024;
}

/// <summary>
/// Gives back to the operating system the memory the garbage collector keeps committed after a burst of work (a bulk
/// load, a file import, a large query), once the process is idle. The collector returns free memory during full
/// collections, and a process that goes idle after a burst has none, so the burst's peak stayed resident for good (about
/// 110 MB after loading 100,000 entities; bench/README.md, "Resident memory"). Like the JVM's periodic collection of an
/// idle G1 heap: one aggressive full collection, only when the process is idle, so no request waits for it.
/// </summary>
public sealed class IdleMemoryTrim(IOptions<MemoryTrimOptions> options, ILogger<IdleMemoryTrim> log) : BackgroundService
{
    private readonly MemoryTrimOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.IdleTrim) return;
        using var timer = new PeriodicTimer(_options.IdleTrimInterval);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var cpuNow = Environment.CpuUsage.TotalTime;
                var memory = GC.GetGCMemoryInfo();
                if (MemoryTrimPolicy.ShouldTrim(cpuNow - cpuBefore, _options.IdleTrimInterval, memory.TotalCommittedBytes, memory.HeapSizeBytes, _options))
                {
                    var (before, after) = Trim();
                    log.LogInformation("Idle: gave back memory the garbage collector kept after a burst ({Before} MB committed before, {After} MB after).",
                        before / (1024 * 1024), after / (1024 * 1024));
                    cpuNow = Environment.CpuUsage.TotalTime;
                }
                cpuBefore = cpuNow;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One aggressive full collection (it compacts every generation, the large-object heap too, and decommits the free memory); the committed bytes before and after.</summary>
    public static (long Before, long After) Trim()
    {
        var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (before, GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes);
    }
}
