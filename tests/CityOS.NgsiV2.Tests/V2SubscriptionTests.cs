using System.Net;
using System.Text.Json.Nodes;
using CityOS.Testing;
using static CityOS.NgsiV2.Tests.V2Client;

namespace CityOS.NgsiV2.Tests;

/// <summary>/v2/subscriptions as Orion answers them, delivering to a real HTTP receiver, across both APIs.</summary>
public sealed class V2SubscriptionTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>, IAsyncLifetime
{
    private readonly string _service = "sub" + Guid.NewGuid().ToString("N")[..12];
    private V2Client Api => new(host.Client, _service);
    private NotificationReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await NotificationReceiver.StartNewAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private async Task<string> SubscribeAsync(string path, string extra = "", string notification = "")
    {
        var created = await Api.PostAsync("/v2/subscriptions", J($$$$"""
            {"description":"A subscription to get info about Room1",
             "subject":{"entities":[{"idPattern":".*","type":"Room"}],"condition":{"attrs":["pressure"]}},
             "notification":{"http":{"url":"{{{{_receiver.Url(path)}}}}"},"attrs":["temperature"]{{{{notification}}}}}{{{{extra}}}}}
            """));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var location = created.Header("Location")!;
        Assert.Matches("^/v2/subscriptions/[0-9a-f]{24}$", location);
        return location["/v2/subscriptions/".Length..];
    }

