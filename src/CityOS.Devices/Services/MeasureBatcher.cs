using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using CityOS.Core.Context;

namespace CityOS.Devices.Services;

/// <summary>
/// Group commit of measures: measures of one tenant that arrive while a write of that tenant is in flight are written
/// together in the next <see cref="IContextWriter.UpsertBatchAsync"/> (one commit, each entity on its own), so many devices
/// sending at once cost one broker write, not one each. A measure waits for no timer: when nothing is in flight it is
/// written at once. Each caller's task completes only after the commit that holds its measure, with that entity's error
/// (or null); a batch that fails as a whole fails every measure in it. One batch holds an entity at most once (a second
/// measure of the same device waits for the next batch), so measures of one device are committed in the order they came.
/// The meter "CityOS" shows the batches (<see cref="BatchSizeInstrument"/>) and the time the broker takes for each
/// (<see cref="WriteTimeInstrument"/>).
/// </summary>
public sealed class MeasureBatcher
{
    /// <summary>The most measures one broker write takes.</summary>
    public const int MaxBatch = 500;

    public const string MeterName = "CityOS";
    public const string BatchSizeInstrument = "cityos.devices.measure_batch.size";
    public const string WriteTimeInstrument = "cityos.devices.measure_batch.duration";

    private readonly IContextWriter _writer;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _writeTime;
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    public MeasureBatcher(IContextWriter writer, IMeterFactory meters)
    {
        _writer = writer;
        var meter = meters.Create(MeterName);
        _batchSize = meter.CreateHistogram<int>(BatchSizeInstrument, "{measure}", "Measures committed together in one broker write");
        _writeTime = meter.CreateHistogram<double>(WriteTimeInstrument, "s", "How long the broker took for one write of measures");
    }

    /// <summary>Writes the device entity fragment (an update-or-create) and returns the broker's error for it, or null once it is committed.</summary>
    public Task<ContextError?> WriteAsync(string? tenant, JsonObject entity, CancellationToken ct)
    {
        var lane = _lanes.GetOrAdd(tenant ?? "", _ => new Lane(tenant));
        var pending = new Pending((string)entity["id"]!, entity);
        bool lead;
        lock (lane.Gate)
        {
            lane.Waiting.Add(pending);
            lead = !lane.Writing;
            lane.Writing = true;
        }
        if (lead) _ = Task.Run(() => DrainAsync(lane), CancellationToken.None);
        return pending.Done.Task.WaitAsync(ct);
    }

    private async Task DrainAsync(Lane lane)
    {
        while (true)
        {
            var batch = new List<Pending>();
            lock (lane.Gate)
            {
                if (lane.Waiting.Count == 0)
                {
                    lane.Writing = false;
                    return;
                }
                var ids = new HashSet<string>(StringComparer.Ordinal);
                lane.Waiting.RemoveAll(p => batch.Count < MaxBatch && ids.Add(p.EntityId) && Add(batch, p));
            }
            try
            {
                await WriteAsync(lane.Tenant, batch);
            }
            catch (ContextException error) when (error.Kind is ContextErrorKind.BadRequest or ContextErrorKind.TooLarge && batch.Count > 1)
            {
                // The batch as a whole was refused (one measure too large for it, say): each measure on its own, so one
                // bad measure fails only itself.
                foreach (var pending in batch) await WriteOneAsync(lane.Tenant, pending);
            }
            catch (Exception error)
            {
                foreach (var pending in batch) pending.Done.TrySetException(error);
            }
        }
    }

    private async Task WriteAsync(string? tenant, List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await _writer.UpsertBatchAsync(MeasureIngest.AgentCall(tenant), batch.ConvertAll(p => p.Entity), update: true, CancellationToken.None);
        _writeTime.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        _batchSize.Record(batch.Count);
        var errors = result.Errors.Count == 0 ? null : result.Errors.ToDictionary(e => e.EntityId, e => e.Error, StringComparer.Ordinal);
        foreach (var pending in batch)
        {
            pending.Done.TrySetResult(errors is null ? null
                : errors.TryGetValue(pending.EntityId, out var error) ? error
                : batch.Count == 1 ? errors.Values.First()
                : result.Succeeded.Contains(pending.EntityId, StringComparer.Ordinal) ? null
                : new ContextError(ContextErrorKind.Internal, "The broker reported no outcome for this measure's entity."));
        }
    }

    private async Task WriteOneAsync(string? tenant, Pending pending)
    {
        try
        {
            await WriteAsync(tenant, [pending]);
        }
        catch (Exception error)
        {
            pending.Done.TrySetException(error);
        }
    }

    private static bool Add(List<Pending> batch, Pending pending)
    {
        batch.Add(pending);
        return true;
    }

    private sealed class Lane(string? tenant)
    {
        public readonly object Gate = new();
        public readonly List<Pending> Waiting = [];
        public readonly string? Tenant = tenant;
        public bool Writing;
    }

    private sealed record Pending(string EntityId, JsonObject Entity)
    {
        public TaskCompletionSource<ContextError?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
