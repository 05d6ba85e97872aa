using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace CityOS.Testing;

/// <summary>One message as MQTT.js received it.</summary>
public sealed record ReceivedMessage(string Topic, int Qos, bool Retain, byte[] Payload);

/// <summary>An MQTT.js subscriber (js/subscribe.js) in its own node process, printing each message it receives as a JSON line.</summary>
public sealed class MqttJsSubscriber : IAsyncDisposable
{
    private const int TimeoutMilliseconds = 15_000;
    private readonly Process _process;
    private readonly StringBuilder _errors = new();

    private MqttJsSubscriber(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) => { lock (_errors) _errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
    }

    public static async Task<MqttJsSubscriber> StartAsync(string url, string filter, int count)
    {
        var directory = ScriptDirectory();
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "mqtt")))
            throw new InvalidOperationException($"MQTT.js is not installed: run `npm ci` in {directory} (needs Node.js and npm).");
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo("node")
            {
                ArgumentList = { "subscribe.js", url, filter, count.ToString(System.Globalization.CultureInfo.InvariantCulture), TimeoutMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("The MQTT.js interop test needs Node.js: install it (apt-get install -y nodejs npm), then run `npm ci` in " + directory, ex);
        }
        var subscriber = new MqttJsSubscriber(process);
        var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        if (ready is null || !ready.Contains("\"ready\":true", StringComparison.Ordinal))
            throw new InvalidOperationException($"The MQTT.js subscriber did not get ready: {ready} {subscriber.Errors}");
        return subscriber;
    }

    public async Task<List<ReceivedMessage>> WaitForMessagesAsync(MosquittoBroker broker)
    {
        var output = await _process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMilliseconds(TimeoutMilliseconds + 5000));
        await _process.WaitForExitAsync();
        Assert.True(_process.ExitCode == 0, $"The MQTT.js subscriber failed (exit code {_process.ExitCode}): {Errors}\nmosquitto said: {broker.Output}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            return new ReceivedMessage(
                root.GetProperty("topic").GetString()!,
                root.GetProperty("qos").GetInt32(),
                root.GetProperty("retain").GetBoolean(),
                Convert.FromBase64String(root.GetProperty("payload").GetString()!));
        })];
    }

    private string Errors
    {
        get
        {
            lock (_errors)
                return _errors.ToString();
        }
    }

    private static string ScriptDirectory([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "js"));

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
