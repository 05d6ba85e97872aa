using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>Create, retrieve, query, update and delete subscriptions (5.8, 6.10–6.12), with their errors.</summary>
public sealed class SubscriptionApiTests(SubscriptionHost host) : IClassFixture<SubscriptionHost>
{
    private const string Subscriptions = "/ngsi-ld/v1/subscriptions";

    private string Minimal(string type = "Room", string? id = null)
    {
        var idMember = id is null ? "" : $"\"id\": \"{id}\",";
        var uri = host.Receiver.Url(host.Receiver.NewPath());
        return $$$$"""
            { {{{{idMember}}}} "type": "Subscription", "entities": [{"type": "{{{{type}}}}"}],
              "notification": {"endpoint": {"uri": "{{{{uri}}}}"}}}
            """;
    }

    [Fact]
    public async Task Create_generates_an_id_and_answers_201_with_its_location()
    {
        var response = await host.Client.PostAsync(Subscriptions, Ngsi.Json(Minimal()));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith("/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:", location);
        var retrieved = await host.Client.GetAsync(location);
        var body = (await retrieved.BodyAsync()).AsObject();
        Assert.Equal("Subscription", body["type"]!.GetValue<string>());
        Assert.StartsWith("urn:ngsi-ld:Subscription:", body["id"]!.GetValue<string>());
        Assert.Equal("active", body["status"]!.GetValue<string>());
        Assert.False(body.ContainsKey("isActive"));
        Assert.Equal(["attributeCreated", "attributeUpdated"], body["notificationTrigger"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("Room", body["entities"]![0]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Creating_an_existing_id_is_AlreadyExists()
    {
        var id = Ngsi.Unique("Subscription");
        await host.SubscribeAsync(Minimal(id: id));
        var again = await host.Client.PostAsync(Subscriptions, Ngsi.Json(Minimal(id: id)));
        await again.AssertProblemAsync(409, "AlreadyExists");
    }

    [Fact]
    public async Task Retrieve_of_an_unknown_subscription_is_404_and_a_bad_id_is_400()
    {
        await (await host.Client.GetAsync(Subscriptions + "/" + Uri.EscapeDataString(Ngsi.Unique("Subscription")))).AssertProblemAsync(404, "ResourceNotFound");
        await (await host.Client.GetAsync(Subscriptions + "/not%20a%20uri")).AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Query_pages_with_limit_offset_and_counts()
    {
        var tenant = "subsquery" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(await host.SubscribeAsync(Minimal(), tenant));
        var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, Subscriptions + "?limit=2&offset=1&count=true", tenant: tenant));
        Assert.Equal("5", response.Headers.GetValues("NGSILD-Results-Count").Single());
        var page = (await response.BodyAsync()).AsArray();
        Assert.Equal(ids.Skip(1).Take(2), page.Select(s => s!["id"]!.GetValue<string>()));
        var bad = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, Subscriptions + "?limit=0", tenant: tenant));
        await bad.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Query_pages_carry_prev_and_next_links_typed_as_the_response()
    {
        var tenant = "subslinks" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++) await host.SubscribeAsync(Minimal(), tenant);
        static string[] PageLinks(HttpResponseMessage response) =>
            string.Join(",", response.Headers.GetValues("Link")).Replace(" ", "").Split(',').Where(l => !l.Contains("json-ld#context")).ToArray();

        var middle = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, Subscriptions + "?limit=1&offset=1", tenant: tenant, accept: "application/ld+json"));
        Assert.Equal(
            ["</ngsi-ld/v1/subscriptions?limit=1&offset=0>;rel=\"prev\";type=\"application/ld+json\"", "</ngsi-ld/v1/subscriptions?limit=1&offset=2>;rel=\"next\";type=\"application/ld+json\""],
            PageLinks(middle));
        var last = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, Subscriptions + "?limit=1&offset=2", tenant: tenant));
        Assert.Equal(["</ngsi-ld/v1/subscriptions?limit=1&offset=1>;rel=\"prev\";type=\"application/json\""], PageLinks(last));
        var all = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, Subscriptions + "?limit=5", tenant: tenant, accept: "application/ld+json"));
        Assert.False(all.Headers.Contains("Link"));
    }

    [Fact]
    public async Task Unknown_tenant_is_404_on_read()
    {
        var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, Subscriptions, tenant: "nosuchtenant" + Guid.NewGuid().ToString("N")[..8]));
        await response.AssertProblemAsync(404, "NonexistentTenant");
    }

    [Fact]
    public async Task Subscriptions_are_per_tenant()
    {
        var tenant = "subsa" + Guid.NewGuid().ToString("N")[..8];
        var id = await host.SubscribeAsync(Minimal(), tenant);
        await (await host.Client.GetAsync(Subscriptions + "/" + Uri.EscapeDataString(id))).AssertProblemAsync(404, "ResourceNotFound");
        Assert.Equal(id, (await host.GetSubscriptionAsync(id, tenant))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_replaces_the_given_members_and_merges_the_notification()
    {
        var id = await host.SubscribeAsync(Minimal());
        await host.SendAsync(HttpMethod.Patch, Subscriptions + "/" + Uri.EscapeDataString(id),
            """{"q": "temperature>20", "isActive": false, "notification": {"format": "keyValues"}}""");
        var body = await host.GetSubscriptionAsync(id);
        Assert.Equal("temperature>20", body["q"]!.GetValue<string>());
        Assert.Equal("paused", body["status"]!.GetValue<string>());
        Assert.Equal("keyValues", body["notification"]!["format"]!.GetValue<string>());
        Assert.NotNull(body["notification"]!["endpoint"]!["uri"]);

        var invalid = await host.Client.PatchAsync(Subscriptions + "/" + Uri.EscapeDataString(id), Ngsi.Json("""{"q": "temperature>>"}"""));
        await invalid.AssertProblemAsync(400, "BadRequestData");
        var unknown = await host.Client.PatchAsync(Subscriptions + "/" + Uri.EscapeDataString(Ngsi.Unique("Subscription")), Ngsi.Json("""{"q": "a==1"}"""));
        await unknown.AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task Delete_removes_the_subscription()
    {
        var id = await host.SubscribeAsync(Minimal());
        var deleted = await host.Client.DeleteAsync(Subscriptions + "/" + Uri.EscapeDataString(id));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await host.Client.GetAsync(Subscriptions + "/" + Uri.EscapeDataString(id))).AssertProblemAsync(404, "ResourceNotFound");
        await (await host.Client.DeleteAsync(Subscriptions + "/" + Uri.EscapeDataString(id))).AssertProblemAsync(404, "ResourceNotFound");
    }

    [Fact]
    public async Task The_context_is_kept_with_the_subscription()
    {
        var body = $$$$"""
            {"@context": [{"Room": "https://example.org/ontology#Room", "temp": "https://example.org/ontology#temperature"}, "{{{{BrokerHost.CoreContext}}}}"],
             "type": "Subscription", "entities": [{"type": "Room"}], "watchedAttributes": ["temp"],
             "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}
            """;
        var id = await host.SubscribeAsync(body, mediaType: "application/ld+json");
        var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Get, Subscriptions + "/" + Uri.EscapeDataString(id), accept: "application/ld+json"));
        var retrieved = (await response.BodyAsync()).AsObject();
        Assert.Equal("https://example.org/ontology#Room", retrieved["@context"]![0]!["Room"]!.GetValue<string>());
        Assert.Equal("temp", retrieved["watchedAttributes"]![0]!.GetValue<string>());
    }

    public static TheoryData<string, string> Invalid => new()
    {
        { """{"type": "Subscription", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "entities or watchedAttributes" },
        { """{"type": "Subscription", "entities": [{"type": "A"}]}""", "notification is mandatory" },
        { """{"type": "Subscription", "entities": [], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "entities must be" },
        { """{"type": "Subscription", "entities": [{"id": "urn:a:b"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "type is mandatory" },
        { """{"type": "Subscription", "entities": [{"type": "A", "idPattern": "(["}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "regular expression" },
        { """{"type": "Subscription", "entities": [{"type": "A", "id": "not a uri"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "not a URI" },
        { """{"type": "Subscription", "watchedAttributes": [], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "watchedAttributes must be" },
        { """{"type": "Subscription", "watchedAttributes": ["a"], "notificationTrigger": ["entityMoved"], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "notificationTrigger value" },
        { """{"type": "Subscription", "watchedAttributes": ["a"], "q": "a>>1", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "" },
        { """{"type": "Subscription", "watchedAttributes": ["a"], "geoQ": {"georel": "near", "geometry": "Point"}, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "coordinates" },
        { """{"type": "Subscription", "watchedAttributes": ["a"], "scopeQ": "nope", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "scope" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "watchedAttributes": ["a"], "timeInterval": 10, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "timeInterval and watchedAttributes" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "throttling": -1, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "positive" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "throttling": "5", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "number of seconds" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "expiresAt": "2001-01-01T00:00:00Z", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "not in the future" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "expiresAt": "tomorrow", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "not a DateTime" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"endpoint": {"uri": "ftp://example.org/x"}}}""", "scheme 'ftp'" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"endpoint": {"uri": "mqtt://localhost:1883"}}}""", "topic" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"endpoint": {"uri": "relative/path"}}}""", "absolute URI" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/", "accept": "text/plain"}}}""", "accept" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"format": "pretty", "endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "notification.format" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"endpoint": {"uri": "mqtt://localhost/t", "notifierInfo": [{"key": "MQTT-QoS", "value": "7"}]}}}""", "MQTT-QoS" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/", "receiverInfo": [{"key": "Bad Header", "value": "x"}]}}}""", "header name" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"endpoint": {}}}""", "uri is mandatory" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "unknownMember": 1, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "unknownMember" },
        { """{"type": "Notification", "entities": [{"type": "A"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "\"Subscription\"" },
        { """{"id": "no uri", "entities": [{"type": "A"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "not a URI" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "isActive": "yes", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "isActive" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"format": "keyValues", "showChanges": true, "endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "showChanges" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"format": "simplified", "showChanges": true, "endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "showChanges" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"pick": [], "endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "notification.pick" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"omit": [], "endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "notification.omit" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"pick": ["a"], "omit": ["b"], "endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "pick and notification.omit" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"pick": ["a"], "attributes": ["a"], "endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "notification.attributes" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"omit": ["a"], "attributes": ["b"], "endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "notification.attributes" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "csf": "((", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "csf" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "datasetId": ["not a uri"], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "datasetId" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "datasetId": [], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}}""", "datasetId" },
        { """{"type": "Subscription", "entities": [{"type": "A"}], "notification": {"endpoint": {"uri": "http://127.0.0.1:9/", "receiverInfo": [{"key": "K", "value": 42}]}}}""", "receiverInfo" },
    };

    private const string Endpoint = """ "endpoint": {"uri": "http://127.0.0.1:9/"} """;

    [Theory]
    [InlineData(""" "datasetId": ["urn:ngsi-ld:Dataset:french-name", "@none"], """, Endpoint, "datasetId")]
    [InlineData(""" "csf": "brandName==Mercedes", """, Endpoint, "csf")]
    [InlineData("", """ "showChanges": true, "format": "normalized", """ + Endpoint, "notification.showChanges")]
    [InlineData("", """ "pick": ["id", "name"], """ + Endpoint, "notification.pick")]
    [InlineData("", """ "endpoint": {"uri": "http://127.0.0.1:9/", "notifierInfo": [{"key": "Prefer", "value": "body=json"}]} """, "notification.endpoint.notifierInfo")]
    public async Task Valid_members_are_accepted_and_kept(string members, string notification, string kept)
    {
        var id = await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "A"}], {{{{members}}}} "notification": { {{{{notification}}}} }}
            """);
        JsonNode? node = await host.GetSubscriptionAsync(id);
        foreach (var step in kept.Split('.')) node = node?[step];
        Assert.NotNull(node);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Invalid_subscriptions_are_BadRequestData(string json, string message)
    {
        var response = await host.Client.PostAsync(Subscriptions, Ngsi.Json(json));
        var problem = await response.AssertProblemAsync(400, "BadRequestData");
        Assert.Contains(message, problem["detail"]!.GetValue<string>());
    }
}
