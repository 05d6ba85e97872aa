using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Tests;

/// <summary>One-off imports of files through POST /import/v1/files, read back through the NGSI-LD API.</summary>
public sealed class FileImportTests : IClassFixture<CityOsTestHost>
{
    private readonly HttpClient _http;

    public FileImportTests(CityOsTestHost host) => _http = host.Client;

    private const string Stations = """
        code,name,temp,level,opened,lat,lon
        S1,Sumida bridge,21.5,3,2020-04-01,35.7101,139.8107
        S2,"Arakawa, north",19,4,2021-05-02,35.75,139.79
        S3,Kanda,warm,2,2019-01-01,35.69,139.77
        ,No code,20,1,2019-01-01,35.69,139.77
        S5,Short row,20
        S6,Tama,18.25,5,2018-03-03,95,139.5
        S7,Ok again,17,6,2017-01-01,35.6,139.6
        """;

    private const string StationMapping = "type=RiverGauge&id=code&attr=name&attr=temp:temperature:Number:CEL&attr=level:waterLevel:Integer:MTR&attr=opened:openedAt:DateTime&lat=lat&lon=lon";

    private async Task<HttpResponseMessage> ImportAsync(string tenant, string query, string body, string contentType = "text/csv", string? prefer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/import/v1/files?" + query) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.Add("NGSILD-Tenant", tenant);
        if (prefer is not null) request.Headers.Add("Prefer", prefer);
        return await _http.SendAsync(request);
    }

