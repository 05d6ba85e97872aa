using System.Text.Json.Nodes;
using System.Threading.Channels;
using CityOS.Core.Context;

namespace CityOS.Devices.Import;

/// <summary>A record that did not become an entity: its line in the file, its entity id when it had one, and why.</summary>
public sealed record RejectedRow(long Line, string? Id, string Reason);

/// <summary>
/// What an import did (or, in a dry run, would do), counted as it goes so that a running import shows its progress:
/// records read, entities created and updated, records rejected (the first <see cref="MaxListedRejections"/> listed with
/// their lines), and why it stopped early when it did.
/// </summary>
public sealed class ImportProgress
{
    public const int MaxListedRejections = 1000;
    private readonly List<RejectedRow> _rejections = [];
    private long _read;
    private long _created;
    private long _updated;
    private long _rejected;

    public bool DryRun { get; init; }
    public long RowsRead => Interlocked.Read(ref _read);
    public long Created => Interlocked.Read(ref _created);
    public long Updated => Interlocked.Read(ref _updated);
    public long Rejected => Interlocked.Read(ref _rejected);
    public string? Failure { get; set; }

    /// <summary>When the broker refused the whole import (no grant in the tenant), why.</summary>
    public ContextErrorKind? FailureKind { get; set; }

    /// <summary>In a dry run, the first entities as they would be written.</summary>
    public List<JsonObject> Sample { get; } = [];

    public IReadOnlyList<RejectedRow> Rejections
    {
        get
        {
            lock (_rejections) return [.. _rejections];
        }
    }

    internal void Read() => Interlocked.Increment(ref _read);

    internal void Wrote(long created, long updated)
    {
        Interlocked.Add(ref _created, created);
        Interlocked.Add(ref _updated, updated);
    }

    internal void Reject(RejectedRow row)
    {
        Interlocked.Increment(ref _rejected);
        lock (_rejections)
        {
            if (_rejections.Count < MaxListedRejections) _rejections.Add(row);
        }
    }

    public JsonObject ToJson()
    {
        var report = new JsonObject
        {
            ["dryRun"] = DryRun,
            ["rowsRead"] = RowsRead,
            ["created"] = Created,
            ["updated"] = Updated,
            ["rejected"] = Rejected,
            ["rejectedRows"] = new JsonArray([.. Rejections.Select(r => (JsonNode)new JsonObject { ["line"] = r.Line, ["id"] = r.Id, ["reason"] = r.Reason })]),
        };
        if (DryRun) report["sample"] = new JsonArray([.. Sample.Select(e => e.DeepClone())]);
        if (Failure is not null) report["failure"] = Failure;
        return report;
    }
}

/// <summary>
/// Writes mapped records into the broker through <see cref="IContextWriter"/> in chunks (one batch upsert each, so memory
/// stays that of a few chunks whatever the size of the file); a dry run asks <see cref="IContextReader"/> which ids exist
/// instead and writes nothing. Reading and mapping the next chunk goes on while the broker writes the last one.
/// </summary>
public sealed class EntityImporter(IContextWriter writer, IContextReader reader)
{
    /// <summary>The records of one broker write: what the broker spends per write (access, @context, commit) is shared by as many.</summary>
    public const int ChunkSize = 2000;

    private const int SampleSize = 5;

    public async Task ImportAsync(ContextCall call, IAsyncEnumerable<ImportRecord> records, ImportMapping mapping, ImportProgress progress, CancellationToken ct)
    {
        // One chunk waits while one is written and the next is read: at most three in memory.
        var chunks = Channel.CreateBounded<List<MappedRecord>>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writing = Task.Run(() => WriteAllAsync(call, chunks.Reader, mapping, progress, stop, ct), CancellationToken.None);
        try
        {
            await ReadAllAsync(records, new RecordMapper(mapping), chunks.Writer, progress, stop.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The writer stopped (the broker refused the import): its error is the import's, below.
        }
        finally
        {
            chunks.Writer.TryComplete();
        }
        await writing;
    }

    private static async Task ReadAllAsync(IAsyncEnumerable<ImportRecord> records, RecordMapper mapper, ChannelWriter<List<MappedRecord>> chunks,
        ImportProgress progress, CancellationToken ct)
    {
        var chunk = new List<MappedRecord>(ChunkSize);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var record in records.WithCancellation(ct))
            {
                progress.Read();
                var mapped = mapper.Map(record);
                if (mapped.Entity is null)
                {
                    progress.Reject(new RejectedRow(mapped.Line, null, mapped.Error!));
                    continue;
                }
                // Two records of one id in a batch would be one write: the later one goes in the next batch, after the earlier.
                if (chunk.Count == ChunkSize || !ids.Add(mapped.Id))
                {
                    await chunks.WriteAsync(chunk, ct);
                    chunk = new List<MappedRecord>(ChunkSize);
                    ids.Clear();
                    ids.Add(mapped.Id);
                }
                chunk.Add(mapped);
            }
        }
        catch (ImportFileException error)
        {
            progress.Failure = error.Message;
        }
        if (chunk.Count > 0) await chunks.WriteAsync(chunk, ct);
    }

    private async Task WriteAllAsync(ContextCall call, ChannelReader<List<MappedRecord>> chunks, ImportMapping mapping, ImportProgress progress,
        CancellationTokenSource stop, CancellationToken ct)
    {
        try
        {
            await foreach (var chunk in chunks.ReadAllAsync(ct)) await FlushAsync(call, chunk, mapping, progress, ct);
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    private async Task FlushAsync(ContextCall call, List<MappedRecord> chunk, ImportMapping mapping, ImportProgress progress, CancellationToken ct)
    {
        if (progress.DryRun)
        {
            var existing = await ExistingAsync(call, chunk, mapping, ct);
            var updated = chunk.Count(r => existing.Contains(r.Id));
            progress.Wrote(chunk.Count - updated, updated);
            foreach (var record in chunk.Take(SampleSize - progress.Sample.Count)) progress.Sample.Add(record.Entity!);
        }
        else
        {
            var result = await writer.UpsertBatchAsync(call, [.. chunk.Select(r => r.Entity!)], update: !mapping.Replace, ct);
            progress.Wrote(result.Created.Count, result.Succeeded.Count - result.Created.Count);
            if (result.Errors.Count > 0)
            {
                var lines = chunk.ToDictionary(r => r.Id, r => r.Line, StringComparer.Ordinal);
                foreach (var error in result.Errors)
                {
                    progress.Reject(new RejectedRow(lines.GetValueOrDefault(error.EntityId), error.EntityId, "the broker refused the entity: " + error.Error.Detail));
                }
            }
        }
    }

    private async Task<HashSet<string>> ExistingAsync(ContextCall call, List<MappedRecord> chunk, ImportMapping mapping, CancellationToken ct)
    {
        try
        {
            var page = await reader.QueryAsync(call, new ContextQuery { Type = mapping.Type, Ids = [.. chunk.Select(r => r.Id)], Attrs = null, Limit = chunk.Count }, ct);
            return page.Entities.Select(e => (string)e["id"]!).ToHashSet(StringComparer.Ordinal);
        }
        catch (ContextException error) when (error.Kind == ContextErrorKind.TenantNotFound)
        {
            return [];
        }
    }
}
