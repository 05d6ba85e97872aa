using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Temporal;
using CityOS.Context.Temporal.Storage;
using CityOS.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

// Temporal query latency over 1,000,000 stored instances: 100 sensors, one temperature each, one week.
// Loads the instances straight through the temporal store, then times the real HTTP API in-process.
// Usage: dotnet run -c Release --project bench/temporal [sensors] [instancesPerSensor] [queries]
var sensors = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
var perSensor = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
var queries = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1_000;
var data = Path.Combine(Path.GetTempPath(), "cityos-bench-temporal-" + Guid.NewGuid().ToString("N"));
var week = TimeSpan.FromDays(7);
var start = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
const string Temperature = "https://uri.etsi.org/ngsi-ld/default-context/temperature";
const string SensorType = "https://uri.etsi.org/ngsi-ld/default-context/Sensor";

var app = CityOsHost.Build(["--urls", "http://127.0.0.1:0", "--data", data, "--Logging:LogLevel:Default", "Warning"]);
await app.StartAsync();
try
{
    var store = app.Services.GetRequiredService<ITemporalStore>();
    var load = Stopwatch.StartNew();
    var step = week / perSensor;
    var random = new Random(42);
    for (var s = 0; s < sensors; s++)
    {
        var instances = new List<(string, StoredInstance)>(perSensor);
        for (var i = 0; i < perSensor; i++)
        {
            var at = start + step * i;
            instances.Add((Temperature, new StoredInstance(StoredInstance.NewId(), new NgsiAttribute
            {
                Kind = AttributeKind.Property,
                Value = Math.Round(15 + 10 * Math.Sin(i / 500.0) + random.NextDouble(), 2),
                ObservedAt = at,
                CreatedAt = at,
                ModifiedAt = at,
            })));
        }
        await store.AppendAsync(null, new TemporalWrite(SensorId(s), [SensorType], null, start, instances), CancellationToken.None);
    }
    load.Stop();
    var total = (long)sensors * perSensor;
    Console.Error.WriteLine($"loaded {total:N0} instances in {load.Elapsed.TotalSeconds:F1} s ({total / load.Elapsed.TotalSeconds:N0}/s)");

    var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    using var client = new HttpClient { BaseAddress = new Uri(address) };
    var end = start + week;
    var between = $"timerel=between&timeAt={Iso(start)}&endTimeAt={Iso(end)}";
    var scenarios = new (string Name, string Query, int Count, double TargetMs)[]
    {
        ("lastN=100", "attrs=temperature&lastN=100", queries, 10),
        ("hourly avg, one week", $"attrs=temperature&options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT1H&{between}", Math.Max(50, queries / 5), 100),
    };
    var results = new JsonArray();
    Console.WriteLine($"| query ({total:N0} instances, {sensors} sensors) | requests | p50 ms | p99 ms | target p99 ms |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    foreach (var (name, query, count, target) in scenarios)
    {
        for (var i = 0; i < 20; i++) await GetAsync(client, SensorId(i % sensors), query);
        var latencies = new double[count];
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            await GetAsync(client, SensorId(random.Next(sensors)), query);
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(latencies);
        var p50 = latencies[(int)(count * 0.50)];
        var p99 = latencies[Math.Min(count - 1, (int)(count * 0.99))];
        Console.WriteLine($"| {name} | {count} | {p50:F2} | {p99:F2} | {target} |");
        results.Add(new JsonObject { ["query"] = name, ["requests"] = count, ["p50Ms"] = Math.Round(p50, 3), ["p99Ms"] = Math.Round(p99, 3), ["targetP99Ms"] = target });
    }
    var report = new JsonObject { ["instances"] = total, ["sensors"] = sensors, ["loadSeconds"] = Math.Round(load.Elapsed.TotalSeconds, 1), ["results"] = results };
    var output = Path.Combine(AppContext.BaseDirectory, "temporal-results.json");
    File.WriteAllText(output, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    Console.Error.WriteLine($"wrote {output}");
}
finally
{
    await app.StopAsync();
    await app.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(data, recursive: true);
}

static string SensorId(int index) => $"urn:ngsi-ld:Sensor:{index:D3}";

static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

static async Task GetAsync(HttpClient client, string id, string query)
{
    using var response = await client.GetAsync($"/ngsi-ld/v1/temporal/entities/{id}?{query}");
    var body = await response.Content.ReadAsByteArrayAsync();
    if (!response.IsSuccessStatusCode || body.Length < 100) throw new InvalidOperationException($"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
}