    private async Task<JsonObject> ReportAsync(string tenant, string query, string body, string contentType = "text/csv")
    {
        var response = await ImportAsync(tenant, query, body, contentType);
        var report = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, report.ToJsonString());
        return report;
    }

    [Fact]
    public async Task A_CSV_becomes_typed_entities_with_units_and_location_and_bad_rows_are_reported_with_their_lines()
    {
        var report = await ReportAsync("imp1", StationMapping, Stations);

        Assert.Equal("completed", (string)report["state"]!);
        Assert.Equal(7, (long)report["rowsRead"]!);
        Assert.Equal(3, (long)report["created"]!);
        Assert.Equal(0, (long)report["updated"]!);
        Assert.Equal(4, (long)report["rejected"]!);
        var rejected = report["rejectedRows"]!.AsArray().Select(r => ((long)r!["line"]!, (string)r["reason"]!)).ToArray();
        Assert.Equal([4L, 5L, 6L, 7L], rejected.Select(r => r.Item1));
        Assert.Contains("'warm' is not a number", rejected[0].Item2);
        Assert.Contains("field 'code' is empty", rejected[1].Item2);
        Assert.Contains("7 fields", rejected[2].Item2);
        Assert.Contains("'95' is not a coordinate", rejected[3].Item2);

        var s1 = (await _http.EntityAsync("imp1", "urn:ngsi-ld:RiverGauge:S1"))!;
        Assert.Equal("RiverGauge", (string)s1["type"]!);
        Assert.Equal("Sumida bridge", (string)s1["name"]!["value"]!);
        Assert.Equal(21.5, (double)s1["temperature"]!["value"]!);
        Assert.Equal("CEL", (string)s1["temperature"]!["unitCode"]!);
        Assert.Equal(3, (int)s1["waterLevel"]!["value"]!);
        Assert.Equal("2020-04-01T00:00:00.000Z", (string)s1["openedAt"]!["value"]!["@value"]!);
        Assert.Equal([139.8107, 35.7101], s1["location"]!["value"]!["coordinates"]!.AsArray().Select(c => (double)c!));
        Assert.Null(s1["lat"]);
        Assert.Equal("Arakawa, north", (string)(await _http.EntityAsync("imp1", "urn:ngsi-ld:RiverGauge:S2"))!["name"]!["value"]!);
        Assert.Null(await _http.EntityAsync("imp1", "urn:ngsi-ld:RiverGauge:S3"));

        // The same file again: the good rows now update what is there.
        var again = await ReportAsync("imp1", StationMapping, Stations.Replace("21.5", "22.5", StringComparison.Ordinal));
        Assert.Equal(0, (long)again["created"]!);
        Assert.Equal(3, (long)again["updated"]!);
        Assert.Equal(22.5, (double)(await _http.EntityAsync("imp1", "urn:ngsi-ld:RiverGauge:S1"))!["temperature"]!["value"]!);
    }

    [Fact]
    public async Task A_dry_run_reports_what_would_be_created_and_updated_and_writes_nothing()
    {
        await ReportAsync("imp2", "type=Shop&id=id", "id,name\nshop1,Old name\n");

        var report = await ReportAsync("imp2", "type=Shop&id=id&dryRun=true", "id,name,floors\nshop1,New name,2\nshop2,Second,007\nshop3,Third,1\n");

        Assert.True((bool)report["dryRun"]!);
        Assert.Equal(2, (long)report["created"]!);
        Assert.Equal(1, (long)report["updated"]!);
        var sample = report["sample"]!.AsArray();
        Assert.Equal("urn:ngsi-ld:Shop:shop1", (string)sample[0]!["id"]!);
        Assert.Equal(2, (int)sample[0]!["floors"]!["value"]!);
        Assert.Equal("007", (string)sample[1]!["floors"]!["value"]!);
        Assert.Equal("Old name", (string)(await _http.EntityAsync("imp2", "urn:ngsi-ld:Shop:shop1"))!["name"]!["value"]!);
        Assert.Null(await _http.EntityAsync("imp2", "urn:ngsi-ld:Shop:shop2"));
    }

    [Fact]
    public async Task A_JSON_array_and_NDJSON_become_entities_with_an_id_template_and_JSON_values_kept()
    {
        var array = await ReportAsync("imp3", "type=Bin&idTemplate=urn:ngsi-ld:Bin:{ward}-{no}", """
            [{"ward": "chuo", "no": 1, "fill": 0.5, "tags": ["a", "b"]},
             {"ward": "chuo", "no": 2, "fill": 0.75},
             "not an object",
             {"ward": "chuo"}]
            """, "application/json");
        Assert.Equal(2, (long)array["created"]!);
        Assert.Equal([3L, 4L], array["rejectedRows"]!.AsArray().Select(r => (long)r!["line"]!));
        Assert.Contains("not an object", (string)array["rejectedRows"]![0]!["reason"]!);
        var bin = (await _http.EntityAsync("imp3", "urn:ngsi-ld:Bin:chuo-1"))!;
        Assert.Equal(0.5, (double)bin["fill"]!["value"]!);
        Assert.Equal(["a", "b"], bin["tags"]!["value"]!.AsArray().Select(t => (string)t!));

        var lines = await ReportAsync("imp3", "type=Bin&idTemplate=urn:ngsi-ld:Bin:{ward}-{no}&attr=fill:fillLevel:Number:P1", """
            {"ward": "minato", "no": 1, "fill": 30}
            {"ward": "minato", "no": 2, "fill": "full"}
            {"ward": "minato", "no": 3, "fill": 10}
            """, "application/x-ndjson");
        Assert.Equal(2, (long)lines["created"]!);
        Assert.Equal(2, (long)lines["rejectedRows"]![0]!["line"]!);
        var minato = (await _http.EntityAsync("imp3", "urn:ngsi-ld:Bin:minato-3"))!;
        Assert.Equal(10, (double)minato["fillLevel"]!["value"]!);
        Assert.Equal("P1", (string)minato["fillLevel"]!["unitCode"]!);
        Assert.Null(minato["ward"]);
    }

    [Fact]
    public async Task A_GeoJSON_FeatureCollection_sent_as_multipart_with_a_mapping_gives_each_feature_its_geometry()
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("""{"type": "Park", "id": "pid", "attributes": [{"column": "area", "name": "area", "type": "Number", "unit": "MTK"}], "keepUnmapped": true}""", Encoding.UTF8, "application/json"), "mapping" },
        };
        var file = new StringContent("""
            {"type": "FeatureCollection", "name": "parks",
             "features": [
              {"type": "Feature", "properties": {"pid": "p1", "area": "1200", "name": "Hibiya"}, "geometry": {"type": "Point", "coordinates": [139.756, 35.674]}},
              {"type": "Feature", "properties": {"pid": "p2", "area": 800}, "geometry": {"type": "Polygon", "coordinates": [[[139.7, 35.6], [139.8, 35.6], [139.8, 35.7], [139.7, 35.6]]]}},
              {"type": "Feature", "properties": {"pid": "p3"}, "geometry": {"type": "Nothing"}}
             ]}
            """, Encoding.UTF8);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/geo+json");
        form.Add(file, "file", "parks.geojson");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/import/v1/files") { Content = form };
        request.Headers.Add("NGSILD-Tenant", "imp4");
        var response = await _http.SendAsync(request);
        var report = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (long)report["created"]!);
        Assert.Equal(5, (long)report["rejectedRows"]![0]!["line"]!);
        var p1 = (await _http.EntityAsync("imp4", "urn:ngsi-ld:Park:p1"))!;
        Assert.Equal(1200, (double)p1["area"]!["value"]!);
        Assert.Equal("MTK", (string)p1["area"]!["unitCode"]!);
        Assert.Equal("Hibiya", (string)p1["name"]!["value"]!);
        Assert.Equal("Point", (string)p1["location"]!["value"]!["type"]!);
        Assert.Equal("Polygon", (string)(await _http.EntityAsync("imp4", "urn:ngsi-ld:Park:p2"))!["location"]!["value"]!["type"]!);
    }

    [Fact]
    public async Task Imports_and_their_jobs_stay_in_their_tenant()
    {
        var response = await ImportAsync("impA", "type=Lamp&id=id", "id,watts\nlamp1,40\n");
        var report = await response.JsonAsync();
        var job = (string)report["id"]!;
        Assert.Equal($"/import/v1/jobs/{job}", response.Headers.Location!.OriginalString);

        Assert.NotNull(await _http.EntityAsync("impA", "urn:ngsi-ld:Lamp:lamp1"));
        Assert.Null(await _http.EntityAsync("impB", "urn:ngsi-ld:Lamp:lamp1"));
        Assert.Null(await _http.EntityAsync("default", "urn:ngsi-ld:Lamp:lamp1"));

        Assert.Equal(HttpStatusCode.OK, (await JobAsync("impA", job)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await JobAsync("impB", job)).StatusCode);
        var listed = await ListAsync("impB");
        Assert.DoesNotContain(listed, j => (string)j!["id"]! == job);
        Assert.Contains(await ListAsync("impA"), j => (string)j!["id"]! == job);
    }

    [Fact]
    public async Task A_long_import_answers_202_at_once_and_its_job_shows_progress_to_the_end()
    {
        var csv = new StringBuilder("id,reading\n");
        for (var i = 0; i < 3000; i++) csv.Append("m").Append(i).Append(',').Append(i).Append('\n');

        var response = await ImportAsync("imp5", "type=Meter", csv.ToString(), prefer: "respond-async");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;

        JsonObject? job = null;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, location);
            request.Headers.Add("NGSILD-Tenant", "imp5");
            job = await (await _http.SendAsync(request)).JsonAsync();
            return (string)job["state"]! != "running";
        }, 30_000));
        Assert.True((string)job!["state"]! == "completed", job.ToJsonString());
        Assert.Equal(3000, (long)job["rowsRead"]!);
        Assert.True((long)job["created"]! == 3000, job.ToJsonString());
        Assert.Equal((long)job["totalBytes"]!, (long)job["bytesRead"]!);
        Assert.Equal(2999, (int)(await _http.EntityAsync("imp5", "urn:ngsi-ld:Meter:m2999"))!["reading"]!["value"]!);
    }

    [Theory]
    [InlineData("id=code", "entity type")]
    [InlineData("type=A&id=code&idTemplate=urn:x:{code}", "not both")]
    [InlineData("type=A&lat=lat", "both lat and lon")]
    [InlineData("type=A&attr=t:temperature:Celsius", "unknown type 'Celsius'")]
    [InlineData("type=A&idTemplate=urn:x:fixed", "names no field")]
    [InlineData("type=A&format=xml", "Unknown format")]
    public async Task A_mapping_that_cannot_work_is_refused_with_400_and_nothing_is_written(string query, string message)
    {
        var response = await ImportAsync("imp6", query, "code,t,lat\nc1,1,35\n");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (string)(await response.JsonAsync())["detail"]!);
        Assert.Empty(await ListAsync("imp6"));
    }

    [Fact]
    public async Task A_file_that_stops_being_JSON_is_a_400_naming_the_line_and_says_what_was_written_before()
    {
        var body = "[" + string.Join(",\n", Enumerable.Range(0, 600).Select(i => $$"""{"id": "t{{i}}", "v": {{i}}}""")) + ",\n{\"id\": broken}]";
        var response = await ImportAsync("imp7", "type=Tag", body, "application/json");
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("failed", (string)problem["state"]!);
        Assert.Contains("line 601", (string)problem["detail"]!);
        Assert.Equal(600, (long)problem["created"]!);
        Assert.NotNull(await _http.EntityAsync("imp7", "urn:ngsi-ld:Tag:t599"));
    }

    private async Task<HttpResponseMessage> JobAsync(string tenant, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/import/v1/jobs/" + id);
        request.Headers.Add("NGSILD-Tenant", tenant);
        return await _http.SendAsync(request);
    }

    private async Task<JsonArray> ListAsync(string tenant)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/import/v1/jobs");
        request.Headers.Add("NGSILD-Tenant", tenant);
        return (await (await _http.SendAsync(request)).Content.ReadFromJsonAsync<JsonArray>())!;
    }
}
