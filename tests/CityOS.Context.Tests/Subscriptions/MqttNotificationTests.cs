using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>End to end: a subscription with an mqtt:// endpoint, a real mosquitto, and MQTT.js as the consumer.</summary>
public sealed class MqttNotificationTests(SubscriptionHost host) : IClassFixture<SubscriptionHost>
{
    [Fact]
    public async Task Notifications_reach_an_MqttJs_subscriber_through_mosquitto_as_Orion_LD_frames_them()
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        var topic = "cityos/notifications/" + Guid.NewGuid().ToString("N");
        await using var subscriber = await MqttJsSubscriber.StartAsync($"mqtt://127.0.0.1:{mosquitto.Port}", topic, count: 2);

        var type = "T" + Guid.NewGuid().ToString("N")[..10];
        var subscriptionId = await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}],
             "notification": {"format": "keyValues", "endpoint": {"uri": "mqtt://127.0.0.1:{{{{mosquitto.Port}}}}/{{{{topic}}}}",
                "notifierInfo": [{"key": "MQTT-QoS", "value": "1"}],
                "receiverInfo": [{"key": "X-Origin", "value": "cityos-test"}]}}}
            """);
        var id = Ngsi.Unique(type);
        await host.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$"""{"id": "{{{id}}}", "type": "{{{type}}}", "speed": {"type": "Property", "value": 80}}""");
        await host.SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}/attrs", """{"speed": {"type": "Property", "value": 90}}""");

        var messages = await subscriber.WaitForMessagesAsync(mosquitto);
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Equal(topic, m.Topic));
        Assert.All(messages, m => Assert.Equal(1, m.Qos));
        var first = JsonNode.Parse(messages[0].Payload)!.AsObject();
        Assert.Equal("application/json", first["metadata"]!["Content-Type"]!.GetValue<string>());
        Assert.Contains("json-ld#context", first["metadata"]!["Link"]!.GetValue<string>());
        Assert.Equal("cityos-test", first["metadata"]!["X-Origin"]!.GetValue<string>());
        var body = first["body"]!.AsObject();
        Assert.Equal("Notification", body["type"]!.GetValue<string>());
        Assert.Equal(subscriptionId, body["subscriptionId"]!.GetValue<string>());
        Assert.Equal(80, body["data"]![0]!["speed"]!.GetValue<int>());
        Assert.Equal(90, JsonNode.Parse(messages[1].Payload)!["body"]!["data"]![0]!["speed"]!.GetValue<int>());
    }

    private sealed record ReceivedMessage(string Topic, int Qos, string Payload);

    /// <summary>A mosquitto broker on a free loopback port, for this test only.</summary>
    private sealed class Mosquitto : IAsyncDisposable
    {
        private const string Executable = "/usr/sbin/mosquitto";
        private readonly Process _process;
        private readonly string _directory;
        private readonly StringBuilder _output = new();

        private Mosquitto(Process process, string directory, int port)
        {
            _process = process;
            _directory = directory;
            Port = port;
        }

        public int Port { get; }

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        public static async Task<Mosquitto> StartAsync()
        {
            if (!File.Exists(Executable))
            {
                throw new InvalidOperationException($"This test needs the mosquitto broker at {Executable}: apt-get install -y mosquitto");
            }
            var directory = Directory.CreateTempSubdirectory("cityos-notify-mosquitto-").FullName;
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var config = Path.Combine(directory, "mosquitto.conf");
            await File.WriteAllTextAsync(config, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\nlog_dest stderr\nlog_type error\nlog_type warning\n");
            var process = Process.Start(new ProcessStartInfo(Executable) { ArgumentList = { "-c", config }, RedirectStandardError = true, RedirectStandardOutput = true })!;
            var broker = new Mosquitto(process, directory, port);
            process.ErrorDataReceived += (_, e) => { lock (broker._output) broker._output.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                if (process.HasExited) throw new InvalidOperationException($"mosquitto exited with {process.ExitCode}: {broker.Output}");
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync(IPAddress.Loopback, port);
                    return broker;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }

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

        private string Errors
        {
            get
            {
                lock (_errors) return _errors.ToString();
            }
        }

        public static async Task<MqttJsSubscriber> StartAsync(string url, string filter, int count)
        {
            var directory = ScriptDirectory();
            if (!Directory.Exists(Path.Combine(directory, "node_modules", "mqtt")))
            {
                throw new InvalidOperationException($"MQTT.js is not installed: run `npm ci` in {directory} (needs Node.js and npm).");
            }
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
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"This test needs Node.js (apt-get install -y nodejs npm), then `npm ci` in {directory}.", e);
            }
            var subscriber = new MqttJsSubscriber(process);
            var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            if (ready is null || !ready.Contains("\"ready\":true", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The MQTT.js subscriber did not get ready: {ready} {subscriber.Errors}");
            }
            return subscriber;
        }

        public async Task<List<ReceivedMessage>> WaitForMessagesAsync(Mosquitto broker)
        {
            var output = await _process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMilliseconds(TimeoutMilliseconds + 5000));
            await _process.WaitForExitAsync();
            Assert.True(_process.ExitCode == 0, $"The MQTT.js subscriber failed (exit code {_process.ExitCode}): {Errors}\nmosquitto said: {broker.Output}");
            return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
            {
                var json = JsonNode.Parse(line)!;
                return new ReceivedMessage(json["topic"]!.GetValue<string>(), json["qos"]!.GetValue<int>(),
                    System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(json["payload"]!.GetValue<string>())));
            })];
        }

        private static string ScriptDirectory([CallerFilePath] string thisFile = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "CityOS.Mqtt.Tests", "js"));

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
