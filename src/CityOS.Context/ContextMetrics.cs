using System.Diagnostics.Metrics;

namespace CityOS.Context;

/// <summary>
/// The broker's meter, <c>CityOS.Context</c> (System.Diagnostics.Metrics; the host exports it at /metrics): store
/// commits and their group-commit sizes and durations, notifications sent and failed.
/// </summary>
public static class ContextMetrics
{
    public const string MeterName = "CityOS.Context";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Commits = Meter.CreateCounter<long>("cityos.store.commits", "{commit}", "Transactions the entity stores' writers committed (outcome: committed or failed).");

    private static readonly Histogram<int> CommitWrites = Meter.CreateHistogram<int>("cityos.store.commit.writes", "{write}", "Acknowledged writes per group commit (one transaction, one fsync).",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2000] });

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("cityos.store.commit.duration", "s", "Time of one group commit, fsync included.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

    private static readonly Counter<long> Notifications = Meter.CreateCounter<long>("cityos.notifications", "{notification}", "Notification attempts to receivers (outcome: sent or failed).");

    /// <summary>A writer's transaction of <paramref name="writes"/> requests ended (committed, or failed and reported as failed).</summary>
    public static void Committed(int writes, TimeSpan took, bool committed)
    {
        Commits.Add(1, new KeyValuePair<string, object?>("outcome", committed ? "committed" : "failed"));
        if (!committed) return;
        CommitWrites.Record(writes);
        CommitDuration.Record(took.TotalSeconds);
    }

    /// <summary>One attempt to deliver a notification ended.</summary>
    public static void Notified(bool sent) => Notifications.Add(1, new KeyValuePair<string, object?>("outcome", sent ? "sent" : "failed"));
}
