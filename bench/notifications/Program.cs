using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// Notification benchmark. Starts a real cityos process (built in Release next to this tool) and a local HTTP
// receiver in this process, then measures:
//  1. latency: 100 active subscriptions (one per entity, each with its own receiver URL), updates at a fixed
//     rate (default 1,000/s) spread over the 100 entities; latency = receipt at the receiver - write acknowledgement
//     at the client (same process, same monotonic clock);
//  2. throughput: one subscription on every entity of a type, batch updates as fast as the broker takes them;
//     notifications received per second by one fast receiver, and a check that none is lost;
//  3. fan-out: ten subscriptions on every entity of a type, all to one receiver, updates at a fixed rate (default 1,000/s,
//     so 10,000 notifications/s are due); notifications per second, latency and losses.
// Each scenario runs its load for --warmup seconds first (not measured). The cityos process's CPU time per notification
// is reported for each scenario.
// Usage: dotnet CityOS.NotifyBench.dll <cityos.dll> [seconds=10] [rate=1000] [--only latency|throughput|fanout] [--warmup 20] [--json FILE]
var cityosDll = args.Length > 0 ? args[0] : throw new ArgumentException("usage: CityOS.NotifyBench <path to cityos.dll> [seconds] [rate] [--json FILE]");
var seconds = args.Length > 1 && !args[1].StartsWith("--") ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var rate = args.Length > 2 && !args[2].StartsWith("--") ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
var jsonIndex = Array.IndexOf(args, "--json");
var jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : null;
// --only latency|throughput runs one scenario (for profiling); both by default.
var onlyIndex = Array.IndexOf(args, "--only");
var only = onlyIndex >= 0 ? args[onlyIndex + 1] : null;
// --warmup N: seconds of the same load before each measured run (default 20: the JIT compiles the hot paths for tens of seconds).
var warmupIndex = Array.IndexOf(args, "--warmup");
var warmup = warmupIndex >= 0 ? int.Parse(args[warmupIndex + 1], CultureInfo.InvariantCulture) : 20;

var receipts = new ConcurrentDictionary<long, long>();
var throughputSeq = 10_000_000_000L;
var received = 0L;
// Fan-out scenario: (subscription, seq) -> receipt time at the one receiver /f.
var fanReceipts = new ConcurrentDictionary<(string Subscription, long Seq), long>();
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
var receiver = builder.Build();
receiver.MapPost("/n/{sub}", async (HttpContext context) =>
{
    var now = Stopwatch.GetTimestamp();
    using var body = await JsonDocument.ParseAsync(context.Request.Body);
    foreach (var entity in body.RootElement.GetProperty("data").EnumerateArray())
    {
        receipts.TryAdd(entity.GetProperty("seq").GetInt64(), now);
        Interlocked.Increment(ref received);
    }
    return Results.NoContent();
});
receiver.MapPost("/f", async (HttpContext context) =>
{
    var now = Stopwatch.GetTimestamp();
    using var body = await JsonDocument.ParseAsync(context.Request.Body);
    var subscription = body.RootElement.GetProperty("subscriptionId").GetString()!;
    foreach (var entity in body.RootElement.GetProperty("data").EnumerateArray()) fanReceipts.TryAdd((subscription, entity.GetProperty("seq").GetInt64()), now);
    return Results.NoContent();
});
await receiver.StartAsync();
var receiverBase = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

