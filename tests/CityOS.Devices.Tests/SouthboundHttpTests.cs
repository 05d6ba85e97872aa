using System.Net;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Tests;

public sealed class SouthboundHttpTests : IClassFixture<CityOsTestHost>
{
    private readonly HttpClient _http;

    public SouthboundHttpTests(CityOsTestHost host) => _http = host.Client;

    private async Task ProvisionAsync(string tenant, string path, string body) =>
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync(path, tenant, body)).StatusCode);

    [Fact]
    public async Task UltraLight_measures_of_several_groups_land_in_the_entity_mapped_and_typed()
    {
        await ProvisionAsync("ul", "/iot/services", """
            {"services": [{"apikey": "ulkey", "entity_type": "WeatherStation", "resource": "/iot/d",
              "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"}, {"object_id": "h", "name": "humidity", "type": "Integer"},
                             {"object_id": "o", "name": "open", "type": "Boolean"}, {"object_id": "l", "name": "location", "type": "geo:point"}],
              "static_attributes": [{"name": "district", "type": "Text", "value": "Chuo"}]}]}
            """);

        var response = await _http.MeasureAsync("/iot/d?k=ulkey&i=ws1", "t|25.5#h|40|o|true#l|35.68,139.76");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var entity = (await _http.EntityAsync("ul", "urn:ngsi-ld:WeatherStation:ws1"))!;
        Assert.Equal("WeatherStation", (string)entity["type"]!);
        Assert.Equal(25.5, (double)entity["temperature"]!["value"]!);
        Assert.NotNull(entity["temperature"]!["observedAt"]);
        Assert.Equal(40, (int)entity["humidity"]!["value"]!);
        Assert.True((bool)entity["open"]!["value"]!);
        Assert.Equal("GeoProperty", (string)entity["location"]!["type"]!);
        Assert.Equal(139.76, (double)entity["location"]!["value"]!["coordinates"]![0]!);
        Assert.Equal("Chuo", (string)entity["district"]!["value"]!);
        // The new device was provisioned from its group.
        var device = await (await _http.GetAsync("/iot/devices/ws1", "ul")).JsonAsync();
        Assert.Equal("urn:ngsi-ld:WeatherStation:ws1", (string)device["entity_name"]!);
    }

    [Fact]
    public async Task A_timestamped_UltraLight_group_gives_observedAt()
    {
        await ProvisionAsync("ults", "/iot/services", """{"services": [{"apikey": "tskey", "entity_type": "Meter"}]}""");
        Assert.Equal(HttpStatusCode.OK, (await _http.MeasureAsync("/iot/d?k=tskey&i=m1", "2024-06-13T00:35:30Z|p|7")).StatusCode);
        var entity = (await _http.EntityAsync("ults", "urn:ngsi-ld:Meter:m1"))!;
        Assert.Equal("7", (string)entity["p"]!["value"]!);
        Assert.StartsWith("2024-06-13T00:35:30", (string)entity["p"]!["observedAt"]!);
    }

    [Fact]
    public async Task JSON_measures_with_a_provisioned_device_use_its_entity_name_mapping_and_expressions()
    {
        await ProvisionAsync("js", "/iot/services", """{"services": [{"apikey": "jskey", "entity_type": "Counter", "resource": "/iot/json"}]}""");
        await ProvisionAsync("js", "/iot/devices", """
            {"devices": [{"device_id": "door7", "entity_name": "urn:ngsi-ld:Door:7", "entity_type": "Door", "apikey": "jskey",
              "attributes": [{"object_id": "c", "name": "people", "type": "Integer"},
                             {"object_id": "f", "name": "celsius", "type": "Number", "expression": "(f - 32) * 5 / 9"},
                             {"object_id": "s", "name": "state", "type": "Text", "expression": "s > 0 ? 'busy' : 'idle'"}]}]}
            """);

        var response = await _http.MeasureAsync("/iot/json?k=jskey&i=door7",
            """[{"c": 3, "f": 212, "s": 1}, {"extra": "kept", "TimeInstant": "2025-01-02T03:04:05Z"}]""", "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var entity = (await _http.EntityAsync("js", "urn:ngsi-ld:Door:7"))!;
        Assert.Equal("Door", (string)entity["type"]!);
        Assert.Equal(3, (int)entity["people"]!["value"]!);
        Assert.Equal(100, (double)entity["celsius"]!["value"]!);
        Assert.Equal("busy", (string)entity["state"]!["value"]!);
        Assert.Equal("kept", (string)entity["extra"]!["value"]!);
        Assert.StartsWith("2025-01-02T03:04:05", (string)entity["extra"]!["observedAt"]!);
    }

    [Fact]
    public async Task An_unknown_apikey_is_404_as_the_agents_answer_and_nothing_is_written()
    {
        var response = await _http.MeasureAsync("/iot/d?k=nokey&i=x1", "t|1");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("DEVICE_GROUP_NOT_FOUND", (string)(await response.JsonAsync())["name"]!);
        Assert.Null(await _http.EntityAsync("default", "urn:ngsi-ld:Thing:x1"));
    }

    [Fact]
    public async Task Without_autoprovision_an_unknown_device_is_404()
    {
        await ProvisionAsync("noauto", "/iot/services", """{"services": [{"apikey": "noautokey", "entity_type": "T", "autoprovision": false}]}""");
        var response = await _http.MeasureAsync("/iot/d?k=noautokey&i=stranger", "t|1");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("DEVICE_NOT_FOUND", (string)(await response.JsonAsync())["name"]!);
    }

    [Fact]
    public async Task A_measure_naming_another_tenant_than_its_apikey_is_refused()
    {
        await ProvisionAsync("owner", "/iot/services", """{"services": [{"apikey": "ownerkey", "entity_type": "T"}]}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/iot/d?k=ownerkey&i=dev1") { Content = new StringContent("t|1") };
        request.Headers.Add("fiware-service", "intruder");
        var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(await _http.EntityAsync("intruder", "urn:ngsi-ld:T:dev1"));
        Assert.Null(await _http.EntityAsync("owner", "urn:ngsi-ld:T:dev1"));
    }

    [Theory]
    [InlineData("/iot/d?k=badkey&i=b1", "t|1|h", "text/plain", "has a key 'h' without a value")]
    [InlineData("/iot/d?k=badkey&i=b1", "t|1#|4", "text/plain", "has an empty key")]
    [InlineData("/iot/d?k=badkey&i=b1", "t|warm", "text/plain", "does not fit its type Number")]
    [InlineData("/iot/json?k=badkey&i=b1", "[1, 2]", "application/json", "Element 0 of the measure array is not an object")]
    [InlineData("/iot/json?k=badkey&i=b1", "{}", "application/json", "has no measures")]
    [InlineData("/iot/json?k=badkey&i=b1", """{"t": 1, "TimeInstant": "yesterday"}""", "application/json", "TimeInstant must be an ISO 8601 date-time")]
    public async Task A_malformed_or_misfitting_measure_is_400_naming_the_problem_and_nothing_is_written(string path, string body, string type, string expected)
    {
        await _http.ProvisionAsync("/iot/services", "bad", """
            {"services": [{"apikey": "badkey", "entity_type": "B", "attributes": [{"object_id": "t", "name": "t", "type": "Number"}]}]}
            """);
        await _http.ProvisionAsync("/iot/services", "bad", """{"services": [{"apikey": "badkey", "entity_type": "B", "resource": "/iot/json"}]}""");
        var response = await _http.MeasureAsync(path, body, type);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (string)(await response.JsonAsync())["message"]!);
        Assert.Null(await _http.EntityAsync("bad", "urn:ngsi-ld:B:b1"));
    }

    [Fact]
    public async Task Missing_k_or_i_is_400_naming_them()
    {
        var response = await _http.MeasureAsync("/iot/d?i=x", "t|1");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.JsonAsync();
        Assert.Equal("MANDATORY_PARAMS_NOT_FOUND", (string)error["name"]!);
        Assert.Contains("\"k\"", (string)error["message"]!);
    }
}
