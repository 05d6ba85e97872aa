namespace CityOS.Server;

/// <summary>The `cityos` command line: runs the City OS (default) or prints help and version.</summary>
public static class CityOsCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Help);
            return 0;
        }
        if (args.FirstOrDefault() is "account" or "client")
        {
            var data = Array.IndexOf(args, "--data") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
            var configuration = new ConfigurationBuilder()
                .AddJsonFile("appsettings.json", optional: true)
                .AddEnvironmentVariables()
                .AddInMemoryCollection(data is null ? [] : [new("CityOS:DataDirectory", data)])
                .Build();
            return await CityOS.Identity.Cli.AccountCommand.RunAsync(args, configuration, Console.Out, Console.Error);
        }
        if (args.FirstOrDefault() is "import")
        {
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            return await CityOS.Devices.Cli.ImportCommand.RunAsync(args, Console.Out, Console.Error, stop.Token);
        }
        if (args.Contains("--version"))
        {
            Console.WriteLine($"cityos {CityOsHost.Version}");
            return 0;
        }
        var app = CityOsHost.Build(args.Where(a => a != "run").ToArray());
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

    private const string Help = """
        cityos - the CityOS City OS (NGSI-LD context broker and platform)

        Usage: cityos [run] [options]

        Options (each also settable in appsettings.json under "CityOS" or as CITYOS__NAME environment variables):
          --port N          port to listen on (CityOS:Port, default 1026)
          --host NAME       interface to listen on (CityOS:Host, default localhost; 0.0.0.0 for all)
          --data DIR        data directory (CityOS:DataDirectory, default ./cityos-data)
          --urls URLS       full listen URLs, overrides --host/--port (e.g. http://0.0.0.0:1026)
          --CityOS:MaxEntityBytes N   largest entity payload (default 1048576)
          --CityOS:LogFormat json     structured JSON logs
          --version         print the version
          --help            this text

        """ + CityOS.Identity.Cli.AccountCommand.Help + CityOS.Devices.Cli.ImportCommand.Help;
}