var data = Directory.CreateTempSubdirectory("cityos-notify-bench-").FullName;
var port = FreePort();
var cityos = Process.Start(new ProcessStartInfo("dotnet")
{
    ArgumentList = { cityosDll, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--data", data, "--Logging:LogLevel:Default", "Warning" },
    RedirectStandardOutput = true,
    RedirectStandardError = true,
})!;
cityos.OutputDataReceived += (_, _) => { };
cityos.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("cityos: " + e.Data); };
cityos.BeginOutputReadLine();
cityos.BeginErrorReadLine();
using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
try
{
    await WaitHealthyAsync(client);
    var latency = only is null or "latency" ? await LatencyAsync() : default;
    var throughput = only is null or "throughput" ? await ThroughputAsync() : default;
    var fanout = only is null or "fanout" ? await FanOutAsync() : default;
    var table = new StringBuilder()
        .AppendLine("| scenario | writes | notifications | lost | p50 ms | p99 ms | max ms | notifications/s | cityos CPU µs per notification |")
        .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    if (latency.Row is not null) table.AppendLine(latency.Row);
    if (throughput.Row is not null) table.AppendLine(throughput.Row);
    if (fanout.Row is not null) table.AppendLine(fanout.Row);
    Console.WriteLine(table);
    if (jsonFile is not null)
    {
        await File.WriteAllTextAsync(jsonFile, JsonSerializer.Serialize(new { latency = latency.Json, throughput = throughput.Json, fanout = fanout.Json }, new JsonSerializerOptions { WriteIndented = true }));
    }
}
finally
{
    cityos.Kill(entireProcessTree: true);
    await cityos.WaitForExitAsync();
    await receiver.StopAsync();
    Directory.Delete(data, recursive: true);
}

async Task<(string Row, object Json)> LatencyAsync()
{
    const int subscriptions = 100;
    for (var i = 0; i < subscriptions; i++)
    {
        await PostAsync("/ngsi-ld/v1/entities", $$$"""{"id": "urn:ngsi-ld:Sensor:{{{i}}}", "type": "Sensor", "seq": {"type": "Property", "value": -1}}""");
        await PostAsync("/ngsi-ld/v1/subscriptions", $$$$"""
            {"type": "Subscription", "entities": [{"type": "Sensor", "id": "urn:ngsi-ld:Sensor:{{{{i}}}}"}], "watchedAttributes": ["seq"],
             "notificationTrigger": ["attributeUpdated"],
             "notification": {"format": "keyValues", "attributes": ["seq"], "endpoint": {"uri": "{{{{receiverBase}}}}/n/{{{{i}}}}"}}}
            """);
    }
    // Warm-up, then the measured run at a fixed rate (open loop: a write is started on schedule whatever the previous ones do).
    await RunAtRateAsync(rate, Math.Max(2, warmup), subscriptions, 1_000_000_000L, null);
    await Task.Delay(1000);
    receipts.Clear();
    var acknowledged = new ConcurrentDictionary<long, long>();
    var cpuBefore = CityosCpu();
    await RunAtRateAsync(rate, seconds, subscriptions, 0, acknowledged);
    await WaitForAsync(() => acknowledged.Keys.All(receipts.ContainsKey), TimeSpan.FromSeconds(30));
    var cpuPerNotification = (CityosCpu() - cpuBefore).TotalMicroseconds / Math.Max(1, acknowledged.Count);
    var latencies = acknowledged.Select(a => receipts.TryGetValue(a.Key, out var at) ? Stopwatch.GetElapsedTime(a.Value, at).TotalMilliseconds : double.NaN)
        .Where(l => !double.IsNaN(l)).Select(l => Math.Max(0, l)).Order().ToArray();
    var lost = acknowledged.Count - latencies.Length;
    var (p50, p99, max) = (Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.LastOrDefault());
    return ($"| latency: {subscriptions} subscriptions, {rate} updates/s for {seconds} s | {acknowledged.Count} | {latencies.Length} | {lost} | {p50:0.00} | {p99:0.00} | {max:0.00} | {latencies.Length / (double)seconds:0} | {cpuPerNotification:0} |",
        new { subscriptions, rate, seconds, writes = acknowledged.Count, notifications = latencies.Length, lost, p50_ms = p50, p99_ms = p99, max_ms = max, cityos_cpu_us_per_notification = cpuPerNotification });
}

async Task RunAtRateAsync(int perSecond, int duration, int entities, long seqBase, ConcurrentDictionary<long, long>? acknowledged)
{
    var total = perSecond * duration;
    var started = Stopwatch.GetTimestamp();
    var inFlight = new List<Task>(total);
    for (long n = 0; n < total; n++)
    {
        var due = TimeSpan.FromSeconds(n / (double)perSecond);
        var wait = due - Stopwatch.GetElapsedTime(started);
        if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
        var seq = seqBase + n;
        var entity = (int)(n % entities);
        inFlight.Add(Task.Run(async () =>
        {
            using var response = await client.PatchAsync($"/ngsi-ld/v1/entities/urn:ngsi-ld:Sensor:{entity}/attrs",
                new StringContent($$$$"""{"seq": {"type": "Property", "value": {{{{seq}}}}}}""", Encoding.UTF8, "application/json"));
            var at = Stopwatch.GetTimestamp();
            if (response.StatusCode != HttpStatusCode.NoContent) throw new InvalidOperationException($"update answered {(int)response.StatusCode}");
            acknowledged?.TryAdd(seq, at);
        }));
    }
    await Task.WhenAll(inFlight);
}

