using System.Globalization;
using System.Net;
using System.Text;

namespace CityOS.Server.Tests;

/// <summary>/metrics as Prometheus scrapes it from a real cityos: figures that move with what the server does.</summary>
public sealed class MetricsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "cityos-metrics-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Requests_commits_notifications_and_measures_move_the_figures_of_metrics()
    {
        await using var server = await CityOsProcess.StartAsync(_data);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        await client.GetAsync("/ngsi-ld/v1/entities?type=Meter");
        var before = await ScrapeAsync(client);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/ngsi-ld/v1/entities", Json($$$"""{"id": "urn:ngsi-ld:Meter:{{{i}}}", "type": "Meter", "reading": {"type": "Property", "value": {{{i}}}}}"""))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("/ngsi-ld/v1/entities", Json("""{"id": "urn:ngsi-ld:Meter:0", "type": "Meter"}"""))).StatusCode);
        var nobody = CityOsProcess.FreePort();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/ngsi-ld/v1/subscriptions", Json($$$$"""
            {"id": "urn:ngsi-ld:Subscription:m", "type": "Subscription", "entities": [{"type": "Meter"}],
             "notification": {"endpoint": {"uri": "http://127.0.0.1:{{{{nobody}}}}/notify", "accept": "application/json"}}}
            """))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Meter:1/attrs", Json("""{"reading": {"type": "Property", "value": 9}}"""))).StatusCode);
        using (var provision = new HttpRequestMessage(HttpMethod.Post, "/iot/services") { Content = Json("""{"services": [{"apikey": "mkey", "entity_type": "Sensor", "resource": "/iot/d"}]}""") })
        {
            provision.Headers.Add("fiware-service", "metrics");
            provision.Headers.Add("fiware-servicepath", "/");
            Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(provision)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/iot/d?k=mkey&i=s1", new StringContent("t|21", Encoding.UTF8, "text/plain"))).StatusCode);

        string after = "";
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            after = await ScrapeAsync(client);
            return Sum(after, "cityos_notifications_total", "outcome=\"failed\"") > Sum(before, "cityos_notifications_total", "outcome=\"failed\"");
        }, 30_000), "no failed notification counted:\n" + after);

        Assert.Equal(3, Sum(after, "http_server_request_duration_seconds_count", "http_route=\"/ngsi-ld/v1/entities/\"", "http_response_status_code=\"201\"")
            - Sum(before, "http_server_request_duration_seconds_count", "http_route=\"/ngsi-ld/v1/entities/\"", "http_response_status_code=\"201\""));
        Assert.Equal(1, Sum(after, "http_server_request_duration_seconds_count", "http_route=\"/ngsi-ld/v1/entities/\"", "http_response_status_code=\"409\""));
        Assert.Contains("http_server_request_duration_seconds_bucket{", after);
        Assert.True(Sum(after, "cityos_store_commits_total", "outcome=\"committed\"") >= Sum(before, "cityos_store_commits_total", "outcome=\"committed\"") + 4);
        Assert.True(Sum(after, "cityos_store_commit_writes_count") >= Sum(before, "cityos_store_commit_writes_count") + 4);
        Assert.True(Sum(after, "cityos_store_commit_writes_sum") >= Sum(before, "cityos_store_commit_writes_sum") + 4);
        Assert.True(Sum(after, "cityos_store_commit_duration_seconds_sum") > Sum(before, "cityos_store_commit_duration_seconds_sum"));
        Assert.Equal(1, Sum(after, "cityos_devices_measures_total", "outcome=\"stored\"") - Sum(before, "cityos_devices_measures_total", "outcome=\"stored\""));
        Assert.True(Sum(after, "dotnet_process_cpu_time_seconds_total") > 0, "no process CPU time:\n" + after);
        Assert.True(Sum(after, "dotnet_gc_heap_total_allocated_bytes_total") > Sum(before, "dotnet_gc_heap_total_allocated_bytes_total"));
    }

    [Fact]
    public async Task Metrics_answer_only_the_allowed_networks()
    {
        await using var server = await CityOsProcess.StartAsync(_data, arguments: ["--CityOS:Metrics:AllowedNetworks:0", "10.0.0.0/8"]);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("CityOS:Metrics:AllowedNetworks", await response.Content.ReadAsStringAsync());
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    private static double Sum(string scrape, string name, params string[] labels) =>
        scrape.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labels.All(line.Contains))
            .Sum(line => double.Parse((line.Contains('}') ? line[(line.LastIndexOf('}') + 1)..] : line[name.Length..])
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture));
}
