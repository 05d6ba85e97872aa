namespace CityOS.Server.Operations;

/// <summary>
/// <c>cityos backup</c>, <c>cityos restore</c> and <c>cityos verify</c>. Exit codes: 0 done, 1 it failed (the reason on
/// standard error), 2 a usage error.
/// </summary>
public static class BackupCommand
{
    public const string Help = """
        Backup and restore (of the data directory; the server may run during a backup):
          cityos backup [--data DIR] --to FILE     every database (online SQLite backup) and file of DIR into FILE (.tar.gz
                                                   with manifest.json: each file's size and SHA-256)
          cityos restore FILE [--data DIR]         verifies FILE, then writes it into DIR, which must be empty or new
          cityos verify FILE                       reads FILE whole and checks every file against its manifest
          --data DIR        the data directory (default ./cityos-data)

        """;

    public static async Task<int> RunAsync(string command, string[] args, TextWriter output, TextWriter error, CancellationToken ct)
    {
        string? data = null, to = null, file = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "--data" when command is "backup" or "restore":
                    data = Value() ?? "";
                    break;
                case "--to" when command is "backup":
                    to = Value() ?? "";
                    break;
                default:
                    if (arg.StartsWith('-') || file is not null || command is "backup") return Usage(error, command, $"unexpected argument '{arg}'.");
                    file = arg;
                    break;
            }
        }
        if (data == "" || to == "") return Usage(error, command, "--data and --to need a value.");
        data ??= CityOS.Core.Hosting.DataDirectory.Default;
        try
        {
            switch (command)
            {
                case "backup":
                    if (to is null) return Usage(error, command, "--to FILE is required.");
                    var made = await BackupArchive.CreateAsync(data, to, ct);
                    await output.WriteLineAsync($"backed up {made.Files.Count} files ({made.Files.Sum(f => f.Bytes)} bytes, {made.Files.Count(f => f.Kind == BackupArchive.SqliteKind)} databases) of {Path.GetFullPath(data)} to {Path.GetFullPath(to)}");
                    return 0;
                case "restore":
                    if (file is null) return Usage(error, command, "which FILE to restore?");
                    var restored = await BackupArchive.RestoreAsync(file, data, ct);
                    await output.WriteLineAsync($"restored {restored.Files.Count} files of the backup of {restored.CreatedAt:u} into {Path.GetFullPath(data)}");
                    return 0;
                default:
                    if (file is null) return Usage(error, command, "which FILE to verify?");
                    var verified = await BackupArchive.VerifyAsync(file, ct);
                    await output.WriteLineAsync($"{file}: a good backup of {verified.CreatedAt:u} (cityos {verified.CityOsVersion}), {verified.Files.Count} files, {verified.Files.Sum(f => f.Bytes)} bytes, every checksum right");
                    return 0;
            }
        }
        catch (BackupException e)
        {
            await error.WriteLineAsync(command switch
            {
                "backup" => $"cityos backup: failed: {e.Message}",
                _ => $"cityos {command}: {file}: {e.Message}",
            });
            return 1;
        }
        catch (IOException e)
        {
            await error.WriteLineAsync($"cityos {command}: failed: {e.Message}");
            return 1;
        }
    }

    private static int Usage(TextWriter error, string command, string problem)
    {
        error.WriteLine($"cityos {command}: {problem}");
        error.WriteLine();
        error.WriteLine(Help);
        return CityOsCommand.UsageError;
    }
}
