using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Context;
using CityOS.Core.Outbound;
using CityOS.Devices.Import;
using CityOS.Devices.Services;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Devices.Polling;

/// <summary>
/// Polls every registered external system when it is due (at most <see cref="ImportOptions.MaxConcurrentPolls"/> at once),
/// fetches its answer through the outbound policy (no redirects, no proxy, no cloud-metadata addresses), imports the records
/// as a file import does, and records the run in the source's history.
/// </summary>
public sealed partial class SourcePoller : BackgroundService
{
    /// <summary>The largest JSON answer read whole to find its records under a records path.</summary>
    public const long MaxWrappedJsonBytes = 256L * 1024 * 1024;

    private const string PollerSubject = "cityos-import-poller";
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly ISourceStore _store;
    private readonly FileImports _imports;
    private readonly ImportJobs _jobs;
    private readonly ImportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SourcePoller> _logger;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Task<SourceRun>> _running = new(StringComparer.Ordinal);
    private readonly IHostApplicationLifetime _lifetime;

    public SourcePoller(ISourceStore store, FileImports imports, ImportJobs jobs, IOptions<ImportOptions> options, OutboundPolicy outbound, TimeProvider time,
        IHostApplicationLifetime lifetime, ILogger<SourcePoller> logger)
    {
        _lifetime = lifetime;
        _store = store;
        _imports = imports;
        _jobs = jobs;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _http = new HttpClient(outbound.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("CityOS", "1.0"));
        _slots = new SemaphoreSlim(_options.MaxConcurrentPolls);
    }

    /// <summary>Polls the source now (or joins the poll already running) and returns the run.</summary>
    public Task<SourceRun> RunNowAsync(ExternalSource source, CancellationToken ct) =>
        _running.GetOrAdd(source.Id, _ => RunAndForgetAsync(source)).WaitAsync(ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    foreach (var source in await _store.DueAsync(_time.GetUtcNow(), stoppingToken))
                    {
                        if (_running.ContainsKey(source.Id)) continue;
                        await _store.SetNextRunAsync(source.Id, _time.GetUtcNow().AddSeconds(source.IntervalSeconds), stoppingToken);
                        _ = _running.GetOrAdd(source.Id, _ => RunAndForgetAsync(source));
                    }
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    LogSchedulingFailed(_logger, error);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<SourceRun> RunAndForgetAsync(ExternalSource source)
    {
        await Task.Yield();
        try
        {
            await _slots.WaitAsync();
            try
            {
                return await RunAsync(source);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            _running.TryRemove(source.Id, out _);
        }
    }

    private async Task<SourceRun> RunAsync(ExternalSource source)
    {
        var started = _time.GetUtcNow();
        var mapping = source.Mapping.ToMapping();
        var job = _jobs.Start(source.Tenant, mapping.Type, dryRun: false, totalBytes: null);
        int? status = null;
        string? failure = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.PollTimeoutSeconds), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, StoppingToken);
        var ct = linked.Token;
        try
        {
            var url = new Uri(source.Url);
            if (url.IsFile)
            {
                await using var file = new FileStream(url.LocalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await ImportAsync(job, source, mapping, file, null, url, ct);
            }
            else
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                foreach (var (name, value) in source.Headers) request.Headers.TryAddWithoutValidation(name, value);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                status = (int)response.StatusCode;
                if (!response.IsSuccessStatusCode)
                {
                    failure = $"the system answered {status} {response.ReasonPhrase}";
                }
                else
                {
                    await using var body = await response.Content.ReadAsStreamAsync(ct);
                    await ImportAsync(job, source, mapping, body, response.Content.Headers.ContentType?.MediaType, url, ct);
                }
            }
            failure ??= job.Progress.Failure;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            failure = $"the poll took longer than {_options.PollTimeoutSeconds} s";
        }
        catch (OperationCanceledException) when (StoppingToken.IsCancellationRequested)
        {
            failure = "CityOS stopped during the poll";
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // A system that answers garbage (or a store that fails) makes a failed run, never a stopped poller.
            failure = error is NgsiLdException ngsi ? ngsi.Detail : error.Message;
            if (error is not (HttpRequestException or IOException or JsonException or NgsiLdException or UnauthorizedAccessException)) LogPollError(_logger, error, source.Id);
        }
        finally
        {
            _jobs.Finish(job);
        }
        var progress = job.Progress;
        var run = new SourceRun
        {
            SourceId = source.Id,
            Started = started,
            Finished = _time.GetUtcNow(),
            Status = failure is null ? "completed" : "failed",
            HttpStatus = status,
            BytesRead = job.BytesRead,
            RowsRead = progress.RowsRead,
            Created = progress.Created,
            Updated = progress.Updated,
            Rejected = progress.Rejected,
            Failure = failure,
            RejectedRows = [.. progress.Rejections.Take(SourceRun.ListedRejections).Select(r => new RejectedRowDocument(r.Line, r.Id, r.Reason))],
        };
        try
        {
            await _store.AddRunAsync(run, _options.RunsKept, CancellationToken.None);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogRunNotRecorded(_logger, error, source.Id);
        }
        if (failure is null) LogPolled(_logger, source.Id, source.Name, run.RowsRead, run.Created, run.Updated, run.Rejected);
        else LogPollFailed(_logger, source.Id, source.Name, failure);
        return run;
    }

