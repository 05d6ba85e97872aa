namespace CityOS.Server;

/// <summary>
/// The `cityos` command line: runs the City OS (no command, or <c>run</c>), or one of the administration commands.
/// An unknown command or option is an error (exit code 2, the usage on standard error), never a server start.
/// </summary>
public static class CityOsCommand
{
    /// <summary>Exit code of a command line that names no command or option that exists.</summary>
    public const int UsageError = 2;

    /// <summary>The server's own switches (each takes a value); any <c>--Section:Name value</c> sets a setting too.</summary>
    private static readonly HashSet<string> RunOptions = new(StringComparer.OrdinalIgnoreCase) { "port", "host", "data", "urls", "environment" };

    private static readonly string[] Commands = ["run", "account", "client", "import", "backup", "restore", "verify"];

    public static async Task<int> RunAsync(string[] args)
    {
        var command = args.FirstOrDefault() is { } first && !first.StartsWith('-') ? first : "run";
        var rest = args.FirstOrDefault() == command ? args[1..] : args;
        if (!Commands.Contains(command, StringComparer.Ordinal))
        {
            return Usage($"'{command}' is not a cityos command.", Help);
        }
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            Console.WriteLine(CommandHelp(command, explicitRun: args.FirstOrDefault() == "run"));
            return 0;
        }
        switch (command)
        {
            case "account" or "client":
            {
                var data = Array.IndexOf(args, "--data") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
                var configuration = new ConfigurationBuilder()
                    .AddJsonFile("appsettings.json", optional: true)
                    .AddEnvironmentVariables()
                    .AddInMemoryCollection(data is null ? [] : [new("CityOS:DataDirectory", data)])
                    .Build();
                return await CityOS.Identity.Cli.AccountCommand.RunAsync(args, configuration, Console.Out, Console.Error);
            }
            case "import":
            {
                using var stop = new CancellationTokenSource();
                Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
                return await CityOS.Devices.Cli.ImportCommand.RunAsync(args, Console.Out, Console.Error, stop.Token);
            }
            case "backup" or "restore" or "verify":
            {
                using var stop = new CancellationTokenSource();
                Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
                return await Operations.BackupCommand.RunAsync(command, rest, Console.Out, Console.Error, stop.Token);
            }
        }
        if (rest.Contains("--version"))
        {
            Console.WriteLine($"cityos {CityOsHost.Version}");
            return 0;
        }
        if (CheckRunArguments(rest) is { } problem) return Usage(problem, RunHelp);
        return await RunServerAsync(rest);
    }

    private static async Task<int> RunServerAsync(string[] args)
    {
        var app = CityOsHost.Build(args);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var data = app.Services.GetRequiredService<CityOS.Core.Hosting.DataDirectory>().Path;
            Console.WriteLine($"CityOS {CityOsHost.Version} listening on {string.Join(", ", app.Urls)}");
            Console.WriteLine($"Data directory: {data}");
            Console.WriteLine("Press Ctrl+C to stop.");
        });
        try
        {
            await app.RunAsync();
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException invalid)
        {
            Console.Error.WriteLine("cityos: not started, these settings cannot work:");
            foreach (var failure in invalid.Failures) Console.Error.WriteLine($"  {failure}");
            return 1;
        }
        return 0;
    }

    /// <summary>Why these arguments of <c>cityos [run]</c> cannot be run, or null when they can.</summary>
    internal static string? CheckRunArguments(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                return $"unexpected argument '{arg}'.";
            }
            var name = arg[2..];
            var equals = name.IndexOf('=');
            var hasValue = equals > 0;
            if (hasValue) name = name[..equals];
            if (!RunOptions.Contains(name) && !(name.Contains(':') && !name.StartsWith(':') && !name.EndsWith(':')))
            {
                return $"unknown option '--{name}'.";
            }
            if (!hasValue && (++i >= args.Count || args[i].StartsWith("--", StringComparison.Ordinal)))
            {
                return $"--{name} needs a value.";
            }
        }
        return null;
    }

    private static int Usage(string problem, string help)
    {
        Console.Error.WriteLine($"cityos: {problem}");
        Console.Error.WriteLine();
        Console.Error.WriteLine(help);
        return UsageError;
    }

    private static string CommandHelp(string command, bool explicitRun) => command switch
    {
        "run" when explicitRun => RunHelp,
        "run" => Help,
        "account" or "client" => CityOS.Identity.Cli.AccountCommand.Help,
        "import" => CityOS.Devices.Cli.ImportCommand.Help,
        "backup" or "restore" or "verify" => Operations.BackupCommand.Help,
        _ => Help,
    };

    private const string RunHelp = """
        cityos [run] [options]: runs the City OS in the foreground until Ctrl+C or SIGTERM.

        Options (each also settable in appsettings.json under "CityOS" or as CITYOS__NAME environment variables):
          --port N          port to listen on (CityOS:Port, default 1026)
          --host NAME       interface to listen on (CityOS:Host, default localhost; 0.0.0.0 for all)
          --data DIR        data directory (CityOS:DataDirectory, default ./cityos-data of the current directory)
          --urls URLS       full listen URLs, overrides --host/--port (e.g. http://0.0.0.0:1026)
          --Section:Name V  any setting, e.g. --CityOS:MaxEntityBytes 1048576, --CityOS:LogFormat json
          --version         print the version
          --help            this text
        """;

    private const string Help = """
        cityos - the CityOS City OS (NGSI-LD context broker and platform)

        Usage: cityos [COMMAND] [options]     (cityos COMMAND --help tells more of one command)

        Commands:
          run               run the server (the default when no command is given)
          account, client   identity administration on the data directory
          import            import a file into a running cityos
          backup, restore, verify   back up the data directory (while the server runs), restore it, check a backup

        """ + RunHelp + "\n\n" + CityOS.Identity.Cli.AccountCommand.Help + CityOS.Devices.Cli.ImportCommand.Help + Operations.BackupCommand.Help;
}
