using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace CityOS.Server.Operations;

/// <summary>One file of a backup: its path below the data directory ('/'-separated), size, SHA-256 and kind.</summary>
public sealed record BackupFile(string Path, long Bytes, string Sha256, string Kind);

/// <summary>manifest.json, the first entry of every backup archive.</summary>
public sealed record BackupManifest(string Format, int FormatVersion, string CityOsVersion, DateTimeOffset CreatedAt, IReadOnlyList<BackupFile> Files)
{
    public const string FileName = "manifest.json";
    public const string FormatName = "cityos-backup";
}

/// <summary>Why an archive cannot be verified or restored (a damaged or foreign file, a file missing or changed).</summary>
public sealed class BackupException(string message) : Exception(message);

/// <summary>
/// A backup of a data directory as one .tar.gz: manifest.json (every file with its size and SHA-256), then the files.
/// Every SQLite database (any file with the SQLite header: each block's and each tenant's) is copied with SQLite's
/// online backup API, so a running server may go on writing: each copy is the database as one transaction left it.
/// The other files (cached @contexts, the catalog's file store) are copied as they are. The WAL and shared-memory
/// files are left out: the online copy already holds what they held.
/// </summary>
public static class BackupArchive
{
    public const string SqliteKind = "sqlite";
    public const string FileKind = "file";

    private static readonly JsonSerializerOptions ManifestJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static readonly string[] SqliteSideFiles = ["-wal", "-shm", "-journal"];

