using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CityOS.Testing;

/// <summary>A real mosquitto broker on a free loopback port, started and killed by the test.</summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    public const string MosquittoPath = "/usr/sbin/mosquitto";
    public const string PasswordToolPath = "/usr/bin/mosquitto_passwd";
    private const string InstallHint = "Install the broker with: apt-get install -y mosquitto mosquitto-clients";

    private readonly string _directory;
    private readonly string _configPath;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private MosquittoBroker(string directory, string configPath, int port)
    {
        _directory = directory;
        _configPath = configPath;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"mqtt://127.0.0.1:{Port}";

    /// <summary>Starts a broker; with <paramref name="users"/> it requires those credentials and refuses anonymous clients.</summary>
    /// <param name="tls">Certificate and private key in PEM; the listener then speaks TLS only.</param>
    public static async Task<MosquittoBroker> StartAsync(IReadOnlyDictionary<string, string>? users = null, (string CertificatePem, string KeyPem)? tls = null)
    {
        if (!File.Exists(MosquittoPath))
            throw new InvalidOperationException($"The integration tests need the mosquitto broker at {MosquittoPath}, which is missing. {InstallHint}");
        var directory = Directory.CreateTempSubdirectory("cityos-mosquitto-").FullName;
        var port = FreeTcpPort();
        var config = new StringBuilder()
            .AppendLine($"listener {port} 127.0.0.1")
            .AppendLine("persistence false")
            // mosquitto started as root otherwise switches to the 'mosquitto' user, who cannot read our temp files.
            .AppendLine("user root")
            .AppendLine("log_dest stderr")
            .AppendLine("log_type error")
            .AppendLine("log_type warning")
            .AppendLine("log_type notice");
        if (tls is { } pem)
        {
            var certFile = Path.Combine(directory, "server.crt");
            var keyFile = Path.Combine(directory, "server.key");
            await File.WriteAllTextAsync(certFile, pem.CertificatePem);
            await File.WriteAllTextAsync(keyFile, pem.KeyPem);
            config.AppendLine($"certfile {certFile}").AppendLine($"keyfile {keyFile}");
        }
        if (users is null)
        {
            config.AppendLine("allow_anonymous true");
        }
        else
        {
            if (!File.Exists(PasswordToolPath))
                throw new InvalidOperationException($"The credentials tests need {PasswordToolPath}, which is missing. {InstallHint}");
            var passwordFile = Path.Combine(directory, "passwords");
            File.WriteAllText(passwordFile, "");
            foreach (var (user, password) in users)
                await RunAsync(PasswordToolPath, ["-b", passwordFile, user, password]);
            config.AppendLine("allow_anonymous false").AppendLine($"password_file {passwordFile}");
        }
        var configPath = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(configPath, config.ToString());

        var broker = new MosquittoBroker(directory, configPath, port);
        await broker.StartProcessAsync();
        return broker;
    }

    /// <summary>Kills the broker without warning, the way a crash or a host restart would.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <summary>Starts the broker again on the same port.</summary>
    public Task RestartAsync() => StartProcessAsync();

    private async Task StartProcessAsync()
    {
        var startInfo = new ProcessStartInfo(MosquittoPath)
        {
            ArgumentList = { "-c", _configPath },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("mosquitto did not start.");
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"mosquitto exited with code {process.ExitCode}: {Output}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string path, string[] arguments)
    {
        var startInfo = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        using var process = Process.Start(startInfo)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{path} failed with exit code {process.ExitCode}: {error}");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
