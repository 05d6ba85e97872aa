using CityOS.Core.Context;
using CityOS.Core.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityOS.Devices.Import;

/// <summary>
/// Runs one-off imports as jobs: while the file arrives (the request body, read as it comes), or in the background from a
/// copy spooled to the data directory (for a client that does not wait for the answer).
/// </summary>
public sealed partial class FileImports(EntityImporter importer, ImportJobs jobs, DataDirectory data, IHostApplicationLifetime lifetime, ILogger<FileImports> logger)
{
    /// <summary>Imports the stream as it is read; returns the finished job.</summary>
    public async Task<ImportJob> RunAsync(ContextCall call, Stream file, ImportFormat format, ImportMapping mapping, bool dryRun, long? length, CancellationToken ct)
    {
        var job = jobs.Start(call.Tenant, mapping.Type, dryRun, length);
        try
        {
            await RunAsync(job, call, file, format, mapping, ct);
        }
        finally
        {
            jobs.Finish(job);
        }
        return job;
    }

    /// <summary>Copies the stream to the data directory and imports the copy in the background; returns the running job.</summary>
    public async Task<ImportJob> StartAsync(ContextCall call, Stream file, ImportFormat format, ImportMapping mapping, bool dryRun, long? length, CancellationToken ct)
    {
        var spool = Path.Combine(data.Path, "import-spool");
        Directory.CreateDirectory(spool);
        var path = Path.Combine(spool, Guid.NewGuid().ToString("N"));
        try
        {
            await using var copy = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await file.CopyToAsync(copy, ct);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        var job = jobs.Start(call.Tenant, mapping.Type, dryRun, new FileInfo(path).Length);
        _ = Task.Run(async () =>
        {
            try
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await RunAsync(job, call, stream, format, mapping, lifetime.ApplicationStopping);
            }
            catch (Exception error)
            {
                job.Progress.Failure ??= "the import stopped: " + error.Message;
                LogFailed(logger, error, job.Id);
            }
            finally
            {
                jobs.Finish(job);
                File.Delete(path);
            }
        }, CancellationToken.None);
        return job;
    }

    /// <summary>Imports the stream into a job started by the caller (an external system's poll); read failures other than the broker's reach the caller.</summary>
    internal Task RunAsync(ImportJob job, ContextCall call, Stream file, ImportFormat format, ImportMapping mapping, CancellationToken ct) =>
        RunAsync(job, call, ImportSources.Records(new CountingStream(file, job.AddBytes), format, mapping, ct), mapping, ct);

    /// <summary>Imports records already read (the array an external system's JSON answer wraps) into a job started by the caller.</summary>
    internal async Task RunAsync(ImportJob job, ContextCall call, IAsyncEnumerable<ImportRecord> records, ImportMapping mapping, CancellationToken ct)
    {
        try
        {
            await importer.ImportAsync(call, records, mapping, job.Progress, ct);
        }
        catch (ContextException error)
        {
            job.Progress.Failure = error.Detail;
            job.Progress.FailureKind = error.Kind;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            job.Progress.Failure = "the import was cancelled";
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Import job {Job} failed")]
    private static partial void LogFailed(ILogger logger, Exception error, string job);
}
