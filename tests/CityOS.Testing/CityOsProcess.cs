using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CityOS.Testing;

/// <summary>A real `cityos` process on a free loopback port, as an operator would run it.</summary>
public sealed class CityOsProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private CityOsProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }
    public Uri BaseAddress { get; }

    /// <summary>The operating system's id of the process (for /proc/&lt;id&gt;/status).</summary>
    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts cityos.dll (built next to the tests) and waits until /health answers.</summary>
    public static async Task<CityOsProcess> StartAsync(string dataDirectory, int? port = null, IDictionary<string, string>? environment = null, params string[] arguments)
    {
        var chosenPort = port ?? FreePort();
        var start = StartInfo(new[] { "--host", "127.0.0.1", "--port", chosenPort.ToString(), "--data", dataDirectory, "--Logging:LogLevel:CityOS.Requests", "Warning", "--CityOS:Mqtt:Broker:Port", "0" }.Concat(arguments));
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start)!;
        var server = new CityOsProcess(process, chosenPort);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitUntilHealthyAsync();
        return server;
    }

    /// <summary>Runs a `cityos` command (account, client, ...) to its end and returns its standard output.</summary>
    public static async Task<string> RunCommandAsync(params string[] arguments)
    {
        var (exitCode, output, error) = await RunCommandForResultAsync(arguments);
        if (exitCode != 0) throw new InvalidOperationException($"cityos {string.Join(' ', arguments)} exited with {exitCode}: {error}");
        return output;
    }

    /// <summary>Runs a `cityos` command to its end and returns its exit code, standard output and standard error.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunCommandForResultAsync(params string[] arguments)
    {
        using var process = Process.Start(StartInfo(arguments))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, await output, await error);
    }

    /// <summary>`dotnet cityos.dll` (built next to the tests) with the arguments, output captured.</summary>
    private static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cityos.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return start;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"cityos exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"cityos did not become healthy within 60 s:\n{Output}");
    }

    /// <summary>
    /// Write load until a crash: <paramref name="writers"/> concurrent loops call <paramref name="write"/>(client,
    /// writer, i) for i = 0, 1, …; once <paramref name="enough"/> holds the server is killed with SIGKILL, and each
    /// writer stops at its first failed request. Recording what the writes acknowledged is the caller's part.
    /// </summary>
    public async Task WriteUntilKilledAsync(int writers, Func<HttpClient, int, int, Task> write, Func<bool> enough)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await write(client, writer, i);
                }
                catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
                {
                    return;
                }
            }
        })).ToArray();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!enough())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The write load did not reach its goal within 2 minutes:\n{Output}");
            await Task.Delay(10);
        }
        Kill();
        stop.Cancel();
        await Task.WhenAll(loops);
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut of the process.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as systemd stops a service; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