    [Fact]
    public async Task A_v2_subscription_is_created_listed_notified_on_its_condition_and_counts_what_it_sent()
    {
        var path = _receiver.NewPath();
        var id = await SubscribeAsync(path, ""","expires":"2099-04-05T14:00:00.00Z","throttling":0""");
        Assert.Equal(HttpStatusCode.Created, (await Api.PostAsync("/v2/entities", J("""{"id":"Room1","type":"Room","temperature":{"value":23,"type":"Float"},"pressure":{"value":720,"type":"Integer"}}"""))).Status);

        var first = await _receiver.NextAsync(path);
        Assert.Equal(_service, first.Headers["Fiware-Service"]);
        Assert.Equal("normalized", first.Headers["Ngsiv2-AttrsFormat"]);
        JsonAssert.Equal($$$$"""{"subscriptionId":"{{{{id}}}}","data":[{"id":"Room1","type":"Room","temperature":{"type":"Float","value":23,"metadata":{}}}]}""", first.Body);

        // temperature is not a condition attribute: no notification; pressure is.
        Assert.Equal(HttpStatusCode.NoContent, (await Api.PatchAsync("/v2/entities/Room1/attrs", J("""{"temperature":{"value":24,"type":"Float"}}"""))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await Api.PatchAsync("/v2/entities/Room1/attrs", J("""{"pressure":{"value":721,"type":"Integer"}}"""))).Status);
        var second = (await _receiver.WaitForAsync(path, 2))[1];
        Assert.Equal(24, second.Entity["temperature"]!["value"]!.GetValue<double>());

        var shown = (await Api.GetAsync($"/v2/subscriptions/{id}")).Json!;
        Assert.Equal("active", shown["status"]!.GetValue<string>());
        Assert.Equal("2099-04-05T14:00:00.00Z", shown["expires"]!.GetValue<string>());
        Assert.True(await Eventually.TrueAsync(async () => (await Api.GetAsync($"/v2/subscriptions/{id}")).Json!["notification"]!["lastSuccessCode"] is not null));
        var counted = (await Api.GetAsync($"/v2/subscriptions/{id}")).Json!["notification"]!;
        Assert.Equal(2, counted["timesSent"]!.GetValue<int>());
        Assert.Equal(204, counted["lastSuccessCode"]!.GetValue<int>());
        Assert.Equal(2, _receiver.Received(path).Count);
        var list = await Api.GetAsync("/v2/subscriptions?options=count");
        Assert.Equal("1", list.Header("Fiware-Total-Count"));
        Assert.Equal(id, list.Json!.AsArray().Single()!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_v2_subscription_fires_on_an_NGSI_LD_write_in_keyValues()
    {
        var path = _receiver.NewPath();
        var id = await SubscribeAsync(path, notification: ""","attrsFormat":"keyValues" """);
        var ld = new V2Client(host.Client, _service);
        var created = await ld.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", J("""{"id":"urn:ngsi-v2:Room7","type":"Room","temperature":{"type":"Property","value":19},"pressure":{"type":"Property","value":700}}"""));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var notification = await _receiver.NextAsync(path);
        Assert.Equal("keyValues", notification.Headers["Ngsiv2-AttrsFormat"]);
        JsonAssert.Equal($$$$"""{"subscriptionId":"{{{{id}}}}","data":[{"id":"Room7","type":"Room","temperature":19}]}""", notification.Body);
    }

    [Fact]
    public async Task An_NGSI_LD_subscription_fires_on_a_v2_write()
    {
        var path = _receiver.NewPath();
        var subscribed = await Api.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", J($$$$"""
            {"id":"urn:ngsi-ld:Subscription:{{{{Guid.NewGuid():N}}}}","type":"Subscription","entities":[{"type":"Room"}],
             "notification":{"endpoint":{"uri":"{{{{_receiver.Url(path)}}}}","accept":"application/json"}}}
            """), contentType: "application/json");
        Assert.Equal(HttpStatusCode.Created, subscribed.Status);
        Assert.Equal(HttpStatusCode.Created, (await Api.PostAsync("/v2/entities?options=keyValues", J("""{"id":"Room9","type":"Room","temperature":21}"""))).Status);
        var notification = await _receiver.NextAsync(path);
        var entity = notification.Entity;
        Assert.Equal("urn:ngsi-v2:Room9", entity["id"]!.GetValue<string>());
        Assert.Equal(21, entity["temperature"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Patch_to_inactive_stops_notifications_an_expired_one_shows_expired_and_delete_is_404_after()
    {
        var path = _receiver.NewPath();
        var id = await SubscribeAsync(path);
        Assert.Equal(HttpStatusCode.NoContent, (await Api.PatchAsync($"/v2/subscriptions/{id}", J("""{"status":"inactive"}"""))).Status);
        Assert.Equal(HttpStatusCode.Created, (await Api.PostAsync("/v2/entities?options=keyValues", J("""{"id":"Room2","type":"Room","pressure":1}"""))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await Api.PatchAsync($"/v2/subscriptions/{id}", J("""{"status":"active","expires":"2001-01-01T00:00:00Z"}"""))).Status);
        Assert.Equal("expired", (await Api.GetAsync($"/v2/subscriptions/{id}")).Json!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await Api.PatchAsync($"/v2/subscriptions/{id}", J("""{"expires":"2099-01-01T00:00:00Z"}"""))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await Api.PatchAsync("/v2/entities/Room2/attrs?options=keyValues", J("""{"pressure":2}"""))).Status);
        var notification = await _receiver.NextAsync(path);
        Assert.Equal("Room2", notification.Entity["id"]!.GetValue<string>());
        Assert.Single(_receiver.Received(path));

        Assert.Equal(HttpStatusCode.NoContent, (await Api.DeleteAsync($"/v2/subscriptions/{id}")).Status);
        var gone = await Api.GetAsync($"/v2/subscriptions/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        JsonAssert.Equal("""{"error":"NotFound","description":"The requested subscription has not been found. Check id"}""", gone.Json);
    }

    [Fact]
    public async Task An_expression_q_filters_notifications()
    {
        var path = _receiver.NewPath();
        var created = await Api.PostAsync("/v2/subscriptions", J($$$$"""
            {"subject":{"entities":[{"idPattern":"Q.*"}],"condition":{"attrs":[],"expression":{"q":"temperature>30"}}},
             "notification":{"http":{"url":"{{{{_receiver.Url(path)}}}}"},"attrsFormat":"values","attrs":["temperature"]}}
            """));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        await Api.PostAsync("/v2/entities?options=keyValues", J("""{"id":"Q1","type":"Room","temperature":20}"""));
        await Api.PostAsync("/v2/entities?options=keyValues", J("""{"id":"Q2","type":"Room","temperature":35}"""));
        var notification = await _receiver.NextAsync(path);
        JsonAssert.Equal("[[35]]", notification.Body["data"]);
        Assert.Single(_receiver.Received(path));
    }

    public static TheoryData<string, string> BadSubscriptions => new()
    {
        { """{"notification":{"http":{"url":"http://localhost:1234"}}}""", "no subject for subscription" },
        { """{"subject":{"entities":[{"id":"A"}]}}""", "no notification for subscription" },
        { """{"subject":{"entities":[]},"notification":{"http":{"url":"http://localhost:1234"}}}""", "no entities for subscription" },
        { """{"subject":{"entities":[{"id":"A"}]},"notification":{"http":{"url":"not a url"}}}""", "invalid custom /url/" },
        { """{"subject":{"entities":[{"id":"A"}]},"notification":{"http":{"url":"http://localhost:1234"},"attrsFormat":"xml"}}""", "invalid attrsFormat, accepted values: normalized, keyValues, values, simplifiedNormalized, simplifiedKeyValues, legacy" },
        { """{"subject":{"entities":[{"id":"A"}]},"notification":{"http":{"url":"http://localhost:1234"}},"expires":"tomorrow"}""", "expires has an invalid format" },
    };

    [Theory]
    [MemberData(nameof(BadSubscriptions))]
    public async Task A_bad_subscription_is_Orions_BadRequest_and_creates_nothing(string body, string description)
    {
        var refused = await Api.PostAsync("/v2/subscriptions", J(body));
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        JsonAssert.Equal($$$$"""{"error":"BadRequest","description":"{{{{description}}}}"}""", refused.Json);
        Assert.Equal("[]", (await Api.GetAsync("/v2/subscriptions")).Text);
    }
}
