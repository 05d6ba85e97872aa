using System.Net;
using static CityOS.Context.Tests.Broker.Ngsi;

namespace CityOS.Context.Tests.Broker;

/// <summary>Update, append, partial update, replace and delete of attributes (5.6.2–5.6.5, 5.6.19), with datasetId.</summary>
public sealed class AttributeApiTests(BrokerHost host) : IClassFixture<BrokerHost>
{
    private readonly HttpClient _client = host.Client;

    private async Task<string> SensorAsync()
    {
        var id = Unique("Sensor");
        await _client.CreateAsync($$$"""
            {"id": "{{{id}}}", "type": "Sensor",
             "temperature": {"type": "Property", "value": 20, "unitCode": "CEL",
                             "accuracy": {"type": "Property", "value": 0.5}},
             "speed": [{"type": "Property", "value": 10, "datasetId": "urn:ngsi-ld:dataset:gps"},
                       {"type": "Property", "value": 11, "datasetId": "urn:ngsi-ld:dataset:wheel"}]}
            """);
        return id;
    }

    [Fact]
    public async Task Update_replaces_existing_attributes_and_reports_the_missing_ones_with_207()
    {
        var id = await SensorAsync();

        var all = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs", Json("""{"temperature": {"type": "Property", "value": 22}}"""));
        Assert.Equal(HttpStatusCode.NoContent, all.StatusCode);
        var entity = await _client.GetEntityAsync(id);
        Assert.Equal(22, entity["temperature"]!["value"]!.GetValue<int>());
        Assert.Null(entity["temperature"]!["unitCode"]);

        var partly = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs",
            Json("""{"temperature": {"type": "Property", "value": 23}, "humidity": {"type": "Property", "value": 40}}"""));
        Assert.Equal(HttpStatusCode.MultiStatus, partly.StatusCode);
        var result = await partly.BodyAsync();
        Assert.Equal("temperature", result["updated"]![0]!.GetValue<string>());
        Assert.Equal("humidity", result["notUpdated"]![0]!["attributeName"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(result["notUpdated"]![0]!["reason"]!.GetValue<string>()));
        Assert.Null((await _client.GetEntityAsync(id))["humidity"]);

        var missing = await _client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Sensor:none/attrs", Json("""{"temperature": {"type": "Property", "value": 1}}"""));
        await missing.AssertProblemAsync(404, "ResourceNotFound");
    }

    [Theory]
    [InlineData("attrs", "{}")]
    [InlineData("attrs", """{"@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"}""")]
    [InlineData("attrs/temperature", "{}")]
    public async Task An_empty_update_fragment_is_bad_request_data_and_changes_nothing(string path, string body)
    {
        var id = await SensorAsync();
        var before = await _client.GetEntityAsync(id);

        var content = body.Contains("@context") ? Json(body, "application/ld+json") : Json(body);
        var response = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/{path}", content);

        await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Equal(before.ToJsonString(), (await _client.GetEntityAsync(id)).ToJsonString());
    }

    [Fact]
    public async Task Append_adds_and_overwrites_unless_noOverwrite()
    {
        var id = await SensorAsync();

        var appended = await _client.PostAsync($"/ngsi-ld/v1/entities/{id}/attrs",
            Json("""{"humidity": {"type": "Property", "value": 40}, "temperature": {"type": "Property", "value": 25}}"""));
        Assert.Equal(HttpStatusCode.NoContent, appended.StatusCode);
        var entity = await _client.GetEntityAsync(id);
        Assert.Equal(40, entity["humidity"]!["value"]!.GetValue<int>());
        Assert.Equal(25, entity["temperature"]!["value"]!.GetValue<int>());

        var kept = await _client.PostAsync($"/ngsi-ld/v1/entities/{id}/attrs?options=noOverwrite",
            Json("""{"temperature": {"type": "Property", "value": 99}, "pressure": {"type": "Property", "value": 1013}}"""));
        Assert.Equal(HttpStatusCode.MultiStatus, kept.StatusCode);
        var result = await kept.BodyAsync();
        Assert.Equal("temperature", result["notUpdated"]![0]!["attributeName"]!.GetValue<string>());
        entity = await _client.GetEntityAsync(id);
        Assert.Equal(25, entity["temperature"]!["value"]!.GetValue<int>());
        Assert.Equal(1013, entity["pressure"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Partial_attribute_update_changes_only_the_given_members()
    {
        var id = await SensorAsync();

        var response = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/temperature", Json("""{"value": 30}"""));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var temperature = (await _client.GetEntityAsync(id))["temperature"]!;
        Assert.Equal(30, temperature["value"]!.GetValue<int>());
        Assert.Equal("CEL", temperature["unitCode"]!.GetValue<string>());
        Assert.Equal(0.5, temperature["accuracy"]!["value"]!.GetValue<double>());

        var dataset = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/speed",
            Json("""{"value": 12, "datasetId": "urn:ngsi-ld:dataset:wheel"}"""));
        Assert.Equal(HttpStatusCode.NoContent, dataset.StatusCode);
        var speeds = (await _client.GetEntityAsync(id))["speed"]!.AsArray();
        Assert.Contains(speeds, s => s!["datasetId"]!.GetValue<string>() == "urn:ngsi-ld:dataset:wheel" && s["value"]!.GetValue<int>() == 12);
        Assert.Contains(speeds, s => s!["datasetId"]!.GetValue<string>() == "urn:ngsi-ld:dataset:gps" && s["value"]!.GetValue<int>() == 10);

        var missing = await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs/nothing", Json("""{"value": 1}"""));
        await missing.AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Replace_attribute_swaps_one_attribute_whole()
    {
        var id = await SensorAsync();

        var response = await _client.PutAsync($"/ngsi-ld/v1/entities/{id}/attrs/temperature", Json("""{"type": "Property", "value": 5}"""));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var temperature = (await _client.GetEntityAsync(id))["temperature"]!;
        Assert.Equal(5, temperature["value"]!.GetValue<int>());
        Assert.Null(temperature["accuracy"]);
        await (await _client.PutAsync($"/ngsi-ld/v1/entities/{id}/attrs/nothing", Json("""{"type": "Property", "value": 5}""")))
            .AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Delete_attribute_by_default_instance_datasetId_or_all()
    {
        var id = await SensorAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}/attrs/temperature")).StatusCode);
        Assert.Null((await _client.GetEntityAsync(id))["temperature"]);

        await (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}/attrs/speed")).AssertProblemAsync(404, "ResourceNotFound");
        Assert.Equal(HttpStatusCode.NoContent,
            (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}/attrs/speed?datasetId=urn:ngsi-ld:dataset:gps")).StatusCode);
        var speed = (await _client.GetEntityAsync(id))["speed"]!;
        Assert.Equal("urn:ngsi-ld:dataset:wheel", (speed is System.Text.Json.Nodes.JsonArray a ? a[0]! : speed)["datasetId"]!.GetValue<string>());

        await _client.PostAsync($"/ngsi-ld/v1/entities/{id}/attrs",
            Json("""{"speed": {"type": "Property", "value": 1, "datasetId": "urn:ngsi-ld:dataset:radar"}}"""));
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}/attrs/speed?deleteAll=true")).StatusCode);
        Assert.Null((await _client.GetEntityAsync(id))["speed"]);
        await (await _client.DeleteAsync($"/ngsi-ld/v1/entities/{id}/attrs/speed")).AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task ModifiedAt_moves_and_createdAt_stays_on_update()
    {
        var id = await SensorAsync();
        var before = await _client.GetEntityAsync(id, "?options=sysAttrs");
        await Task.Delay(20);

        await _client.PatchAsync($"/ngsi-ld/v1/entities/{id}/attrs", Json("""{"temperature": {"type": "Property", "value": 21}}"""));

        var after = await _client.GetEntityAsync(id, "?options=sysAttrs");
        Assert.Equal(before["temperature"]!["createdAt"]!.GetValue<string>(), after["temperature"]!["createdAt"]!.GetValue<string>());
        Assert.True(string.CompareOrdinal(after["modifiedAt"]!.GetValue<string>(), before["modifiedAt"]!.GetValue<string>()) > 0);
    }
}