    /// <summary>Ends polls, scheduled or asked for, when CityOS stops (as file imports in the background end).</summary>
    private CancellationToken StoppingToken => _lifetime.ApplicationStopping;

    private async Task ImportAsync(ImportJob job, ExternalSource source, ImportMapping mapping, Stream body, string? mediaType, Uri url, CancellationToken ct)
    {
        long total = 0;
        var limit = source.RecordsPath is null ? _options.MaxPollBytes : Math.Min(_options.MaxPollBytes, MaxWrappedJsonBytes);
        var bounded = new CountingStream(body, read =>
        {
            total += read;
            if (total > limit) throw new IOException($"the answer is larger than {limit} bytes");
        });
        var format = ImportSources.Format(source.Format, mediaType, url.AbsolutePath);
        // Polls write as the platform's own agent in the source's tenant, as the IoT agent does for devices.
        var call = MeasureIngest.AgentCall(source.Tenant, PollerSubject);
        if (source.RecordsPath is null)
        {
            await _imports.RunAsync(job, call, bounded, format, mapping, ct);
            return;
        }
        var document = await JsonNode.ParseAsync(bounded, cancellationToken: ct);
        var records = source.RecordsPath.Split('.').Aggregate(document, (node, name) => node is JsonObject o ? o[name] : null) as JsonArray
            ?? throw new JsonException($"the answer has no array at '{source.RecordsPath}'");
        job.AddBytes((int)total);
        await _imports.RunAsync(job, call, Elements(records), mapping, ct);
    }

    /// <summary>The wrapped array's elements as records; each is on line 1, as when the array was written out and read again, and its reason names the element.</summary>
    private static async IAsyncEnumerable<ImportRecord> Elements(JsonArray records)
    {
        await Task.CompletedTask;
        for (var i = 0; i < records.Count; i++) yield return ImportRecord.FromJson(1, records[i], $"element {i + 1}");
    }

    public override void Dispose()
    {
        _http.Dispose();
        _slots.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Polled external system {Source} ({Name}): {Rows} records, {Created} created, {Updated} updated, {Rejected} rejected")]
    private static partial void LogPolled(ILogger logger, string source, string name, long rows, long created, long updated, long rejected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll of external system {Source} ({Name}) failed: {Failure}")]
    private static partial void LogPollFailed(ILogger logger, string source, string name, string failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "Poll of external system {Source} failed unexpectedly")]
    private static partial void LogPollError(ILogger logger, Exception error, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "The run of external system {Source} could not be recorded")]
    private static partial void LogRunNotRecorded(ILogger logger, Exception error, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduling external-system polls failed; trying again in a second")]
    private static partial void LogSchedulingFailed(ILogger logger, Exception error);
}
