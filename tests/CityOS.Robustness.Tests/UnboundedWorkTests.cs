namespace CityOS.Robustness.Tests;

/// <summary>Class 3 of issue 9: one request must not buy unbounded memory or CPU, and /health stays fast while it is tried.</summary>
[Collection(RealProcessCollection.Name)]
public sealed class UnboundedWorkTests
{
    private const int ConcurrentQueries = 8;

    [Fact]
    public async Task Huge_geometries_neither_take_the_memory_nor_slow_health_under_concurrent_near_queries()
    {
        await using var city = await HostileCity.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await city.SendJsonAsync($"an ordinary road ({i})", Expect.Status(201), HttpMethod.Post, "/ngsi-ld/v1/entities",
                Hostile.Entity($"urn:ngsi-ld:Road:{i}", "Road", $$$"""
                    "location": {"type": "GeoProperty", "value": {"type": "LineString", "coordinates": [[139.{{{i}}}, 35.5], [139.{{{i}}}5, 35.6]]}}
                    """));
        }

        await city.SendJsonAsync("a batch holding one LineString of 10^6 points", Expect.ClientError, HttpMethod.Post, "/ngsi-ld/v1/entityOperations/create",
            "[" + Hostile.Entity("urn:ngsi-ld:Road:huge", "Road", "\"location\": {\"type\": \"GeoProperty\", \"value\": " + Hostile.LineString(1_000_000) + "}") + "]",
            timeout: TimeSpan.FromSeconds(120));
        var afterBatch = city.ResidentBytes();

        var hugeQueryCoordinates = Hostile.Coordinates(100_000);
        using var attackOver = new CancellationTokenSource();
        var health = new List<TimeSpan>();
        long peakResident = afterBatch;
        var sampling = Task.Run(async () =>
        {
            // Only samples taken while the queries run count: /health must be fast under the attack, not after it.
            do
            {
                health.Add(await HealthOrAsync(city, TimeSpan.FromSeconds(10)));
                peakResident = Math.Max(peakResident, city.ResidentBytes());
                await Task.Delay(50);
            }
            while (!attackOver.IsCancellationRequested);
        });
        var attack = Enumerable.Range(0, ConcurrentQueries).SelectMany(i => new[]
        {
            city.SendJsonAsync($"a near query with a LineString of 10^5 points ({i})", Expect.OneOf(200, 400, 413), HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query",
                $$$$"""{"type": "Query", "entities": [{"type": "Road"}], "geoQ": {"geometry": "LineString", "coordinates": {{{{hugeQueryCoordinates}}}}, "georel": "near;maxDistance==1000"}}""",
                timeout: TimeSpan.FromSeconds(30)),
            city.SendAsync($"a near query by point ({i})", Expect.Status(200), HttpMethod.Get,
                $"/ngsi-ld/v1/entities?type=Road&georel={Hostile.Escape("near;maxDistance==2000")}&geometry=Point&coordinates={Hostile.Escape("[139.5,35.5]")}",
                timeout: TimeSpan.FromSeconds(30)),
        }).ToArray();
        await Task.WhenAll(attack);
        attackOver.Cancel();
        await sampling;

        var median = health.Order().ElementAt(health.Count / 2);
        if (median >= HostileCity.HealthBound)
        {
            city.Violation($"during {ConcurrentQueries * 2} concurrent near queries the median of {health.Count} GET /health took {median.TotalMilliseconds:0} ms (slowest {health.Max().TotalMilliseconds:0} ms), bound {HostileCity.HealthBound.TotalMilliseconds} ms");
        }
        if (peakResident > HostileCity.ResidentMemoryBound)
        {
            city.Violation($"cityos held up to {peakResident / (1024 * 1024)} MB resident (after the batch: {afterBatch / (1024 * 1024)} MB), bound {HostileCity.ResidentMemoryBound / (1024 * 1024)} MB");
        }
        await city.AssertEverythingElseStillWorksAsync("after the huge geometries");
    }

    private static async Task<TimeSpan> HealthOrAsync(HostileCity city, TimeSpan timeout)
    {
        try
        {
            return await city.HealthLatencyAsync().WaitAsync(timeout);
        }
        catch (Exception error) when (error is TimeoutException or HttpRequestException)
        {
            return timeout;
        }
    }
}