async Task<(string Row, object Json)> ThroughputAsync()
{
    await PostAsync("/ngsi-ld/v1/subscriptions", $$$$"""
        {"type": "Subscription", "entities": [{"type": "Meter"}], "notificationTrigger": ["attributeCreated", "attributeUpdated"],
         "notification": {"format": "keyValues", "attributes": ["seq"], "endpoint": {"uri": "{{{{receiverBase}}}}/n/fast"}}}
        """);
    // Warm-up (the same load, until every notification arrived), so that the measured run sees compiled code.
    if (warmup > 0) await UpsertFlatOutAsync(warmup);
    return await UpsertFlatOutAsync(seconds);
}

// One subscription on every Meter; 4 clients send batches of 100 updates as fast as the broker takes them.
async Task<(string Row, object Json)> UpsertFlatOutAsync(int duration)
{
    const int entities = 1000, batch = 100;
    receipts.Clear();
    Interlocked.Exchange(ref received, 0);
    var written = 0L;
    var cpuBefore = CityosCpu();
    var started = Stopwatch.GetTimestamp();
    var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
    {
        while (Stopwatch.GetElapsedTime(started).TotalSeconds < duration)
        {
            var items = new StringBuilder("[");
            for (var k = 0; k < batch; k++)
            {
                var s = Interlocked.Increment(ref throughputSeq);
                if (k > 0) items.Append(',');
                items.Append(CultureInfo.InvariantCulture, $$$$"""{"id": "urn:ngsi-ld:Meter:{{{{s % entities}}}}", "type": "Meter", "seq": {"type": "Property", "value": {{{{s}}}}}}""");
            }
            items.Append(']');
            using var response = await client.PostAsync("/ngsi-ld/v1/entityOperations/upsert?options=update",
                new StringContent(items.ToString(), Encoding.UTF8, "application/json"));
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"upsert answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            Interlocked.Add(ref written, batch);
        }
    })).ToArray();
    await Task.WhenAll(writers);
    var writeSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    await WaitForAsync(() => Interlocked.Read(ref received) >= written, TimeSpan.FromSeconds(60));
    var drainSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    var distinct = receipts.Count;
    var lost = written - distinct;
    var perSecond = distinct / drainSeconds;
    var cpuPerNotification = (CityosCpu() - cpuBefore).TotalMicroseconds / Math.Max(1, distinct);
    return ($"| throughput: 1 subscription, batch upserts for {duration} s, one receiver | {written} | {distinct} | {lost} | | | | {perSecond:0} | {cpuPerNotification:0} |",
        new { written, notifications = distinct, lost, write_seconds = writeSeconds, until_all_received_seconds = drainSeconds, notifications_per_second = perSecond, cityos_cpu_us_per_notification = cpuPerNotification });
}

