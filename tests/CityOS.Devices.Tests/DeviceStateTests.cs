using System.Net;
using System.Text.Json.Nodes;
using CityOS.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Devices.Tests;

/// <summary>A host whose clock the test moves (devices fall silent when their timeout passes without a measure).</summary>
public sealed class DeviceStateHost : CityOsTestHost
{
    public TestClock Clock { get; } = new() { Now = DateTimeOffset.UtcNow };

    protected override void OverrideServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

public sealed class DeviceStateTests(DeviceStateHost host) : IClassFixture<DeviceStateHost>
{
    private readonly HttpClient _http = host.Client;

    private async Task<JsonObject> DeviceAsync(string tenant, string id)
    {
        var response = await host.Client.GetAsync("/iot/devices/" + id, tenant);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    [Fact]
    public async Task A_device_shows_its_last_measure_its_counts_and_falls_silent_after_its_timeout()
    {
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync("/iot/services", "state", """
            {"services": [{"apikey": "statekey", "entity_type": "Gauge", "timeout": 600}]}
            """)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync("/iot/devices", "state", """
            {"devices": [{"device_id": "g1", "apikey": "statekey", "timeout": 30, "attributes": [{"object_id": "l", "name": "level", "type": "Number"}]},
                         {"device_id": "g2", "apikey": "statekey"}]}
            """)).StatusCode);

        var fresh = await DeviceAsync("state", "g1");
        Assert.Equal(30, (int)fresh["timeout"]!);
        Assert.Equal(0, (long)fresh["measureCount"]!);
        Assert.Equal(0, (long)fresh["errorCount"]!);
        Assert.Null(fresh["lastMeasure"]);
        Assert.True((bool)fresh["silent"]!);   // provisioned with a timeout and never heard from
        Assert.Equal(600, (int)(await DeviceAsync("state", "g2"))["timeout"]!);   // the group's default

        var sentAt = host.Clock.Now;
        Assert.Equal(HttpStatusCode.OK, (await _http.MeasureAsync("/iot/d?k=statekey&i=g1", "l|1.5")).StatusCode);
        host.Clock.Advance(TimeSpan.FromSeconds(10));
        var lastAt = host.Clock.Now;
        Assert.Equal(HttpStatusCode.OK, (await _http.MeasureAsync("/iot/d?k=statekey&i=g1", "l|2.5")).StatusCode);
        // A value that does not fit the mapping: refused, counted as an error, nothing written.
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.MeasureAsync("/iot/d?k=statekey&i=g1", "l|high")).StatusCode);

        var active = await DeviceAsync("state", "g1");
        Assert.Equal(2, (long)active["measureCount"]!);
        Assert.Equal(1, (long)active["errorCount"]!);
        Assert.Equal(lastAt, DateTimeOffset.Parse((string)active["lastMeasure"]!), TimeSpan.FromMilliseconds(1));
        Assert.NotEqual(sentAt, lastAt);
        Assert.False((bool)active["silent"]!);
        Assert.Equal(2.5, (double)(await _http.EntityAsync("state", "urn:ngsi-ld:Gauge:g1"))!["level"]!["value"]!);

        host.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.True((bool)(await DeviceAsync("state", "g1"))["silent"]!);
        // The list shows the same state.
        var list = await (await _http.GetAsync("/iot/devices", "state")).JsonAsync();
        var listed = list["devices"]!.AsArray().Single(d => (string)d!["device_id"]! == "g1")!;
        Assert.True((bool)listed["silent"]!);
        Assert.Equal(2, (long)listed["measureCount"]!);

        // A measure again: no longer silent.
        Assert.Equal(HttpStatusCode.OK, (await _http.MeasureAsync("/iot/d?k=statekey&i=g1", "l|3")).StatusCode);
        var back = await DeviceAsync("state", "g1");
        Assert.False((bool)back["silent"]!);
        Assert.Equal(3, (long)back["measureCount"]!);
    }

    [Fact]
    public async Task A_device_without_a_timeout_is_never_silent_and_its_state_survives_a_restart_but_not_its_deletion()
    {
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync("/iot/services", "keep", """{"services": [{"apikey": "keepkey", "entity_type": "Meter"}]}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.MeasureAsync("/iot/d?k=keepkey&i=m1", "p|1")).StatusCode);   // autoprovisioned
        Assert.Equal(HttpStatusCode.OK, (await _http.MeasureAsync("/iot/d?k=keepkey&i=m1", "p|2")).StatusCode);
        host.Clock.Advance(TimeSpan.FromDays(30));
        var idle = await DeviceAsync("keep", "m1");
        Assert.False((bool)idle["silent"]!);
        Assert.Null(idle["timeout"]);

        await host.RestartAsync();
        var restarted = await DeviceAsync("keep", "m1");
        Assert.Equal(2, (long)restarted["measureCount"]!);
        Assert.Equal((string)idle["lastMeasure"]!, (string)restarted["lastMeasure"]!);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/iot/devices/m1");
        delete.Headers.Add("fiware-service", "keep");
        delete.Headers.Add("fiware-servicepath", "/");
        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.SendAsync(delete)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.MeasureAsync("/iot/d?k=keepkey&i=m1", "p|3")).StatusCode);   // provisioned anew
        Assert.Equal(1, (long)(await DeviceAsync("keep", "m1"))["measureCount"]!);
    }

    [Theory]
    [InlineData("\"soon\"")]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("-10")]
    public async Task A_timeout_that_is_not_a_whole_number_of_seconds_is_refused_naming_the_field(string timeout)
    {
        var response = await _http.ProvisionAsync("/iot/devices", "badtimeout",
            $$"""{"devices": [{"device_id": "t1", "timeout": {{timeout}}}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("devices[0].timeout", (string)(await response.JsonAsync())["message"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/iot/devices/t1", "badtimeout")).StatusCode);
    }
}