    /// <summary>Writes the backup of <paramref name="dataDirectory"/> to <paramref name="archive"/> (replaced only once complete).</summary>
    public static async Task<BackupManifest> CreateAsync(string dataDirectory, string archive, CancellationToken ct)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        archive = Path.GetFullPath(archive);
        if (!Directory.Exists(dataDirectory)) throw new BackupException($"the data directory {dataDirectory} does not exist.");
        var staging = archive + ".staging-" + Guid.NewGuid().ToString("N")[..8];
        var partial = archive + ".partial";
        try
        {
            Directory.CreateDirectory(staging);
            var files = new List<BackupFile>();
            // The entity databases (which hold the change journal and its consumers' acknowledged positions) are copied before
            // what the consumers write (subscriptions.db with its outbox, temporal/): a restore may then redo a little of
            // the consumers' work, but never skips a notification or a history entry.
            var sources = Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories)
                .Select(path => (Path: path, Relative: Path.GetRelativePath(dataDirectory, path).Replace(Path.DirectorySeparatorChar, '/')))
                .OrderBy(f => f.Relative == "default.db" || f.Relative.StartsWith("tenants/", StringComparison.Ordinal) ? 0 : 1)
                .ThenBy(f => f.Relative, StringComparer.Ordinal);
            foreach (var (source, relative) in sources)
            {
                ct.ThrowIfCancellationRequested();
                if (IsOwnFile(source, archive) || SqliteSideFiles.Any(s => relative.EndsWith(s, StringComparison.Ordinal) && File.Exists(source[..^s.Length])))
                {
                    continue;
                }
                var copy = Path.Combine(staging, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                string kind;
                try
                {
                    kind = IsSqlite(source) ? SqliteKind : FileKind;
                    if (kind == SqliteKind) CopyDatabase(source, copy);
                    else File.Copy(source, copy);
                }
                catch (FileNotFoundException)
                {
                    continue; // removed while the backup ran (a temporary file): not part of any state
                }
                files.Add(new BackupFile(relative, new FileInfo(copy).Length, await HashAsync(copy, ct), kind));
            }
            var manifest = new BackupManifest(BackupManifest.FormatName, 1, CityOsHost.Version, DateTimeOffset.UtcNow, files);
            await using (var output = File.Create(partial))
            await using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: false))
            {
                var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJson);
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, BackupManifest.FileName) { DataStream = new MemoryStream(manifestBytes) }, ct);
                foreach (var file in files)
                {
                    await tar.WriteEntryAsync(Path.Combine(staging, file.Path), "data/" + file.Path, ct);
                }
            }
            File.Move(partial, archive, overwrite: true);
            return manifest;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            File.Delete(partial);
        }
    }

    /// <summary>Reads the whole archive and checks every file against the manifest; throws <see cref="BackupException"/> saying what is wrong.</summary>
    public static Task<BackupManifest> VerifyAsync(string archive, CancellationToken ct) => ReadAsync(archive, null, ct);

    /// <summary>Verifies the archive, then writes its files into <paramref name="dataDirectory"/>, which must be empty or absent.</summary>
    public static async Task<BackupManifest> RestoreAsync(string archive, string dataDirectory, CancellationToken ct)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        if (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new BackupException($"{dataDirectory} is not empty; restore only into an empty or new directory (nothing was changed).");
        }
        if (File.Exists(dataDirectory)) throw new BackupException($"{dataDirectory} is a file, not a directory.");
        await VerifyAsync(archive, ct);
        var created = !Directory.Exists(dataDirectory);
        try
        {
            Directory.CreateDirectory(dataDirectory);
            return await ReadAsync(archive, dataDirectory, ct);
        }
        catch
        {
            if (created) Directory.Delete(dataDirectory, recursive: true);
            else foreach (var entry in Directory.EnumerateFileSystemEntries(dataDirectory)) Delete(entry);
            throw;
        }
    }

    /// <summary>Reads the archive, checking each file (and writing it below <paramref name="extractTo"/> when given).</summary>
    private static async Task<BackupManifest> ReadAsync(string archive, string? extractTo, CancellationToken ct)
    {
        if (!File.Exists(archive)) throw new BackupException($"{archive} does not exist.");
        try
        {
            await using var input = File.OpenRead(archive);
            await using var gzip = new GZipStream(input, CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            var first = await tar.GetNextEntryAsync(copyData: false, ct);
            if (first is not { Name: BackupManifest.FileName, DataStream: not null }) throw new BackupException("it has no manifest.json first: not a cityos backup.");
            var manifest = await JsonSerializer.DeserializeAsync<BackupManifest>(first.DataStream, ManifestJson, ct)
                ?? throw new BackupException("its manifest.json is empty.");
            if (manifest.Format != BackupManifest.FormatName || manifest.Files is null) throw new BackupException("its manifest.json is not one of a cityos backup.");
            var expected = manifest.Files.ToDictionary(f => "data/" + f.Path, StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.EntryType is TarEntryType.Directory) continue;
                if (!expected.TryGetValue(entry.Name, out var file) || !seen.Add(entry.Name)) throw new BackupException($"it holds {entry.Name}, which its manifest does not list.");
                await CheckAsync(entry, file, extractTo, ct);
            }
            if (expected.Keys.FirstOrDefault(name => !seen.Contains(name)) is { } missing) throw new BackupException($"{missing} of its manifest is missing from it.");
            return manifest;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or JsonException)
        {
            throw new BackupException($"it is damaged or not a cityos backup ({e.Message}).");
        }
    }

    private static async Task CheckAsync(TarEntry entry, BackupFile file, string? extractTo, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        FileStream? output = null;
        if (extractTo is not null)
        {
            var target = Path.GetFullPath(Path.Combine(extractTo, file.Path));
            if (!target.StartsWith(extractTo + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new BackupException($"{file.Path} would be written outside the data directory.");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            output = File.Create(target);
        }
        await using (output)
        {
            var buffer = new byte[81920];
            long length = 0;
            if (entry.DataStream is { } data)
            {
                int read;
                while ((read = await data.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    length += read;
                    if (output is not null) await output.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (length != file.Bytes || sha256 != file.Sha256)
            {
                throw new BackupException($"{file.Path} is damaged: {length} bytes with SHA-256 {sha256}, the manifest says {file.Bytes} bytes with {file.Sha256}.");
            }
        }
    }

    /// <summary>SQLite's online backup of one database into a new file (a consistent copy while others write).</summary>
    private static void CopyDatabase(string source, string copy)
    {
        using var from = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = source, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        using var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString());
        from.Open();
        from.BackupDatabase(to);
    }

    private static bool IsSqlite(string path)
    {
        Span<byte> header = stackalloc byte[16];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(header, 16, throwOnEndOfStream: false) == 16 && header.SequenceEqual("SQLite format 3\0"u8);
    }

    private static bool IsOwnFile(string path, string archive) =>
        path == archive || path.StartsWith(archive + ".", StringComparison.Ordinal);

    private static async Task<string> HashAsync(string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
    }

    private static void Delete(string entry)
    {
        if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
        else File.Delete(entry);
    }
}
