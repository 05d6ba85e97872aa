using System.Buffers;
using System.Security.Cryptography;
using CityOS.Core.Hosting;

namespace CityOS.Catalog.Files;

/// <summary>
/// The uploaded files of resources, one file per resource under catalog/files/&lt;tenant&gt;/ in the data directory. A body is
/// streamed to a staging file of the tenant (hashed and counted on the way, never held in memory), then committed under the
/// resource's id by a rename, so a download never sees half a file.
/// </summary>
public sealed class ResourceFiles(DataDirectory data)
{
    private const int BufferSize = 128 * 1024;

    /// <summary>Streams <paramref name="body"/> to a staging file; throws <see cref="FileTooLargeException"/> past <paramref name="maxBytes"/> (nothing is kept then).</summary>
    public async Task<StagedFile> StageAsync(string? tenant, Stream body, long maxBytes, string? fileName, string? contentType, CancellationToken ct)
    {
        var folder = Folder(tenant);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, ".upload-" + Guid.NewGuid().ToString("N"));
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), ct)) > 0)
                {
                    size += read;
                    if (size > maxBytes) throw new FileTooLargeException(maxBytes);
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            return new StagedFile(path, size, Convert.ToHexStringLower(hash.GetHashAndReset())) { FileName = fileName, ContentType = contentType };
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Makes the staged file the file of the resource (replacing the one it had).</summary>
    public void Commit(string? tenant, string resourceId, StagedFile staged)
    {
        File.Move(staged.Path, PathOf(tenant, resourceId), overwrite: true);
        staged.Committed = true;
    }

    /// <summary>The path of the resource's file (which may not exist).</summary>
    public string PathOf(string? tenant, string resourceId)
    {
        if (!Guid.TryParse(resourceId, out var id)) throw new ArgumentException("A resource id is a UUID.", nameof(resourceId));
        return Path.Combine(Folder(tenant), id.ToString("D"));
    }

    public void Delete(string? tenant, string resourceId) => File.Delete(PathOf(tenant, resourceId));

    /// <summary>The bytes the tenant's files take.</summary>
    public long UsedBytes(string? tenant)
    {
        var folder = new DirectoryInfo(Folder(tenant));
        return folder.Exists ? folder.EnumerateFiles().Sum(f => f.Length) : 0;
    }

    private string Folder(string? tenant) => data.Combine("catalog", "files", tenant ?? "default");
}

/// <summary>A body received into a staging file: its size and SHA-256 (hex). Disposing it deletes the file unless it was committed.</summary>
public sealed class StagedFile(string path, long size, string sha256) : IDisposable
{
    public string Path { get; } = path;

    public long Size { get; } = size;

    public string Sha256 { get; } = sha256;

    /// <summary>The name and media type the client gave the file, if any.</summary>
    public string? FileName { get; init; }

    public string? ContentType { get; init; }

    internal bool Committed { get; set; }

    public void Dispose()
    {
        if (!Committed) File.Delete(Path);
    }
}

/// <summary>A body longer than the upload limit or the tenant's remaining quota.</summary>
public sealed class FileTooLargeException(long maxBytes) : Exception($"The file is larger than the {maxBytes} bytes allowed.")
{
    public long MaxBytes { get; } = maxBytes;
}
