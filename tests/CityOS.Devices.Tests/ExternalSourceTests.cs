using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityOS.Devices.Tests;

/// <summary>
/// External systems (AM-2) CityOS polls: a real HTTP server on loopback plays a city's open-data site (a CSV that changes)
/// and its JSON API (records wrapped, an API key); the polls' entities and run history are read back through the APIs.
/// </summary>
public sealed class ExternalSourceTests : IClassFixture<CityOsTestHost>, IAsyncLifetime
{
    private readonly HttpClient _http;
    private WebApplication _site = null!;
    private Uri _siteAddress = null!;
    private volatile string _csv = "code,name,level\nR1,Tama river,1.5\nR2,Sagami river,2\n";

    public ExternalSourceTests(CityOsTestHost host) => _http = host.Client;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _site = builder.Build();
        _site.MapGet("/open-data/levels.csv", () => Results.Text(_csv, "text/csv"));
        _site.MapGet("/api/shelters", (HttpRequest request) => request.Headers["X-Api-Key"] == "s3cret"
            ? Results.Text("""{"meta":{"count":2},"data":{"items":[{"sid":"H1","name":"第一小学校","capacity":300},{"sid":"H2","name":"市民会館","capacity":"many"}]}}""", "application/json")
            : Results.StatusCode(401));
        _site.MapGet("/down", () => Results.StatusCode(503));
        _site.MapGet("/garbage.json", () => Results.Text("[{\"id\":\"x\",", "application/json"));
        await _site.StartAsync();
        _siteAddress = new Uri(_site.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync() => await _site.DisposeAsync();

    private string SiteUrl(string path) => new Uri(_siteAddress, path).ToString();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string tenant, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("NGSILD-Tenant", tenant);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return await _http.SendAsync(request);
    }

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private async Task<JsonObject> RegisterAsync(string tenant, JsonObject registration)
    {
        var response = await SendAsync(HttpMethod.Post, tenant, "/import/v1/sources", registration);
        var body = await BodyAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToJsonString());
        Assert.Equal($"/import/v1/sources/{body["id"]}", response.Headers.Location?.ToString());
        return body.AsObject();
    }

    private async Task<JsonObject> RunNowAsync(string tenant, string id)
    {
        var response = await SendAsync(HttpMethod.Post, tenant, $"/import/v1/sources/{id}/run");
        var body = await BodyAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        return body.AsObject();
    }

    private JsonObject LevelsSource(string name = "River levels") => new()
    {
        ["name"] = name,
        ["url"] = SiteUrl("/open-data/levels.csv"),
        ["intervalSeconds"] = 3600,
        ["mapping"] = new JsonObject
        {
            ["type"] = "WaterLevel", ["id"] = "code",
            ["attributes"] = new JsonArray(new JsonObject { ["column"] = "name" }, new JsonObject { ["column"] = "level", ["name"] = "height", ["type"] = "Number", ["unit"] = "MTR" }),
        },
    };

    [Fact]
    public async Task A_registered_CSV_is_polled_at_once_then_on_demand_and_each_run_is_in_the_history()
    {
        var source = await RegisterAsync("poll1", LevelsSource());
        var id = (string)source["id"]!;
        Assert.Equal(3600, (int)source["intervalSeconds"]!);

        // The first poll is due at registration: the poller takes it within its next tick.
        Assert.True(await Eventually.TrueAsync(async () => await _http.EntityAsync("poll1", "urn:ngsi-ld:WaterLevel:R2") is not null));
        var r1 = (await _http.EntityAsync("poll1", "urn:ngsi-ld:WaterLevel:R1"))!;
        Assert.Equal(1.5, (double)r1["height"]!["value"]!);
        Assert.Equal("MTR", (string)r1["height"]!["unitCode"]!);
        Assert.True(await Eventually.TrueAsync(async () =>
            (await BodyAsync(await SendAsync(HttpMethod.Get, "poll1", $"/import/v1/sources/{id}")))["lastRun"] is not null));

        _csv = "code,name,level\nR1,Tama river,3.25\nR2,Sagami river,2\nR3,Sakawa river,0.5\n";
        var run = await RunNowAsync("poll1", id);
        Assert.Equal("completed", (string)run["status"]!);
        Assert.Equal(200, (int)run["httpStatus"]!);
        Assert.Equal(3, (long)run["rowsRead"]!);
        Assert.Equal(1, (long)run["created"]!);
        Assert.Equal(2, (long)run["updated"]!);
        Assert.Equal(3.25, (double)(await _http.EntityAsync("poll1", "urn:ngsi-ld:WaterLevel:R1"))!["height"]!["value"]!);

        var runs = (await BodyAsync(await SendAsync(HttpMethod.Get, "poll1", $"/import/v1/sources/{id}/runs"))).AsArray();
        Assert.Equal(2, runs.Count);
        Assert.Equal(1, (long)runs[0]!["created"]!);
        Assert.Equal(2, (long)runs[1]!["created"]!);
        Assert.True(DateTimeOffset.Parse((string)runs[0]!["started"]!) >= DateTimeOffset.Parse((string)runs[1]!["finished"]!));

        var shown = (await BodyAsync(await SendAsync(HttpMethod.Get, "poll1", $"/import/v1/sources/{id}"))).AsObject();
        Assert.Equal(1, (long)shown["lastRun"]!["created"]!);
        Assert.True(DateTimeOffset.Parse((string)shown["nextRun"]!) > DateTimeOffset.UtcNow.AddMinutes(50));
    }

    [Fact]
    public async Task A_JSON_API_with_wrapped_records_and_an_API_key_is_imported_and_the_key_is_never_shown()
    {
        var registration = new JsonObject
        {
            ["name"] = "Shelters API",
            ["url"] = SiteUrl("/api/shelters"),
            ["recordsPath"] = "data.items",
            ["headers"] = new JsonObject { ["X-Api-Key"] = "s3cret" },
            ["intervalSeconds"] = 3600,
            ["enabled"] = false,
            ["mapping"] = new JsonObject
            {
                ["type"] = "Shelter", ["id"] = "sid",
                ["attributes"] = new JsonArray(new JsonObject { ["column"] = "name" }, new JsonObject { ["column"] = "capacity", ["type"] = "Integer" }),
            },
        };
        var source = await RegisterAsync("poll2", registration);
        Assert.Equal("***", (string)source["headers"]!["X-Api-Key"]!);
        Assert.DoesNotContain("s3cret", source.ToJsonString());

        var run = await RunNowAsync("poll2", (string)source["id"]!);
        Assert.Equal("completed", (string)run["status"]!);
        Assert.Equal(1, (long)run["created"]!);
        Assert.Equal(1, (long)run["rejected"]!);
        Assert.Contains("capacity", (string)run["rejectedRows"]![0]!["reason"]!);
        Assert.Equal("第一小学校", (string)(await _http.EntityAsync("poll2", "urn:ngsi-ld:Shelter:H1"))!["name"]!["value"]!);

        registration["headers"] = new JsonObject { ["X-Api-Key"] = "wrong" };
        var refused = await RunNowAsync("poll2", (string)(await RegisterAsync("poll2", registration))["id"]!);
        Assert.Equal("failed", (string)refused["status"]!);
        Assert.Equal(401, (int)refused["httpStatus"]!);
        Assert.Contains("401", (string)refused["failure"]!);
    }

    [Fact]
    public async Task A_system_that_is_down_or_answers_garbage_makes_a_failed_run_and_the_others_keep_being_polled()
    {
        var down = LevelsSource("Down");
        down["url"] = SiteUrl("/down");
        var garbage = LevelsSource("Garbage");
        garbage["url"] = SiteUrl("/garbage.json");
        var downRun = await RunNowAsync("poll3", (string)(await RegisterAsync("poll3", down))["id"]!);
        Assert.Equal("failed", (string)downRun["status"]!);
        Assert.Equal(503, (int)downRun["httpStatus"]!);
        var garbageRun = await RunNowAsync("poll3", (string)(await RegisterAsync("poll3", garbage))["id"]!);
        Assert.Equal("failed", (string)garbageRun["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)garbageRun["failure"]));

        var unreachable = LevelsSource("Unreachable");
        unreachable["url"] = $"http://127.0.0.1:{CityOsProcess.FreePort()}/x.csv";
        var unreachableRun = await RunNowAsync("poll3", (string)(await RegisterAsync("poll3", unreachable))["id"]!);
        Assert.Equal("failed", (string)unreachableRun["status"]!);

        await RegisterAsync("poll3", LevelsSource());
        Assert.True(await Eventually.TrueAsync(async () => await _http.EntityAsync("poll3", "urn:ngsi-ld:WaterLevel:R1") is not null));
    }

    [Theory]
    [InlineData("url", "ftp://example.org/x.csv", "url: an absolute http or https URL")]
    [InlineData("url", "file:///etc/passwd", "file URLs are off")]
    [InlineData("url", "http://169.254.169.254/latest/meta-data", "CityOS does not connect there")]
    [InlineData("url", "http://user:pw@127.0.0.1/x.csv", "no user name or password")]
    [InlineData("intervalSeconds", 5, "intervalSeconds: between 10")]
    [InlineData("format", "xlsx", "format: one of csv, json, ndjson, geojson")]
    [InlineData("name", "", "name: give the external system a name")]
    public async Task A_bad_registration_is_refused_naming_the_member_and_nothing_is_registered(string member, object value, string expected)
    {
        var registration = LevelsSource();
        registration[member] = JsonValue.Create(value);
        var response = await SendAsync(HttpMethod.Post, "poll4", "/import/v1/sources", registration);
        var body = await BodyAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (string)body["detail"]!);
        Assert.Empty((await BodyAsync(await SendAsync(HttpMethod.Get, "poll4", "/import/v1/sources"))).AsArray());
    }

    [Fact]
    public async Task A_bad_mapping_is_refused_and_a_tenant_sees_only_its_own_systems()
    {
        var badMapping = LevelsSource();
        badMapping["mapping"]!["type"] = "";
        var refused = await SendAsync(HttpMethod.Post, "poll5", "/import/v1/sources", badMapping);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("entity type", (string)(await BodyAsync(refused))["detail"]!);

        var noMapping = LevelsSource();
        noMapping.Remove("mapping");
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, "poll5", "/import/v1/sources", noMapping)).StatusCode);

        var mine = await RegisterAsync("poll5", LevelsSource());
        var id = (string)mine["id"]!;
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "poll6", $"/import/v1/sources/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, "poll6", $"/import/v1/sources/{id}/run")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, "poll6", $"/import/v1/sources/{id}")).StatusCode);
        Assert.Empty((await BodyAsync(await SendAsync(HttpMethod.Get, "poll6", "/import/v1/sources"))).AsArray());
        Assert.Single((await BodyAsync(await SendAsync(HttpMethod.Get, "poll5", "/import/v1/sources"))).AsArray());

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "poll5", $"/import/v1/sources/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "poll5", $"/import/v1/sources/{id}")).StatusCode);
    }
}
