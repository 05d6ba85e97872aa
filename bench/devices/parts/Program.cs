using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Security;
using CityOS.Devices.Http;
using CityOS.Devices.Import;
using CityOS.Devices.Model;
using CityOS.Devices.Rules;
using CityOS.Devices.Services;
using CityOS.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

// Where the CPU of one measure goes, part by part, in-process (no network, no load generator on the CPU): decoding
// UltraLight and JSON, the device lookup, the mapping, the broker's UpsertBatch by batch size with the background work it
// leaves (history, the followers of the change journal), and the whole MeasureIngest path with DEVICES devices sending at
// once (MeasureBatcher). Each part runs alone once the process is idle; CPU is the process's (user + system, every thread).
// Usage: dotnet run -c Release --project bench/devices/parts [devices=1000] [measures=20000] [history=on|off] [only=PART]
// (only: the parts whose name contains PART, e.g. to `perf record` one of them; DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
// name the JIT frames for perf, see bench/devices/perf-parts.py).
var devices = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var measures = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
var history = args.Length <= 2 || args[2] != "off";
var only = args.Length > 3 ? args[3] : "";
const string Apikey = "benchkey0000000000000000";
const string Tenant = "bench";
var data = Path.Combine(Path.GetTempPath(), "cityos-bench-devices-" + Guid.NewGuid().ToString("N"));

var app = CityOsHost.Build(["--urls", "http://127.0.0.1:0", "--data", data, "--Logging:LogLevel:Default", "Warning", "--CityOS:Mqtt:Broker:Port", "0",
    "--CityOS:Temporal:History", history ? "true" : "false"]);
