using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Security;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CityOS.Catalog.Tests;

/// <summary>Live distributions: an entity type of the tenant, read from the broker (through IContextReader) when downloaded.</summary>
[Collection(MemoryMeasuredCollection.Name)]
public sealed class LiveDataTests(CatalogHost host, ITestOutputHelper output) : IClassFixture<CatalogHost>
{
    /// <summary>A caller who may do everything, for the entities the tests write through the context API.</summary>
    private static readonly CallerIdentity Administrator = new()
    {
        Subject = "catalog-tests",
        TenantRoles = new Dictionary<string, IReadOnlyList<string>> { [SecurityTenants.All] = ["system-admin"] },
    };

    private static string NewTenant() => "l" + Guid.NewGuid().ToString("N")[..12];

    private IContextWriter Writer => host.Services.GetRequiredService<IContextWriter>();

    /// <summary>A CSV download read back with CsvHelper: the header and the rows by column name.</summary>
    private static async Task<(string[] Header, List<Dictionary<string, string>> Rows)> ReadCsvAsync(string text)
    {
        await using var csv = CsvHelper.CsvReader.Create(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), new CsvHelper.CsvReaderOptions { HasHeader = true }, leaveOpen: false);
        await csv.ReadHeaderAsync(default);
        string[] header = [.. csv.Headers];
        var rows = new List<Dictionary<string, string>>();
        while (await csv.ReadAsync(default)) rows.Add(header.Select((h, i) => KeyValuePair.Create(h, csv.GetString(i))).ToDictionary());
        return (header, rows);
    }

    private static JsonObject Gauge(int n, double level, string name, double longitude) => new()
    {
        ["id"] = $"urn:ngsi-ld:WaterLevelObserved:{n}",
        ["type"] = "WaterLevelObserved",
        ["name"] = new JsonObject { ["type"] = "Property", ["value"] = name },
        ["waterLevel"] = new JsonObject { ["type"] = "Property", ["value"] = level, ["unitCode"] = "MTR" },
        ["refDevice"] = new JsonObject { ["type"] = "Relationship", ["object"] = $"urn:ngsi-ld:Device:{n}" },
        ["location"] = new JsonObject
        {
            ["type"] = "GeoProperty",
            ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(longitude, 34.69) },
        },
    };

    private async Task<(HttpResponseMessage Response, string Body)> GetAsync(string url, string tenant)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("NGSILD-Tenant", tenant);
        var response = await host.Client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_live_resource_downloads_the_entities_of_its_type_as_they_are_now_in_CSV_GeoJSON_and_JSON()
    {
        var tenant = NewTenant();
        var call = new ContextCall(Administrator, tenant);
        await Writer.CreateAsync(call, Gauge(1, 1.25, "新町", 135.19), default);
        await Writer.CreateAsync(call, Gauge(2, 0.75, "Kobe, \"central\"", 135.2), default);
        await Writer.CreateAsync(call, new JsonObject { ["id"] = "urn:ngsi-ld:Shelter:1", ["type"] = "Shelter" }, default);
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "water-levels", title = "河川水位（リアルタイム）" }, tenant);
        var resource = await Ckan.ResultAsync(host.Client, "resource_create",
            new { package_id = "water-levels", name = "現在の水位", url_type = "live", ngsi_type = "WaterLevelObserved", format = "CSV" }, tenant);
        Assert.Equal("live", resource["url_type"]!.GetValue<string>());
        Assert.Equal("WaterLevelObserved", resource["ngsi_type"]!.GetValue<string>());
        Assert.Equal("text/csv", resource["mimetype"]!.GetValue<string>());
        var url = resource["url"]!.GetValue<string>();
        Assert.Equal($"{host.BaseAddress.ToString().TrimEnd('/')}/dataset/{resource["package_id"]}/resource/{resource["id"]}/download/WaterLevelObserved.csv", url);

        var (response, csv) = await GetAsync(url, tenant);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var (header, rows) = await ReadCsvAsync(csv);
        Assert.Equal(new[] { "id", "type" }, header[..2]);
        Assert.Equal(new[] { "location", "name", "refDevice", "waterLevel" }, header[2..].Order(StringComparer.Ordinal));
        Assert.Equal(2, rows.Count);
        var first = rows.Single(r => r["id"] == "urn:ngsi-ld:WaterLevelObserved:1");
        Assert.Equal("WaterLevelObserved", first["type"]);
        Assert.Equal("新町", first["name"]);
        Assert.Equal("1.25", first["waterLevel"]);
        Assert.Equal("urn:ngsi-ld:Device:1", first["refDevice"]);
        Assert.Equal("""{"type":"Point","coordinates":[135.19,34.69]}""", first["location"]);
        Assert.Equal("Kobe, \"central\"", rows.Single(r => r["id"] == "urn:ngsi-ld:WaterLevelObserved:2")["name"]);
        Assert.Contains("\"Kobe, \"\"central\"\"\"", csv);

        // Always current: a new entity is in the next download.
        await Writer.CreateAsync(call, Gauge(3, 2.5, "本町", 135.21), default);
        var (geoResponse, geo) = await GetAsync(url + "?format=geojson", tenant);
        Assert.Equal("application/geo+json", geoResponse.Content.Headers.ContentType!.MediaType);
        var collection = JsonNode.Parse(geo)!;
        Assert.Equal("FeatureCollection", collection["type"]!.GetValue<string>());
        var features = collection["features"]!.AsArray();
        Assert.Equal(3, features.Count);
        var third = features.Single(f => f!["id"]!.GetValue<string>() == "urn:ngsi-ld:WaterLevelObserved:3")!;
        Assert.Equal("Point", third["geometry"]!["type"]!.GetValue<string>());
        Assert.Equal(135.21, third["geometry"]!["coordinates"]![0]!.GetValue<double>(), 6);
        Assert.Equal(2.5, third["properties"]!["waterLevel"]!.GetValue<double>());
        Assert.Equal("本町", third["properties"]!["name"]!.GetValue<string>());
        Assert.Null(third["properties"]!["location"]);

        var (_, json) = await GetAsync(url + "?format=json", tenant);
        var entities = JsonNode.Parse(json)!.AsArray();
        Assert.Equal(3, entities.Count);
        Assert.All(entities, e => Assert.Equal("MTR", e!["waterLevel"]!["unitCode"]!.GetValue<string>()));

        // A query and an attribute list.
        var high = await Ckan.ResultAsync(host.Client, "resource_create",
            new { package_id = "water-levels", name = "高い水位", url_type = "live", ngsi_type = "WaterLevelObserved", ngsi_q = "waterLevel>1.0", ngsi_attrs = "waterLevel" }, tenant);
        var (_, highCsv) = await GetAsync(high["url"]!.GetValue<string>(), tenant);
        var (highHeader, highRows) = await ReadCsvAsync(highCsv);
        Assert.Equal(new[] { "id", "type", "waterLevel" }, highHeader);
        Assert.Equal(new[] { "urn:ngsi-ld:WaterLevelObserved:1=1.25", "urn:ngsi-ld:WaterLevelObserved:3=2.5" }, highRows.Select(r => r["id"] + "=" + r["waterLevel"]).Order(StringComparer.Ordinal));

        // Another tenant sees none of it; a tenant without entities downloads a file without rows.
        var (other, _) = await GetAsync(url, NewTenant());
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        var empty = NewTenant();
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "nothing-yet" }, empty);
        var none = await Ckan.ResultAsync(host.Client, "resource_create", new { package_id = "nothing-yet", url_type = "live", ngsi_type = "WaterLevelObserved", format = "JSON" }, empty);
        Assert.Equal("[]", (await GetAsync(none["url"]!.GetValue<string>(), empty)).Body);
    }

    [Fact]
    public async Task A_live_resource_without_a_type_or_with_a_bad_format_or_query_is_refused()
    {
        var tenant = NewTenant();
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "refusals" }, tenant);
        var (status, body) = await Ckan.PostAsync(host.Client, "resource_create", new { package_id = "refusals", url_type = "live", format = "XLSX", ngsi_georel = "near;maxDistance==100" }, tenant);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.False(body["success"]!.GetValue<bool>());
        Assert.Equal("Validation Error", body["error"]!["__type"]!.GetValue<string>());
        Assert.Equal("Missing value", body["error"]!["ngsi_type"]![0]!.GetValue<string>());
        Assert.NotNull(body["error"]!["format"]);
        Assert.NotNull(body["error"]!["ngsi_georel"]);
        Assert.Equal(0, (await Ckan.ResultAsync(host.Client, "package_show", new { id = "refusals" }, tenant))["num_resources"]!.GetValue<int>());

        var bad = await Ckan.ResultAsync(host.Client, "resource_create", new { package_id = "refusals", url_type = "live", ngsi_type = "Thing", ngsi_q = "level>>1" }, tenant);
        var (response, problem) = await GetAsync(bad["url"]!.GetValue<string>(), tenant);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("The live data's query was refused by the broker: ", JsonNode.Parse(problem)!["detail"]!.GetValue<string>());
        var (xlsx, _) = await GetAsync(bad["url"]!.GetValue<string>() + "?format=xlsx", tenant);
        Assert.Equal(HttpStatusCode.BadRequest, xlsx.StatusCode);
    }

    [Fact]
    public async Task A_live_CSV_of_100000_entities_has_every_row_once_with_flat_memory()
    {
        const int count = 100_000;
        var tenant = NewTenant();
        var call = new ContextCall(Administrator, tenant);
        var writing = Stopwatch.StartNew();
        for (var start = 0; start < count; start += 1000)
        {
            var batch = Enumerable.Range(start, 1000).Select(i => new JsonObject
            {
                ["id"] = $"urn:ngsi-ld:Meter:{i}",
                ["type"] = "Meter",
                ["seq"] = new JsonObject { ["type"] = "Property", ["value"] = i },
                ["location"] = new JsonObject { ["type"] = "GeoProperty", ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(135.0 + i % 100 / 1000.0, 34.7) } },
            }).ToList();
            var result = await Writer.CreateBatchAsync(call, batch, default);
            Assert.Empty(result.Errors);
        }
        output.WriteLine($"wrote {count} entities in {writing.Elapsed.TotalSeconds:F1} s");
        await Ckan.ResultAsync(host.Client, "package_create", new { name = "meters" }, tenant);
        var resource = await Ckan.ResultAsync(host.Client, "resource_create", new { package_id = "meters", url_type = "live", ngsi_type = "Meter" }, tenant);

        long rows = 0, sum = 0;
        var reading = Stopwatch.StartNew();
        long growth;
        await using (var memory = new MemorySampler())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, resource["url"]!.GetValue<string>());
            request.Headers.Add("NGSILD-Tenant", tenant);
            using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var csv = CsvHelper.CsvReader.Create(await response.Content.ReadAsStreamAsync(), new CsvHelper.CsvReaderOptions { HasHeader = true }, leaveOpen: false);
            await csv.ReadHeaderAsync(default);
            Assert.Equal(new[] { "id", "location", "seq", "type" }, csv.Headers.Order(StringComparer.Ordinal));
            var (id, type, seq) = (Array.IndexOf([.. csv.Headers], "id"), Array.IndexOf([.. csv.Headers], "type"), Array.IndexOf([.. csv.Headers], "seq"));
            while (await csv.ReadAsync(default))
            {
                rows++;
                var value = csv.GetString(seq);
                Assert.Equal("Meter", csv.GetString(type));
                Assert.Equal("urn:ngsi-ld:Meter:" + value, csv.GetString(id));
                sum += long.Parse(value, CultureInfo.InvariantCulture);
            }
            await memory.DisposeAsync();
            growth = Math.Max(memory.HeapGrowth, memory.WorkingSetGrowth);
        }
        var seconds = reading.Elapsed.TotalSeconds;
        output.WriteLine($"downloaded {rows} rows in {seconds:F2} s ({rows / seconds:F0} rows/s), memory grew {growth / 1024 / 1024} MB");
        Assert.Equal(count, rows);
        Assert.Equal((long)count * (count - 1) / 2, sum);
        Assert.True(growth < 100L * 1024 * 1024, $"the download grew memory by {growth / 1024 / 1024} MB");
    }
}
