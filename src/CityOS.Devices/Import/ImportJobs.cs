using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CityOS.Core;

namespace CityOS.Devices.Import;

/// <summary>One import, running or done: in its tenant, with its progress (bytes and rows so far) and, at the end, its report.</summary>
public sealed class ImportJob(string id, string? tenant, string type, ImportProgress progress, long? totalBytes, DateTimeOffset started)
{
    private long _bytesRead;

    public string Id { get; } = id;
    public string? Tenant { get; } = tenant;
    public string EntityType { get; } = type;
    public ImportProgress Progress { get; } = progress;
    public long? TotalBytes { get; } = totalBytes;
    public DateTimeOffset Started { get; } = started;
    public DateTimeOffset? Finished { get; private set; }
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public string State => Finished is null ? "running" : Progress.Failure is null ? "completed" : "failed";

    internal void AddBytes(int count) => Interlocked.Add(ref _bytesRead, count);

    public void Finish(DateTimeOffset at) => Finished = at;

    public JsonObject ToJson()
    {
        var job = new JsonObject
        {
            ["id"] = Id,
            ["entityType"] = EntityType,
            ["state"] = State,
            ["started"] = Started.ToString("O"),
            ["finished"] = Finished?.ToString("O"),
            ["bytesRead"] = BytesRead,
            ["totalBytes"] = TotalBytes,
        };
        foreach (var (name, value) in Progress.ToJson()) job[name] = value?.DeepClone();
        return job;
    }
}

/// <summary>The imports of this process (the running ones and the last <see cref="Kept"/> finished), found per tenant.</summary>
public sealed class ImportJobs(TimeProvider clock)
{
    public const int Kept = 200;
    private readonly ConcurrentDictionary<string, ImportJob> _jobs = new(StringComparer.Ordinal);

    public ImportJob Start(string? tenant, string type, bool dryRun, long? totalBytes)
    {
        var job = new ImportJob(Guid.NewGuid().ToString("N"), tenant, type, new ImportProgress { DryRun = dryRun }, totalBytes, clock.GetUtcNow());
        _jobs[job.Id] = job;
        foreach (var old in _jobs.Values.Where(j => j.Finished is not null).OrderByDescending(j => j.Finished).Skip(Kept)) _jobs.TryRemove(old.Id, out _);
        return job;
    }

    public void Finish(ImportJob job) => job.Finish(clock.GetUtcNow());

    /// <summary>The job of that id in the tenant; another tenant's job does not exist here.</summary>
    public ImportJob Find(string? tenant, string id) =>
        _jobs.TryGetValue(id, out var job) && job.Tenant == tenant ? job : throw NgsiLdException.NotFound($"There is no import job '{id}' in this tenant.");

    public IReadOnlyList<ImportJob> List(string? tenant) => [.. _jobs.Values.Where(j => j.Tenant == tenant).OrderByDescending(j => j.Started)];
}

/// <summary>A read-only stream that counts what is read of the one it wraps (an import's progress in bytes).</summary>
public sealed class CountingStream(Stream inner, Action<int> counted) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Counted(int read)
    {
        counted(read);
        return read;
    }
}
