using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Tests;

public sealed class ProvisioningTests : IClassFixture<CityOsTestHost>
{
    private readonly HttpClient _http;

    public ProvisioningTests(CityOsTestHost host) => _http = host.Client;

    [Fact]
    public async Task A_service_group_is_listed_with_its_mappings_in_its_service_and_path_only()
    {
        var created = await _http.ProvisionAsync("/iot/services", "groups", """
            {"services": [{"apikey": "g1key", "entity_type": "WeatherStation", "resource": "/iot/d", "protocol": "PDI-IoTA-UltraLight",
              "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"}],
              "static_attributes": [{"name": "district", "type": "Text", "value": "Chuo"}],
              "commands": [{"name": "reset", "type": "command"}]}]}
            """, "/weather");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var listed = await (await _http.GetAsync("/iot/services", "groups", "/weather")).JsonAsync();
        Assert.Equal(1, (int)listed["count"]!);
        var group = listed["services"]![0]!;
        Assert.Equal("g1key", (string)group["apikey"]!);
        Assert.Equal("WeatherStation", (string)group["entity_type"]!);
        Assert.Equal("temperature", (string)group["attributes"]![0]!["name"]!);
        Assert.Equal("t", (string)group["attributes"]![0]!["object_id"]!);
        Assert.Equal("Chuo", (string)group["static_attributes"]![0]!["value"]!);
        Assert.Equal("reset", (string)group["commands"]![0]!["name"]!);

        Assert.Equal(0, (int)(await (await _http.GetAsync("/iot/services", "groups", "/other")).JsonAsync())["count"]!);
        Assert.Equal(0, (int)(await (await _http.GetAsync("/iot/services", "othertenant", "/weather")).JsonAsync())["count"]!);
    }

    [Fact]
    public async Task An_apikey_taken_in_another_tenant_is_a_duplicate_group()
    {
        const string body = """{"services": [{"apikey": "shared-key", "entity_type": "Sensor"}]}""";
        Assert.Equal(HttpStatusCode.Created, (await _http.ProvisionAsync("/iot/services", "tenanta", body)).StatusCode);
        var again = await _http.ProvisionAsync("/iot/services", "tenantb", body);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("DUPLICATE_GROUP", (string)(await again.JsonAsync())["name"]!);
        Assert.Equal(0, (int)(await (await _http.GetAsync("/iot/services", "tenantb")).JsonAsync())["count"]!);
    }

    [Fact]
    public async Task A_device_is_provisioned_with_its_entity_and_mappings_and_can_be_read_and_deleted()
    {
        var created = await _http.ProvisionAsync("/iot/devices", "devtenant", """
            {"devices": [{"device_id": "motion001", "entity_name": "urn:ngsi-ld:Motion:001", "entity_type": "Motion",
              "protocol": "PDI-IoTA-UltraLight", "transport": "HTTP",
              "attributes": [{"object_id": "c", "name": "count", "type": "Integer"}],
              "static_attributes": [{"name": "refStore", "type": "Relationship", "value": "urn:ngsi-ld:Store:001"}]}]}
            """);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var device = await (await _http.GetAsync("/iot/devices/motion001", "devtenant")).JsonAsync();
        Assert.Equal("urn:ngsi-ld:Motion:001", (string)device["entity_name"]!);
        Assert.Equal("Motion", (string)device["entity_type"]!);
        Assert.Equal("HTTP", (string)device["transport"]!);
        Assert.Equal("count", (string)device["attributes"]![0]!["name"]!);

        var list = await (await _http.GetAsync("/iot/devices?limit=10&offset=0", "devtenant")).JsonAsync();
        Assert.Equal(1, (int)list["count"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/iot/devices/motion001", "elsewhere")).StatusCode);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/iot/devices/motion001");
        delete.Headers.Add("fiware-service", "devtenant");
        delete.Headers.Add("fiware-servicepath", "/");
        Assert.Equal(HttpStatusCode.NoContent, (await _http.SendAsync(delete)).StatusCode);
        var gone = await _http.GetAsync("/iot/devices/motion001", "devtenant");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("DEVICE_NOT_FOUND", (string)(await gone.JsonAsync())["name"]!);
    }

    [Fact]
    public async Task A_device_id_twice_in_one_service_is_a_duplicate_and_nothing_of_the_call_is_kept()
    {
        Assert.Equal(HttpStatusCode.Created,
            (await _http.ProvisionAsync("/iot/devices", "duptenant", """{"devices": [{"device_id": "d1", "entity_type": "T"}]}""")).StatusCode);
        var again = await _http.ProvisionAsync("/iot/devices", "duptenant",
            """{"devices": [{"device_id": "d2", "entity_type": "T"}, {"device_id": "d1", "entity_type": "T"}]}""");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("DUPLICATE_DEVICE_ID", (string)(await again.JsonAsync())["name"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/iot/devices/d2", "duptenant")).StatusCode);
        // The same id in another service is another device.
        Assert.Equal(HttpStatusCode.Created,
            (await _http.ProvisionAsync("/iot/devices", "duptenant2", """{"devices": [{"device_id": "d1", "entity_type": "T"}]}""")).StatusCode);
    }

    [Theory]
    [InlineData("""{"devices": [{"entity_type": "T"}]}""", "devices[0].device_id is missing")]
    [InlineData("""{"devices": [{"device_id": 5}]}""", "devices[0].device_id must be a string")]
    [InlineData("""{"devices": [{"device_id": "a b"}]}""", "devices[0].device_id 'a b' contains characters")]
    [InlineData("""{"devices": [{"device_id": "x", "colour": "red"}]}""", "unknown field 'colour'")]
    [InlineData("""{"devices": [{"device_id": "x", "attributes": [{"object_id": "t"}]}]}""", "devices[0].attributes[0].name is missing")]
    [InlineData("""{"devices": [{"device_id": "x", "static_attributes": [{"name": "s", "type": "Text"}]}]}""", "static_attributes[0].value is missing")]
    [InlineData("""{"devices": [{"device_id": "x", "attributes": [{"name": "t", "expression": "t * (2"}]}]}""", "devices[0].attributes[0].expression 't * (2' does not parse")]
    [InlineData("""{"devices": []}""", "'devices' is empty")]
    [InlineData("""{"devices": [{"device_id": "x",]}""", "the body is not JSON")]
    public async Task Bad_provisioning_is_refused_naming_the_field_and_nothing_is_kept(string body, string expected)
    {
        var response = await _http.ProvisionAsync("/iot/devices", "badtenant", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.JsonAsync();
        Assert.Equal("WRONG_SYNTAX", (string)error["name"]!);
        Assert.Contains(expected, (string)error["message"]!);
        Assert.Equal(0, (int)(await (await _http.GetAsync("/iot/devices", "badtenant")).JsonAsync())["count"]!);
    }

    [Fact]
    public async Task Provisioning_without_fiware_service_is_missing_headers()
    {
        var response = await _http.PostAsJsonAsync("/iot/devices", JsonNode.Parse("""{"devices": [{"device_id": "x"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("MISSING_HEADERS", (string)(await response.JsonAsync())["name"]!);
    }

    [Fact]
    public async Task About_answers_as_the_agents_do()
    {
        var about = await _http.GetFromJsonAsync<JsonObject>("/iot/about");
        Assert.NotNull(about!["libVersion"]);
        Assert.Equal("/", (string)about["baseRoot"]!);
    }
}