await app.StartAsync();
var rows = new List<string>();
try
{
    var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    using (var http = new HttpClient { BaseAddress = new Uri(address) }) await ProvisionAsync(http, devices);
    var ingest = app.Services.GetRequiredService<MeasureIngest>();
    var writer = app.Services.GetRequiredService<IContextWriter>();
    var ids = Enumerable.Range(0, devices).Select(n => $"dev{n:D4}").ToArray();
    // Each device's first measure creates its entity and fills the lookups: not measured.
    await Task.WhenAll(ids.Select(id => ingest.IngestAsync(null, Apikey, id, UltraLight.Parse("t|0"), null, CancellationToken.None)));
    var resolved = new Device[devices];
    for (var n = 0; n < devices; n++) resolved[n] = await ingest.ResolveAsync(null, Apikey, ids[n], null, CancellationToken.None);
    var value = 1;
    var sink = 0;
    // Warm-up, not measured: the JIT's tiers settle on the paths measured below (single writes and batched measures).
    var warmCall = AgentCall();
    for (var i = 0; i < 2000; i++)
        await writer.UpsertBatchAsync(warmCall, [MeasureMapper.ToEntity(resolved[i % devices], UltraLight.Parse("t|" + value++), DateTimeOffset.UtcNow)], update: true, CancellationToken.None);
    for (var round = 0; round < 5; round++)
        await Task.WhenAll(ids.Select(id => ingest.IngestAsync(null, Apikey, id, UltraLight.Parse("t|" + Interlocked.Increment(ref value)), null, CancellationToken.None)));

    await PartAsync("decode UltraLight t|N (UltraLight.Parse)", measures, () =>
    {
        for (var i = 0; i < measures; i++) sink += UltraLight.Parse("t|" + value++).Count;
        return Task.CompletedTask;
    });
    await PartAsync("decode JSON {\"t\":N} (JsonNode.Parse + JsonMeasures.Groups)", measures, () =>
    {
        var options = new JsonDocumentOptions { MaxDepth = 32 };
        for (var i = 0; i < measures; i++) sink += JsonMeasures.Groups(JsonNode.Parse(Encoding.UTF8.GetBytes($"{{\"t\":{value++}}}"), documentOptions: options)!).Count;
        return Task.CompletedTask;
    });
    await PartAsync("device lookup, MQTT (group by apikey, device, defaults)", measures, async () =>
    {
        for (var i = 0; i < measures; i++) sink += (await ingest.ResolveAsync(null, Apikey, ids[i % devices], null, CancellationToken.None)).Attributes.Count;
    });
    await PartAsync("device lookup, HTTP /iot/d (group by resource, device, defaults)", measures, async () =>
    {
        for (var i = 0; i < measures; i++) sink += (await ingest.ResolveAsync("/iot/d", Apikey, ids[i % devices], null, CancellationToken.None)).Attributes.Count;
    });
    var now = DateTimeOffset.UtcNow;
    await PartAsync("mapping (MeasureMapper.ToEntity)", measures, () =>
    {
        var groups = UltraLight.Parse("t|21.5");
        for (var i = 0; i < measures; i++) sink += MeasureMapper.ToEntity(resolved[i % devices], groups, now).Count;
        return Task.CompletedTask;
    });
    foreach (var size in new[] { 1, 10, 100, MeasureBatcher.MaxBatch })
    {
        var count = size == 1 ? Math.Min(measures, 5000) : measures - measures % size;
        var fragments = Enumerable.Range(0, count).Select(i => MeasureMapper.ToEntity(resolved[i % devices], UltraLight.Parse("t|" + value++), now)).ToList();
        await PartAsync($"broker UpsertBatch, {size} entit{(size == 1 ? "y" : "ies")} per call", count, async () =>
        {
            var call = AgentCall();
            for (var start = 0; start < count; start += size)
            {
                var result = await writer.UpsertBatchAsync(call, fragments.GetRange(start, size), update: true, CancellationToken.None);
                if (result.Errors.Count > 0) throw new InvalidOperationException(result.Errors[0].Error.Detail);
            }
        });
    }
    var batches = new List<int>();
    using (var listener = new MeterListener())
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == MeasureBatcher.BatchSizeInstrument) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, size, _, _) => { lock (batches) batches.Add(size); });
        listener.Start();
        await PartAsync($"whole path: MeasureIngest, {devices} devices at once, one measure in flight each", measures - measures % devices, async () =>
        {
            var perDevice = measures / devices;
            await Task.WhenAll(ids.Select(async id =>
            {
                for (var i = 0; i < perDevice; i++)
                    await ingest.IngestAsync(null, Apikey, id, UltraLight.Parse("t|" + Interlocked.Increment(ref value)), null, CancellationToken.None);
            }));
        });
    }
    Console.Error.WriteLine($"(MeasureBatcher: {batches.Count} broker writes, {(batches.Count == 0 ? 0 : batches.Average()):F0} measures each on average; {sink})");

    // The file import of bench/devices/run.sh (gauges.csv: code,name,temp,lat,lon), part by part, on ROWS rows each.
    var rowsPerPart = measures * 5;
    var mapping = ImportMapping.FromParameters(name => name switch { "type" => "RiverGauge", "id" => "code", "lat" => "lat", "lon" => "lon", _ => null },
        name => name == "attr" ? ["name", "temp:temperature:Number:CEL"] : []);
    var gauge = 0;
    byte[] Gauges(int count)
    {
        var csv = new StringBuilder("code,name,temp,lat,lon\n");
        var random = new Random(7);
        for (var n = 0; n < count; n++, gauge++)
            csv.Append(CultureInfo.InvariantCulture, $"G{gauge:D7},gauge {gauge},{random.NextDouble() * 40 - 5:F2},{35.6 + random.NextDouble() * 0.2:F5},{139.6 + random.NextDouble() * 0.2:F5}\n");
        return Encoding.UTF8.GetBytes(csv.ToString());
    }
    var importCall = new ContextCall(CallerIdentity.Anonymous, "csv");
    var file = Gauges(rowsPerPart);
    var mapped = new List<JsonObject>(rowsPerPart);
    await PartAsync("import: read CSV rows (CsvRecordReader) and map them (RecordMapper)", rowsPerPart, async () =>
    {
        var mapper = new RecordMapper(mapping);
        await foreach (var record in CsvRecordReader.ReadAsync(new MemoryStream(file), ',', CancellationToken.None)) mapped.Add(mapper.Map(record).Entity!);
    });
    if (mapped.Count == 0)
    {
        var mapper = new RecordMapper(mapping);   // the part above was left out (only=...): the entities still have to be made
        await foreach (var record in CsvRecordReader.ReadAsync(new MemoryStream(file), ',', CancellationToken.None)) mapped.Add(mapper.Map(record).Entity!);
    }
    await PartAsync($"import: broker UpsertBatch creating the entities, {EntityImporter.ChunkSize} per call", mapped.Count, async () =>
    {
        for (var start = 0; start < mapped.Count; start += EntityImporter.ChunkSize)
        {
            var result = await writer.UpsertBatchAsync(importCall, mapped.GetRange(start, Math.Min(EntityImporter.ChunkSize, mapped.Count - start)), update: true, CancellationToken.None);
            if (result.Errors.Count > 0) throw new InvalidOperationException(result.Errors[0].Error.Detail);
        }
    });
    mapped.Clear();
    file = Gauges(rowsPerPart);
    var importer = app.Services.GetRequiredService<EntityImporter>();
    await PartAsync("import: whole path (EntityImporter: read, map, write while the next chunk is read)", rowsPerPart, () =>
        importer.ImportAsync(importCall, CsvRecordReader.ReadAsync(new MemoryStream(file), ',', CancellationToken.None), mapping, new ImportProgress(), CancellationToken.None));
}
finally
{
    await app.StopAsync();
    await app.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(data, recursive: true);
}
Console.WriteLine($"In-process, {Environment.ProcessorCount} cores, history {(history ? "on" : "off")}, {devices} devices, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end.");
Console.WriteLine();
Console.WriteLine("| part | measures | CPU µs per measure (in the call) | CPU µs per measure (with background work until idle) | per second (wall, one caller) | resident / managed heap after |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
foreach (var row in rows) Console.WriteLine(row);

async Task PartAsync(string name, int count, Func<Task> run)
{
    if (!name.Contains(only, StringComparison.Ordinal)) return;
    await IdleAsync();
    Console.Error.WriteLine($"{name}: pid {Environment.ProcessId}");
    var cpu = Cpu();
    var clock = Stopwatch.StartNew();
    await run();
    var wall = clock.Elapsed;
    var inCall = Cpu() - cpu;
    await IdleAsync();
    var withBackground = Cpu() - cpu;
    var row = $"| {name} | {count} | {inCall.TotalMicroseconds / count:F1} | {withBackground.TotalMicroseconds / count:F1} | {count / wall.TotalSeconds:F0} | {Resident()} / {GC.GetTotalMemory(forceFullCollection: true) >> 20} MB |";
    Console.Error.WriteLine(row);
    rows.Add(row);
}

// As MeasureBatcher writes: the agent's tenant-admin grant in the tenant.
static ContextCall AgentCall() => new(new CallerIdentity
{
    Subject = "bench-devices",
    TenantRoles = new Dictionary<string, IReadOnlyList<string>> { [SecurityTenants.Key(Tenant)] = [MeasureIngest.AgentRole] },
}, Tenant);

static long Resident()
{
    using var self = Process.GetCurrentProcess();
    return self.WorkingSet64 >> 20;
}

static TimeSpan Cpu()
{
    using var self = Process.GetCurrentProcess();
    return self.TotalProcessorTime;
}

// Idle: less than 10 ms of CPU in half a second (history and the journal's followers have caught up).
static async Task IdleAsync()
{
    for (var i = 0; i < 240; i++)
    {
        var before = Cpu();
        await Task.Delay(500);
        if (Cpu() - before < TimeSpan.FromMilliseconds(10)) return;
    }
}

static async Task ProvisionAsync(HttpClient http, int count)
{
    await SendAsync(http, "/iot/services", new JsonObject
    {
        ["services"] = new JsonArray(new JsonObject { ["apikey"] = Apikey, ["entity_type"] = "Meter", ["resource"] = "/iot/d", ["password"] = "bench-password" }),
    });
    for (var start = 0; start < count; start += 500)
    {
        var batch = new JsonArray();
        for (var n = start; n < Math.Min(count, start + 500); n++)
        {
            batch.Add(new JsonObject
            {
                ["device_id"] = $"dev{n:D4}", ["entity_name"] = $"urn:ngsi-ld:Meter:dev{n:D4}", ["entity_type"] = "Meter", ["apikey"] = Apikey,
                ["attributes"] = new JsonArray(new JsonObject { ["object_id"] = "t", ["name"] = "temperature", ["type"] = "Number" }),
            });
        }
        await SendAsync(http, "/iot/devices", new JsonObject { ["devices"] = batch });
    }
}

static async Task SendAsync(HttpClient http, string path, JsonObject body)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
    request.Headers.Add("fiware-service", Tenant);
    request.Headers.Add("fiware-servicepath", "/");
    using var response = await http.SendAsync(request);
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
}
