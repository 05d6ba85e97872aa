using System.Security.Cryptography;

namespace CityOS.Catalog.Tests;

/// <summary>A read-only stream of <paramref name="length"/> pseudo-random bytes made as they are read (never held in memory), hashed on the way.</summary>
public sealed class GeneratedStream(long length, ulong seed = 0x9E3779B97F4A7C15) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private ulong _state = seed;
    private long _position;

    /// <summary>The SHA-256 (hex) of the bytes read, once all were read.</summary>
    /// <remarks>Taken when the last byte is read: the content that sends the stream disposes it (and its hash) once sent.</remarks>
    public string Sha256 => _sha256 ?? throw new InvalidOperationException("Not read to the end.");

    private string? _sha256;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < n; i++)
        {
            if ((i & 7) == 0)
            {
                _state ^= _state << 13;
                _state ^= _state >> 7;
                _state ^= _state << 17;
            }
            buffer[i] = (byte)(_state >> ((i & 7) * 8));
        }
        _hash.AppendData(buffer[..n]);
        _position += n;
        if (_position == length) _sha256 ??= Convert.ToHexStringLower(_hash.GetCurrentHash());
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// The test classes that measure memory with <see cref="MemorySampler"/>: the heap and working set are the whole process's,
/// so they run alone, after the other classes, which would otherwise count in their growth.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuredCollection
{
    public const string Name = "memory measured";
}

/// <summary>Samples the process's managed heap and working set while a transfer runs, to show memory stays flat.</summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private bool _disposed;

    public MemorySampler()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        BaselineHeap = GC.GetTotalMemory(true);
        BaselineWorkingSet = process.WorkingSet64;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try { await Task.Delay(50, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public long BaselineHeap { get; }
    public long BaselineWorkingSet { get; }
    public long PeakHeap { get; private set; }
    public long PeakWorkingSet { get; private set; }

    public long HeapGrowth => PeakHeap - BaselineHeap;
    public long WorkingSetGrowth => PeakWorkingSet - BaselineWorkingSet;

    private void Sample()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        PeakHeap = Math.Max(PeakHeap, GC.GetTotalMemory(false));
        PeakWorkingSet = Math.Max(PeakWorkingSet, process.WorkingSet64);
    }

    /// <summary>Stops sampling (taking a last sample); a second call does nothing, so a test may stop it before its <c>await using</c> ends.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        Sample();
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