// Ten subscriptions on every Gauge, all to the one receiver /f; updates at a fixed rate (batches of 100, open loop), so
// each acknowledged update is due ten notifications: rate x 10 notifications/s. Latency = receipt - acknowledgement of the batch.
async Task<(string Row, object Json)> FanOutAsync()
{
    const int entities = 1000, batch = 100, subscriptions = 10;
    for (var b = 0; b < entities / batch; b++)
    {
        var items = string.Join(",", Enumerable.Range(b * batch, batch).Select(i => $$$"""{"id": "urn:ngsi-ld:Gauge:{{{i}}}", "type": "Gauge", "seq": {"type": "Property", "value": -1}}"""));
        await PostAsync("/ngsi-ld/v1/entityOperations/upsert", "[" + items + "]");
    }
    for (var i = 0; i < subscriptions; i++)
    {
        await PostAsync("/ngsi-ld/v1/subscriptions", $$$$"""
            {"type": "Subscription", "entities": [{"type": "Gauge"}], "watchedAttributes": ["seq"], "notificationTrigger": ["attributeUpdated"],
             "notification": {"format": "keyValues", "attributes": ["seq"], "endpoint": {"uri": "{{{{receiverBase}}}}/f"}}}
            """);
    }
    var seq = 20_000_000_000L;
    async Task<(ConcurrentDictionary<long, long> Acknowledged, long Started)> DriveAsync(int duration)
    {
        var acknowledged = new ConcurrentDictionary<long, long>();
        var batches = rate * duration / batch;
        var started = Stopwatch.GetTimestamp();
        var inFlight = new List<Task>();
        for (var n = 0; n < batches; n++)
        {
            var wait = TimeSpan.FromSeconds(n * batch / (double)rate) - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            var first = seq;
            seq += batch;
            inFlight.Add(Task.Run(async () =>
            {
                var items = new StringBuilder("[");
                for (var k = 0; k < batch; k++)
                {
                    if (k > 0) items.Append(',');
                    items.Append(CultureInfo.InvariantCulture, $$$$"""{"id": "urn:ngsi-ld:Gauge:{{{{(first + k) % entities}}}}", "type": "Gauge", "seq": {"type": "Property", "value": {{{{first + k}}}}}}""");
                }
                items.Append(']');
                using var response = await client.PostAsync("/ngsi-ld/v1/entityOperations/upsert?options=update",
                    new StringContent(items.ToString(), Encoding.UTF8, "application/json"));
                var at = Stopwatch.GetTimestamp();
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"upsert answered {(int)response.StatusCode}");
                for (var k = 0; k < batch; k++) acknowledged.TryAdd(first + k, at);
            }));
        }
        await Task.WhenAll(inFlight);
        await WaitForAsync(() => fanReceipts.Count >= acknowledged.Count * subscriptions, TimeSpan.FromSeconds(60));
        return (acknowledged, started);
    }
    if (only is not null && warmup > 0) await DriveAsync(warmup);
    fanReceipts.Clear();
    var cpuBefore = CityosCpu();
    var (acked, startedAt) = await DriveAsync(seconds);
    var cpuPerNotification = (CityosCpu() - cpuBefore).TotalMicroseconds / Math.Max(1, fanReceipts.Count);
    var expected = acked.Count * subscriptions;
    var latencies = fanReceipts.Where(r => acked.ContainsKey(r.Key.Seq))
        .Select(r => Math.Max(0, Stopwatch.GetElapsedTime(acked[r.Key.Seq], r.Value).TotalMilliseconds)).Order().ToArray();
    var lastReceipt = fanReceipts.Values.DefaultIfEmpty(startedAt).Max();
    var perSecond = latencies.Length / Stopwatch.GetElapsedTime(startedAt, lastReceipt).TotalSeconds;
    var lost = expected - latencies.Length;
    var (p50, p99, max) = (Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.LastOrDefault());
    return ($"| fan-out: {subscriptions} subscriptions, {rate} updates/s (batches of {batch}) for {seconds} s, one receiver | {acked.Count} | {latencies.Length} | {lost} | {p50:0.00} | {p99:0.00} | {max:0.00} | {perSecond:0} | {cpuPerNotification:0} |",
        new { subscriptions, rate, seconds, writes = acked.Count, notifications = latencies.Length, expected, lost, p50_ms = p50, p99_ms = p99, max_ms = max, notifications_per_second = perSecond, cityos_cpu_us_per_notification = cpuPerNotification });
}

async Task PostAsync(string path, string json)
{
    using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
}

static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
{
    var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    while (!condition() && Stopwatch.GetTimestamp() < deadline) await Task.Delay(20);
}

static async Task WaitHealthyAsync(HttpClient client)
{
    for (var i = 0; i < 300; i++)
    {
        try
        {
            if ((await client.GetAsync("/health")).IsSuccessStatusCode) return;
        }
        catch (HttpRequestException)
        {
        }
        await Task.Delay(100);
    }
    throw new TimeoutException("cityos did not start");
}

// CPU time (user + system) the cityos process has used so far.
TimeSpan CityosCpu()
{
    cityos.Refresh();
    return cityos.TotalProcessorTime;
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
