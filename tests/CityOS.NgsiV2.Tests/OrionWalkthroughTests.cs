using System.Net;
using static CityOS.NgsiV2.Tests.V2Client;

namespace CityOS.NgsiV2.Tests;

/// <summary>The examples of Orion's API walkthrough and the NGSI v2 specification, with the answers they document.</summary>
public sealed class OrionWalkthroughTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    private readonly V2Client _v2 = new(host.Client, "w" + Guid.NewGuid().ToString("N")[..12]);

    private async Task CreateRoomsAsync()
    {
        Assert.Equal(HttpStatusCode.Created, (await _v2.PostAsync("/v2/entities", J("""{"id":"Room1","type":"Room","temperature":{"value":23,"type":"Float"},"pressure":{"value":720,"type":"Integer"}}"""))).Status);
        Assert.Equal(HttpStatusCode.Created, (await _v2.PostAsync("/v2/entities", J("""{"id":"Room2","type":"Room","temperature":{"value":21,"type":"Float"},"pressure":{"value":711,"type":"Integer"}}"""))).Status);
    }

    [Fact]
    public async Task Creating_an_entity_answers_201_with_its_Location_and_it_reads_back_as_written()
    {
        var created = await _v2.PostAsync("/v2/entities", J("""{"id":"Room1","type":"Room","temperature":{"value":23,"type":"Float"},"pressure":{"value":720,"type":"Integer"}}"""));

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("/v2/entities/Room1?type=Room", created.Headers.Location?.OriginalString);
        Assert.NotNull(created.Header("Fiware-Correlator"));
        Assert.Equal("", created.Text);
        var read = await _v2.GetAsync("/v2/entities/Room1");
        Assert.Equal(HttpStatusCode.OK, read.Status);
        JsonAssert.Equal("""{"id":"Room1","type":"Room","pressure":{"type":"Integer","value":720,"metadata":{}},"temperature":{"type":"Float","value":23,"metadata":{}}}""", read.Json);
        JsonAssert.Equal("""{"id":"Room1","type":"Room","pressure":720,"temperature":23}""", (await _v2.GetAsync("/v2/entities/Room1?options=keyValues")).Json);
        JsonAssert.Equal("[23,720]", (await _v2.GetAsync("/v2/entities/Room1?options=values&attrs=temperature,pressure")).Json);
        JsonAssert.Equal("""{"pressure":{"type":"Integer","value":720,"metadata":{}},"temperature":{"type":"Float","value":23,"metadata":{}}}""", (await _v2.GetAsync("/v2/entities/Room1/attrs")).Json);
        JsonAssert.Equal("""{"type":"Float","value":23,"metadata":{}}""", (await _v2.GetAsync("/v2/entities/Room1/attrs/temperature")).Json);
        var value = await _v2.GetAsync("/v2/entities/Room1/attrs/temperature/value", accept: "text/plain");
        Assert.Equal(("text/plain", "23"), (value.ContentType, value.Text));
    }

    [Fact]
    public async Task Creating_an_entity_twice_is_422_Already_Exists_and_upsert_updates_it()
    {
        await CreateRoomsAsync();
        var again = await _v2.PostAsync("/v2/entities", J("""{"id":"Room1","type":"Room","temperature":{"value":99,"type":"Float"}}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.Status);
        JsonAssert.Equal("""{"error":"Unprocessable","description":"Already Exists"}""", again.Json);
        Assert.Equal(23, (await _v2.GetAsync("/v2/entities/Room1?options=keyValues")).Json!["temperature"]!.GetValue<int>());

        var upsert = await _v2.PostAsync("/v2/entities?options=upsert,keyValues", J("""{"id":"Room1","type":"Room","temperature":30,"humidity":40}"""));
        Assert.Equal(HttpStatusCode.NoContent, upsert.Status);
        JsonAssert.Equal("""{"id":"Room1","type":"Room","pressure":720,"temperature":30,"humidity":40}""", (await _v2.GetAsync("/v2/entities/Room1?options=keyValues")).Json);
    }

    [Fact]
    public async Task A_missing_entity_or_attribute_is_Orions_NotFound()
    {
        await CreateRoomsAsync();
        var missing = await _v2.GetAsync("/v2/entities/Room9");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        JsonAssert.Equal("""{"error":"NotFound","description":"The requested entity has not been found. Check type and id"}""", missing.Json);
        JsonAssert.Equal("""{"error":"NotFound","description":"The requested entity has not been found. Check type and id"}""", (await _v2.GetAsync("/v2/entities/Room1?type=Car")).Json);
        var attr = await _v2.GetAsync("/v2/entities/Room1/attrs/colour");
        Assert.Equal(HttpStatusCode.NotFound, attr.Status);
        JsonAssert.Equal("""{"error":"NotFound","description":"The entity does not have such attribute"}""", attr.Json);
        Assert.Equal(HttpStatusCode.NotFound, (await _v2.DeleteAsync("/v2/entities/Room9")).Status);
    }

    [Theory]
    [InlineData("""{"id":"Room<1>","type":"Room"}""", "Invalid characters in entity id")]
    [InlineData("""{"id":"Room 1","type":"Room"}""", "Invalid characters in entity id")]
    [InlineData("""{"id":"Room1","type":"Ro(om)"}""", "Invalid characters in entity type")]
    [InlineData("""{"id":"Room1","type":"Room","temp;erature":{"value":1}}""", "Invalid characters in attribute name")]
    [InlineData("""{"id":"Room1","type":"Room","name":{"value":"<script>"}}""", "Invalid characters in attribute value")]
    [InlineData("""{"id":"Room1","type":"Room","temperature":23}""", "attribute must be a JSON object, unless keyValues option is used")]
    public async Task Forbidden_characters_and_bad_attributes_are_400_BadRequest_and_change_nothing(string body, string description)
    {
        var refused = await _v2.PostAsync("/v2/entities", J(body));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        JsonAssert.Equal($$"""{"error":"BadRequest","description":"{{description}}"}""", refused.Json);
        JsonAssert.Equal("[]", (await _v2.GetAsync("/v2/entities")).Json);
    }

    [Fact]
    public async Task Invalid_JSON_is_ParseError_and_another_content_type_is_415()
    {
        var parse = await _v2.SendAsync(HttpMethod.Post, "/v2/entities", text: "{\"id\": \"Room1\", ");
        Assert.Equal(HttpStatusCode.BadRequest, parse.Status);
        JsonAssert.Equal("""{"error":"ParseError","description":"Errors found in incoming JSON buffer"}""", parse.Json);
        var media = await _v2.SendAsync(HttpMethod.Post, "/v2/entities", text: "id=Room1", contentType: "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, media.Status);
        Assert.Equal("UnsupportedMediaType", media.Json!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Attributes_are_updated_appended_replaced_and_deleted()
    {
        await CreateRoomsAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await _v2.PatchAsync("/v2/entities/Room1/attrs", J("""{"temperature":{"value":26.5,"type":"Float"},"pressure":{"value":763,"type":"Integer"}}"""))).Status);
        JsonAssert.Equal("""{"id":"Room1","type":"Room","pressure":763,"temperature":26.5}""", (await _v2.GetAsync("/v2/entities/Room1?options=keyValues")).Json);

        var patchMissing = await _v2.PatchAsync("/v2/entities/Room1/attrs", J("""{"colour":{"value":"red"}}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, patchMissing.Status);
        JsonAssert.Equal("""{"error":"Unprocessable","description":"do not exist: Room1 - [ colour ]"}""", patchMissing.Json);

        Assert.Equal(HttpStatusCode.NoContent, (await _v2.PostAsync("/v2/entities/Room1/attrs", J("""{"ambientNoise":{"value":31.5}}"""))).Status);
        var strict = await _v2.PostAsync("/v2/entities/Room1/attrs?options=append", J("""{"ambientNoise":{"value":40}}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, strict.Status);
        Assert.Equal(31.5, (await _v2.GetAsync("/v2/entities/Room1?options=keyValues")).Json!["ambientNoise"]!.GetValue<double>());

        var put = await _v2.SendAsync(HttpMethod.Put, "/v2/entities/Room1/attrs/temperature/value", text: "28.5", contentType: "text/plain");
        Assert.Equal(HttpStatusCode.NoContent, put.Status);
        JsonAssert.Equal("""{"type":"Float","value":28.5,"metadata":{}}""", (await _v2.GetAsync("/v2/entities/Room1/attrs/temperature")).Json);

        Assert.Equal(HttpStatusCode.NoContent, (await _v2.PutAsync("/v2/entities/Room1/attrs/pressure", J("""{"value":700,"type":"Integer"}"""))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await _v2.DeleteAsync("/v2/entities/Room1/attrs/ambientNoise")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _v2.DeleteAsync("/v2/entities/Room1/attrs/ambientNoise")).Status);
        JsonAssert.Equal("""{"id":"Room1","type":"Room","pressure":700,"temperature":28.5}""", (await _v2.GetAsync("/v2/entities/Room1?options=keyValues")).Json);

        Assert.Equal(HttpStatusCode.NoContent, (await _v2.PutAsync("/v2/entities/Room1/attrs", J("""{"humidity":{"value":55,"type":"Number"}}"""))).Status);
        JsonAssert.Equal("""{"id":"Room1","type":"Room","humidity":55}""", (await _v2.GetAsync("/v2/entities/Room1?options=keyValues")).Json);
        Assert.Equal(HttpStatusCode.NoContent, (await _v2.DeleteAsync("/v2/entities/Room1")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _v2.GetAsync("/v2/entities/Room1")).Status);
    }

    [Fact]
    public async Task Lists_filter_with_q_page_and_count()
    {
        await CreateRoomsAsync();
        JsonAssert.Equal("""[{"id":"Room1","type":"Room","temperature":23,"pressure":720}]""", (await _v2.GetAsync("/v2/entities?q=temperature>22&options=keyValues")).Json);
        JsonAssert.Equal("""[{"id":"Room2","type":"Room","temperature":21,"pressure":711}]""", (await _v2.GetAsync("/v2/entities?q=pressure==700..715&options=keyValues")).Json);
        JsonAssert.Equal("""[{"id":"Room1","type":"Room"},{"id":"Room2","type":"Room"}]""", (await _v2.GetAsync("/v2/entities?type=Room&q=pressure==711,720;temperature&options=keyValues&attrs=colour&orderBy=id")).Json);
        JsonAssert.Equal("""[[21],[23]]""", (await _v2.GetAsync("/v2/entities?options=values&attrs=temperature&orderBy=temperature")).Json);
        JsonAssert.Equal("""[[23]]""", (await _v2.GetAsync("/v2/entities?options=values&attrs=temperature&orderBy=!temperature&limit=1")).Json);
        JsonAssert.Equal("[]", (await _v2.GetAsync("/v2/entities?q=!temperature")).Json);
        JsonAssert.Equal("""[{"id":"Room2","type":"Room"}]""", (await _v2.GetAsync("/v2/entities?idPattern=^Room[2-5]&attrs=none")).Json);

        var counted = await _v2.GetAsync("/v2/entities?type=Room&limit=1&offset=1&options=count,keyValues");
        Assert.Equal("2", counted.Header("Fiware-Total-Count"));
        Assert.Single(counted.Json!.AsArray());

        var limit = await _v2.GetAsync("/v2/entities?limit=1001");
        Assert.Equal(HttpStatusCode.BadRequest, limit.Status);
        JsonAssert.Equal("""{"error":"BadRequest","description":"Bad pagination limit: /1001/ [max: 1000]"}""", limit.Json);
    }

    [Fact]
    public async Task Geo_queries_near_and_coveredBy_find_the_entities_around_a_point()
    {
        Assert.Equal(HttpStatusCode.Created, (await _v2.PostAsync("/v2/entities", J("""{"id":"Madrid","type":"City","location":{"type":"geo:json","value":{"type":"Point","coordinates":[-3.691944,40.418889]}}}"""))).Status);
        Assert.Equal(HttpStatusCode.Created, (await _v2.PostAsync("/v2/entities", J("""{"id":"Leganes","type":"City","location":{"type":"geo:point","value":"40.316667, -3.75"}}"""))).Status);

        JsonAssert.Equal("""[{"id":"Madrid","type":"City"}]""", (await _v2.GetAsync("/v2/entities?type=City&georel=near;maxDistance:5000&geometry=point&coords=40.418889,-3.691944&attrs=none")).Json);
        JsonAssert.Equal("""[{"id":"Leganes","type":"City"},{"id":"Madrid","type":"City"}]""", (await _v2.GetAsync("/v2/entities?georel=near;maxDistance:15000&geometry=point&coords=40.418889,-3.691944&attrs=none&orderBy=id")).Json);
        JsonAssert.Equal("""[{"id":"Leganes","type":"City"}]""", (await _v2.GetAsync("/v2/entities?georel=coveredBy&geometry=box&coords=40.3,-3.8;40.35,-3.7&attrs=none")).Json);
        JsonAssert.Equal("""{"type":"geo:point","value":"40.316667, -3.75","metadata":{}}""", (await _v2.GetAsync("/v2/entities/Leganes/attrs/location")).Json);

        var bad = await _v2.GetAsync("/v2/entities?georel=near&geometry=point&coords=40.418889,-3.691944");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("BadRequest", bad.Json!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Types_list_attributes_with_their_types_and_counts()
    {
        await CreateRoomsAsync();
        await _v2.PostAsync("/v2/entities", J("""{"id":"Car1","type":"Car","speed":{"value":98}}"""));

        JsonAssert.Equal("""[{"type":"Car","attrs":{"speed":{"types":["Number"]}},"count":1},{"type":"Room","attrs":{"pressure":{"types":["Integer"]},"temperature":{"types":["Float"]}},"count":2}]""", (await _v2.GetAsync("/v2/types")).Json);
        JsonAssert.Equal("""["Car","Room"]""", (await _v2.GetAsync("/v2/types?options=values")).Json);
        JsonAssert.Equal("""{"attrs":{"pressure":{"types":["Integer"]},"temperature":{"types":["Float"]}},"count":2}""", (await _v2.GetAsync("/v2/types/Room")).Json);
        var missing = await _v2.GetAsync("/v2/types/Boat");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        JsonAssert.Equal("""{"error":"NotFound","description":"Entity type not found"}""", missing.Json);
    }

    [Fact]
    public async Task Batch_update_appends_updates_replaces_and_deletes_and_batch_query_selects()
    {
        var append = await _v2.PostAsync("/v2/op/update", J("""{"actionType":"append","entities":[{"type":"Room","id":"Bcn-Welt","temperature":{"value":21.7},"humidity":{"value":60}},{"type":"Room","id":"Mad_Aud","temperature":{"value":22.9},"humidity":{"value":85}}]}"""));
        Assert.Equal(HttpStatusCode.NoContent, append.Status);
        Assert.Equal(HttpStatusCode.NoContent, (await _v2.PostAsync("/v2/op/update", J("""{"actionType":"update","entities":[{"type":"Room","id":"Bcn-Welt","temperature":{"value":25}}]}"""))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await _v2.PostAsync("/v2/op/update", J("""{"actionType":"delete","entities":[{"type":"Room","id":"Mad_Aud","humidity":{}}]}"""))).Status);

        var query = await _v2.PostAsync("/v2/op/query?options=keyValues&orderBy=id", J("""{"entities":[{"idPattern":".*","type":"Room"}],"attrs":["temperature","humidity"],"expression":{"q":"temperature>20"}}"""));
        Assert.Equal(HttpStatusCode.OK, query.Status);
        JsonAssert.Equal("""[{"id":"Bcn-Welt","type":"Room","temperature":25,"humidity":60},{"id":"Mad_Aud","type":"Room","temperature":22.9}]""", query.Json);

        Assert.Equal(HttpStatusCode.NoContent, (await _v2.PostAsync("/v2/op/update", J("""{"actionType":"replace","entities":[{"type":"Room","id":"Mad_Aud","seats":{"value":100}}]}"""))).Status);
        JsonAssert.Equal("""{"id":"Mad_Aud","type":"Room","seats":100}""", (await _v2.GetAsync("/v2/entities/Mad_Aud?options=keyValues")).Json);

        var missing = await _v2.PostAsync("/v2/op/update", J("""{"actionType":"update","entities":[{"type":"Room","id":"Nowhere","temperature":{"value":1}}]}"""));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        var badAction = await _v2.PostAsync("/v2/op/update", J("""{"actionType":"explode","entities":[]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, badAction.Status);
        Assert.Equal(HttpStatusCode.NoContent, (await _v2.PostAsync("/v2/op/update", J("""{"actionType":"delete","entities":[{"type":"Room","id":"Mad_Aud"},{"type":"Room","id":"Bcn-Welt"}]}"""))).Status);
        JsonAssert.Equal("[]", (await _v2.GetAsync("/v2/entities")).Json);
    }

    [Fact]
    public async Task Fiware_Service_keeps_tenants_apart_and_a_bad_service_name_is_refused()
    {
        await CreateRoomsAsync();
        var other = new V2Client(host.Client, "other" + Guid.NewGuid().ToString("N")[..8]);
        JsonAssert.Equal("[]", (await other.GetAsync("/v2/entities")).Json);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/v2/entities/Room1")).Status);
        var bad = await new V2Client(host.Client, "bad-name!").GetAsync("/v2/entities");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        JsonAssert.Equal("""{"error":"BadRequest","description":"bad character in tenant name"}""", bad.Json);
    }

    [Fact]
    public async Task The_v2_entry_point_lists_the_resources()
    {
        JsonAssert.Equal("""{"entities_url":"/v2/entities","types_url":"/v2/types","subscriptions_url":"/v2/subscriptions","registrations_url":"/v2/registrations"}""", (await _v2.GetAsync("/v2")).Json);
    }

    [Fact]
    public async Task Version_answers_as_Orion_and_keeps_the_CityOS_members()
    {
        var version = await _v2.GetAsync("/version");
        Assert.Equal(HttpStatusCode.OK, version.Status);
        var orion = version.Json!["orion"]!;
        Assert.Matches(@"^\d+\.\d+\.\d+$", orion["version"]!.GetValue<string>());
        Assert.Matches(@"^\d+ d, \d+ h, \d+ m, \d+ s$", orion["uptime"]!.GetValue<string>());
        Assert.Equal("https://fiware-orion.rtfd.io/", orion["doc"]!.GetValue<string>());
        Assert.Equal("CityOS", version.Json["name"]!.GetValue<string>());
        Assert.NotNull(version.Json["ngsiLd"]);
    }
}
