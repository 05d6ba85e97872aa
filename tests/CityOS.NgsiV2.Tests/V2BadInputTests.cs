using System.Net;
using static CityOS.NgsiV2.Tests.V2Client;

namespace CityOS.NgsiV2.Tests;

/// <summary>Bad input answers as Orion does (status and error name, JSON {"error", "description"}) and changes nothing.</summary>
public sealed class V2BadInputTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    private readonly V2Client _v2 = new(host.Client, "bad" + Guid.NewGuid().ToString("N")[..12]);

    private const string Room = """{"id":"Room1","type":"Room","temperature":{"type":"Float","value":23,"metadata":{}},"pressure":{"type":"Integer","value":720,"metadata":{}}}""";

    public static TheoryData<string, string, string?, string?, HttpStatusCode, string> Requests => new()
    {
        { "POST", "/v2/entities", "{\"id\":\"Room2\",", null, HttpStatusCode.BadRequest, "ParseError" },
        { "POST", "/v2/entities", "[]", null, HttpStatusCode.BadRequest, "ParseError" },
        { "POST", "/v2/entities", Room, null, HttpStatusCode.UnprocessableEntity, "Unprocessable" },
        { "POST", "/v2/entities", """{"id":"Room2","type":"Room","t":{"type":"DateTime","value":"yesterday"}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/entities", """{"id":"Room2","type":"Room","p":{"type":"geo:point","value":"north"}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/entities", """{"id":"Room2","type":"Room","p":{"type":"geo:box","value":["1, 2"]}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/entities", """{"id":"Room2","type":"Room","t":{"value":1,"metadata":[]}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/entities", """{"id":"Room2","type":"Room","t":{"value":"urn:ngsi-v2:null"}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/entities", """{"id":"Room2","type":"Room","location":{"type":"Number","value":1}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/entities", """{"id":"Room2","type":"Room","owner":{"type":"Relationship","value":"Person1","metadata":{"unitCode":{"type":"Text","value":"CEL"}}}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/entities", "{\"id\":\"" + new string('x', 257) + "\",\"type\":\"Room\"}", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/entities", """{"id":7,"type":"Room"}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/entities", """{"id":"Room2","type":"Room"}""", "text/plain", HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType" },
        { "POST", "/v2/entities?options=fast", """{"id":"Room2","type":"Room"}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "PATCH", "/v2/entities/Room1/attrs", """{"colour":{"value":"red"}}""", null, HttpStatusCode.UnprocessableEntity, "Unprocessable" },
        { "PATCH", "/v2/entities/Room1/attrs", """{"temperature":{"value":"<b>"}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "PATCH", "/v2/entities/Room9/attrs", """{"temperature":{"value":1}}""", null, HttpStatusCode.NotFound, "NotFound" },
        { "PATCH", "/v2/entities/Room1/attrs?type=Car", """{"temperature":{"value":1}}""", null, HttpStatusCode.NotFound, "NotFound" },
        { "POST", "/v2/entities/Room1/attrs?options=append", """{"temperature":{"value":1}}""", null, HttpStatusCode.UnprocessableEntity, "Unprocessable" },
        { "PUT", "/v2/entities/Room1/attrs/colour", """{"value":"red"}""", null, HttpStatusCode.NotFound, "NotFound" },
        { "PUT", "/v2/entities/Room1/attrs/temperature/value", "\"hot\"", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "DELETE", "/v2/entities/Room1/attrs/colour", null, null, HttpStatusCode.NotFound, "NotFound" },
        { "DELETE", "/v2/entities/Room1?type=Car", null, null, HttpStatusCode.NotFound, "NotFound" },
        { "GET", "/v2/entities?limit=0", null, null, HttpStatusCode.BadRequest, "BadRequest" },
        { "GET", "/v2/entities?offset=-1", null, null, HttpStatusCode.BadRequest, "BadRequest" },
        { "GET", "/v2/entities?q=temperature>", null, null, HttpStatusCode.BadRequest, "BadRequest" },
        { "GET", "/v2/entities?id=Room1&idPattern=R.*", null, null, HttpStatusCode.BadRequest, "BadRequest" },
        { "GET", "/v2/entities?georel=within&geometry=point&coords=1,2", null, null, HttpStatusCode.BadRequest, "BadRequest" },
        { "GET", "/v2/entities?georel=near;maxDistance:10&geometry=point", null, null, HttpStatusCode.BadRequest, "BadRequest" },
        { "GET", "/v2/entities?options=keyValues,values", null, null, HttpStatusCode.BadRequest, "BadRequest" },
        { "GET", "/v2/entities/Room1/attrs/temperature/value", null, "image/png", HttpStatusCode.NotAcceptable, "NotAcceptable" },
        { "POST", "/v2/op/update", """{"actionType":"upsertAll","entities":[]}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/op/update", """{"actionType":"update","entities":{"id":"Room1"}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/op/update", """{"actionType":"update","entities":[{"id":"Room1","type":"Room","temperature":{"value":"x;y"}}]}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/op/update", """{"actionType":"appendStrict","entities":[{"id":"Room1","type":"Room","temperature":{"value":1}}]}""", null, HttpStatusCode.UnprocessableEntity, "Unprocessable" },
        { "POST", "/v2/op/query", """{"entities":"Room1"}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "POST", "/v2/subscriptions", """{"subject":{"entities":[]},"notification":{"http":{"url":"http://localhost:9/x"}}}""", null, HttpStatusCode.BadRequest, "BadRequest" },
        { "DELETE", "/v2/subscriptions/5f0c8c0b1a2b3c4d5e6f7a8b", null, null, HttpStatusCode.NotFound, "NotFound" },
        { "GET", "/v2/registrationz", null, null, HttpStatusCode.NotFound, "NotFound" },
        { "PATCH", "/v2/entities", """{"id":"Room1"}""", null, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Bad_input_answers_as_Orion_and_changes_nothing(string method, string path, string? body, string? mediaType, HttpStatusCode status, string error)
    {
        Assert.Equal(HttpStatusCode.Created, (await _v2.PostAsync("/v2/entities", J(Room))).Status);

        var answer = method == "GET"
            ? await _v2.GetAsync(path, accept: mediaType)
            : await _v2.SendAsync(new HttpMethod(method), path, text: body, contentType: mediaType);

        Assert.Equal(status, answer.Status);
        Assert.Equal("application/json", answer.ContentType);
        Assert.Equal(error, answer.Json!["error"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(answer.Json["description"]!.GetValue<string>()));
        Assert.Equal(2, answer.Json.AsObject().Count);
        JsonAssert.Equal("[" + Room + "]", (await _v2.GetAsync("/v2/entities")).Json);
    }
}
