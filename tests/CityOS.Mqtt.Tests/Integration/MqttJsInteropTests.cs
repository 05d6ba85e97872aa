using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CityOS.Mqtt.Tests.Infrastructure;
using static CityOS.Mqtt.Tests.Infrastructure.TestClient;

namespace CityOS.Mqtt.Tests.Integration;

/// <summary>
/// Our publisher, a real mosquitto and MQTT.js (the client most NGSI-LD notification consumers use)
/// as the subscriber: what MQTT.js receives must be exactly what we published.
/// </summary>
public sealed class MqttJsInteropTests : IAsyncLifetime
{
    private MosquittoBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await MosquittoBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task MqttJs_subscriber_receives_our_qos0_and_qos1_messages_byte_for_byte()
    {
        byte[] binary = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        var large = new byte[200_000];
        Random.Shared.NextBytes(large);
        (string Topic, byte[] Payload, MqttQualityOfService Qos)[] sent =
        [
            ("cityos/notify/sub1", Encoding.UTF8.GetBytes("""{"id":"urn:ngsi-ld:Notification:1","type":"Notification"}"""), MqttQualityOfService.AtMostOnce),
            ("cityos/notify/sub2", binary, MqttQualityOfService.AtLeastOnce),
            ("cityos/notify/sub2", [], MqttQualityOfService.AtLeastOnce),
            ("cityos/notify/señal/日本", large, MqttQualityOfService.AtMostOnce),
            ("cityos/notify/last", Encoding.UTF8.GetBytes("done"), MqttQualityOfService.AtLeastOnce),
        ];

        await using var subscriber = await MqttJsSubscriber.StartAsync(_broker.Url, "cityos/notify/#", sent.Length);
        await using var client = await ConnectAsync(Options(_broker.Port));
        foreach (var (topic, payload, qos) in sent)
            await client.PublishAsync(topic, payload, qos, cancellationToken: Timeout());

        var received = await subscriber.WaitForMessagesAsync(_broker);
        Assert.Equal(sent.Length, received.Count);
        for (var i = 0; i < sent.Length; i++)
        {
            Assert.Equal(sent[i].Topic, received[i].Topic);
            Assert.Equal((int)sent[i].Qos, received[i].Qos);
            Assert.False(received[i].Retain);
            Assert.True(sent[i].Payload.AsSpan().SequenceEqual(received[i].Payload), $"Payload of message {i} differs.");
        }
    }

    private sealed record ReceivedMessage(string Topic, int Qos, bool Retain, byte[] Payload);

    private sealed class MqttJsSubscriber : IAsyncDisposable
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
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "js"));

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
}
