using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>Notifications (5.11) to a real HTTP receiver: triggers, selection, content, pausing, retries, order and counters (the rules that depend on time: <see cref="NotificationClockTests"/>).</summary>
public sealed class NotificationTests(SubscriptionHost host) : IClassFixture<SubscriptionHost>
{
    private const string Entities = "/ngsi-ld/v1/entities";

    private static string NewType() => SubscriptionHost.NewType();

    private static string Attrs(string id) => $"{Entities}/{Uri.EscapeDataString(id)}/attrs";

    private Task<(string Type, string Path, string Id)> SubscribeAsync(string members = "", string notification = "", string? type = null, string? tenant = null) =>
        host.SubscribeOnNewPathAsync(members, notification, type, tenant);

    private Task<string> CreateEntityAsync(string type, string attributes = """ "temperature": {"type": "Property", "value": 20} """, string? tenant = null) =>
        host.CreateWithAttributesAsync(type, attributes, tenant);

    [Fact]
    public async Task Creating_a_matching_entity_notifies_with_the_Notification_data_type()
    {
        var (type, path, subscriptionId) = await SubscribeAsync();
        var id = await CreateEntityAsync(type);
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.StartsWith("urn:ngsi-ld:Notification:", notification.Body["id"]!.GetValue<string>());
        Assert.Equal("Notification", notification.Body["type"]!.GetValue<string>());
        Assert.Equal(subscriptionId, notification.Body["subscriptionId"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(notification.Body["notifiedAt"]!.GetValue<string>(), out _));
        Assert.Equal(id, notification.Entity["id"]!.GetValue<string>());
        Assert.Equal(20, notification.Entity["temperature"]!["value"]!.GetValue<int>());
        Assert.Equal("Property", notification.Entity["temperature"]!["type"]!.GetValue<string>());
        Assert.StartsWith("application/json", notification.Headers["Content-Type"]);
        Assert.Contains("rel=\"http://www.w3.org/ns/json-ld#context\"", notification.Headers["Link"]);
    }

    [Fact]
    public async Task Join_in_the_notification_parameters_adds_the_linked_entities_flat_or_inline()
    {
        var cityType = NewType();
        var city = await CreateEntityAsync(cityType, """ "population": {"type": "Property", "value": 2100000} """);
        var (type, flatPath, _) = await SubscribeAsync(notification: "\"join\": \"flat\", \"joinLevel\": 1");
        var (_, inlinePath, inlineId) = await SubscribeAsync(notification: "\"join\": \"inline\"", type: type);
        var building = await CreateEntityAsync(type, $$$""" "locatedAt": {"type": "Relationship", "object": "{{{city}}}"} """);

        var flat = (await host.Receiver.WaitForAsync(flatPath)).Single();
        Assert.Equal([building, city], flat.Data.Select(e => e!["id"]!.GetValue<string>()));
        Assert.Equal(2100000, flat.Data[1]!["population"]!["value"]!.GetValue<int>());
        Assert.Equal(city, flat.Data[0]!["locatedAt"]!["object"]!.GetValue<string>());

        var inline = (await host.Receiver.WaitForAsync(inlinePath)).Single();
        Assert.Equal(city, inline.Entity["locatedAt"]!["entity"]!["id"]!.GetValue<string>());
        Assert.Equal("inline", (await host.GetSubscriptionAsync(inlineId))["notification"]!["join"]!.GetValue<string>());

        var refused = await host.Client.PostAsync("/ngsi-ld/v1/subscriptions", Ngsi.Json($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}], "notification": {"join": "sideways", "endpoint": {"uri": "http://127.0.0.1:9/n"}}}
            """));
        await refused.AssertProblemAsync(400, "BadRequestData");
    }

    [Fact]
    public async Task Each_trigger_fires_only_when_asked_for()
    {
        var triggers = new[] { "entityCreated", "entityUpdated", "entityDeleted", "attributeCreated", "attributeUpdated", "attributeDeleted" };
        var type = NewType();
        var paths = new Dictionary<string, string>();
        foreach (var trigger in triggers)
        {
            paths[trigger] = (await SubscribeAsync($"\"notificationTrigger\": [\"{trigger}\"]", type: type)).Path;
        }
        var id = await CreateEntityAsync(type);
        await host.Receiver.WaitForAsync(paths["entityCreated"]);
        await host.Receiver.WaitForAsync(paths["attributeCreated"]);

        await host.SendAsync(HttpMethod.Patch, Attrs(id), """{"temperature": {"type": "Property", "value": 21}}""");
        await host.Receiver.WaitForAsync(paths["attributeUpdated"]);
        await host.Receiver.WaitForAsync(paths["entityUpdated"]);

        await host.SendAsync(HttpMethod.Post, Attrs(id), """{"humidity": {"type": "Property", "value": 50}}""");
        await host.Receiver.WaitForAsync(paths["attributeCreated"], 2);
        await host.Receiver.WaitForAsync(paths["entityUpdated"], 2);

        await host.SendAsync(HttpMethod.Delete, Attrs(id) + "/humidity");
        var attributeDeleted = (await host.Receiver.WaitForAsync(paths["attributeDeleted"])).Single();
        Assert.Equal("urn:ngsi-ld:null", attributeDeleted.Entity["humidity"]!["value"]!.GetValue<string>());
        await host.Receiver.WaitForAsync(paths["entityUpdated"], 3);

        await host.SendAsync(HttpMethod.Delete, $"{Entities}/{Uri.EscapeDataString(id)}");
        var deleted = (await host.Receiver.WaitForAsync(paths["entityDeleted"])).Single();
        Assert.Equal(id, deleted.Entity["id"]!.GetValue<string>());
        Assert.NotNull(deleted.Entity["deletedAt"]);

        foreach (var path in paths.Values) await host.SettledAsync(path);
        Assert.Single(host.Receiver.Received(paths["entityCreated"]));
        Assert.Single(host.Receiver.Received(paths["attributeUpdated"]));
        Assert.Equal(2, host.Receiver.Received(paths["attributeCreated"]).Count);
        // Deleting the entity deletes its attributes too (5.2.12): attributeDeleted fires a second time.
        Assert.Equal(2, host.Receiver.Received(paths["attributeDeleted"]).Count);
        Assert.Equal(3, host.Receiver.Received(paths["entityUpdated"]).Count);
        Assert.Single(host.Receiver.Received(paths["entityDeleted"]));
    }

    [Fact]
    public async Task WatchedAttributes_limit_the_attributes_whose_changes_notify()
    {
        var (type, path, _) = await SubscribeAsync("\"watchedAttributes\": [\"humidity\"]");
        var id = await CreateEntityAsync(type);
        await host.SendAsync(HttpMethod.Patch, Attrs(id), """{"temperature": {"type": "Property", "value": 25}}""");
        await host.SendAsync(HttpMethod.Post, Attrs(id), """{"humidity": {"type": "Property", "value": 40}}""");
        // One entity's notifications arrive in the order of its changes: had the temperature change notified, it would be first.
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.Equal(40, notification.Entity["humidity"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_subscription_without_entities_watches_attributes_of_any_type()
    {
        var attribute = "a" + Guid.NewGuid().ToString("N")[..8];
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "watchedAttributes": ["{{{{attribute}}}}"], "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}"}}}
            """);
        await CreateEntityAsync(NewType(), $"\"{attribute}\": {{\"type\": \"Property\", \"value\": 1}}");
        await host.Receiver.WaitForAsync(path);
    }

    [Fact]
    public async Task IdPattern_and_id_select_entities()
    {
        var type = NewType();
        var wanted = Ngsi.Unique(type);
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}", "id": "{{{{wanted}}}}"}, {"type": "{{{{type}}}}", "idPattern": ".*:special-.*"}],
             "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}"}}}
            """);
        await host.SendAsync(HttpMethod.Post, Entities, $$$$"""{"id": "{{{{wanted}}}}", "type": "{{{{type}}}}", "a": 1}""");
        await host.SendAsync(HttpMethod.Post, Entities, $$$$"""{"id": "urn:ngsi-ld:{{{{type}}}}:other", "type": "{{{{type}}}}", "a": 1}""");
        await host.SendAsync(HttpMethod.Post, Entities, $$$$"""{"id": "urn:ngsi-ld:{{{{type}}}}:special-1", "type": "{{{{type}}}}", "a": 1}""");
        await host.Receiver.WaitForAsync(path, 2);
        await host.SettledAsync(path);
        Assert.Equal(new[] { wanted, $"urn:ngsi-ld:{type}:special-1" }.Order(), host.Receiver.Received(path).Select(n => n.Entity["id"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task Q_selects_the_entities_that_notify()
    {
        var (type, path, _) = await SubscribeAsync("\"q\": \"temperature>30\"");
        var id = await CreateEntityAsync(type);
        await host.SendAsync(HttpMethod.Patch, Attrs(id), """{"temperature": {"type": "Property", "value": 35}}""");
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.Equal(35, notification.Entity["temperature"]!["value"]!.GetValue<int>());
        await host.SendAsync(HttpMethod.Patch, Attrs(id), """{"temperature": {"type": "Property", "value": 10}}""");
        // A later matching change of the same entity: its notification comes after any the change to 10 would have caused.
        await host.SendAsync(HttpMethod.Patch, Attrs(id), """{"temperature": {"type": "Property", "value": 40}}""");
        var received = await host.Receiver.WaitForAsync(path, 2);
        Assert.Equal([35, 40], received.Select(n => n.Entity["temperature"]!["value"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_percent_encoded_q_is_decoded_as_in_a_query_string()
    {
        var (type, path, _) = await SubscribeAsync("\"q\": \"name==\\\"Eiffel%20Tower\\\"\"");
        await CreateEntityAsync(type, """ "name": {"type": "Property", "value": "Eiffel%20Tower"} """);
        var id = await CreateEntityAsync(type, """ "name": {"type": "Property", "value": "Eiffel Tower"} """);

        var notification = (await host.Receiver.WaitForAsync(path)).Single();

        Assert.Equal(id, notification.Entity["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task GeoQ_selects_the_entities_that_notify()
    {
        var (type, path, _) = await SubscribeAsync("""
            "geoQ": {"geometry": "Point", "coordinates": [-3.7, 40.4], "georel": "near;maxDistance==1000"}
            """);
        await CreateEntityAsync(type, """ "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.35, 48.85]}} """);
        var near = await CreateEntityAsync(type, """ "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-3.701, 40.401]}} """);
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.Equal(near, notification.Entity["id"]!.GetValue<string>());
        await host.SettledAsync(path);
        Assert.Single(host.Receiver.Received(path));
    }

    [Fact]
    public async Task ScopeQ_selects_the_entities_that_notify()
    {
        var (type, path, _) = await SubscribeAsync("\"scopeQ\": \"/Madrid/#\"");
        await CreateEntityAsync(type, """ "scope": "/Paris", "a": 1 """);
        var madrid = await CreateEntityAsync(type, """ "scope": "/Madrid/Gardens", "a": 1 """);
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.Equal(madrid, notification.Entity["id"]!.GetValue<string>());
        await host.SettledAsync(path);
        Assert.Single(host.Receiver.Received(path));
    }

    [Fact]
    public async Task Format_attributes_and_sysAttrs_shape_the_data()
    {
        var type = NewType();
        var keyValues = (await SubscribeAsync(notification: """ "format": "keyValues", "attributes": ["temperature"] """, type: type)).Path;
        var concise = (await SubscribeAsync(notification: """ "format": "concise", "sysAttrs": true """, type: type)).Path;
        await CreateEntityAsync(type, """ "temperature": {"type": "Property", "value": 20}, "humidity": {"type": "Property", "value": 50} """);
        var simplified = (await host.Receiver.WaitForAsync(keyValues)).Single().Entity;
        Assert.Equal(20, simplified["temperature"]!.GetValue<int>());
        Assert.Null(simplified["humidity"]);
        var conciseEntity = (await host.Receiver.WaitForAsync(concise)).Single().Entity;
        Assert.Equal(50, conciseEntity["humidity"]!["value"]!.GetValue<int>());
        Assert.Null(conciseEntity["humidity"]!["type"]);
        Assert.NotNull(conciseEntity["humidity"]!["createdAt"]);
        Assert.NotNull(conciseEntity["createdAt"]);
    }

    [Fact]
    public async Task ShowChanges_adds_the_previous_value()
    {
        var (type, path, _) = await SubscribeAsync("\"notificationTrigger\": [\"attributeUpdated\"]", """ "showChanges": true """);
        var id = await CreateEntityAsync(type);
        await host.SendAsync(HttpMethod.Patch, Attrs(id), """{"temperature": {"type": "Property", "value": 23}}""");
        var attribute = (await host.Receiver.WaitForAsync(path)).Single().Entity["temperature"]!;
        Assert.Equal(23, attribute["value"]!.GetValue<int>());
        Assert.Equal(20, attribute["previousValue"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_datasetId_member_limits_the_notified_instances()
    {
        var (type, path, _) = await SubscribeAsync("\"datasetId\": [\"urn:ngsi-ld:Dataset:fr\"]");
        await CreateEntityAsync(type, """
            "name": [{"type": "Property", "value": "Eiffel Tower"}, {"type": "Property", "value": "Tour Eiffel", "datasetId": "urn:ngsi-ld:Dataset:fr"}],
            "height": {"type": "Property", "value": 330}
            """);
        var entity = (await host.Receiver.WaitForAsync(path)).Single().Entity;
        Assert.Equal("Tour Eiffel", entity["name"]!["value"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Dataset:fr", entity["name"]!["datasetId"]!.GetValue<string>());
        Assert.Null(entity["height"]);
    }

    [Fact]
    public async Task Notification_pick_and_omit_shape_the_notified_entity()
    {
        var (type, pickPath, _) = await SubscribeAsync(notification: """ "pick": ["id", "humidity"] """);
        var omitPath = (await SubscribeAsync(notification: """ "omit": ["humidity"] """, type: type)).Path;
        await CreateEntityAsync(type, """ "temperature": {"type": "Property", "value": 20}, "humidity": {"type": "Property", "value": 50} """);
        var picked = (await host.Receiver.WaitForAsync(pickPath)).Single().Entity;
        Assert.Equal(new[] { "humidity", "id" }, picked.Select(m => m.Key).Order());
        var omitted = (await host.Receiver.WaitForAsync(omitPath)).Single().Entity;
        Assert.Null(omitted["humidity"]);
        Assert.NotNull(omitted["temperature"]);
        Assert.NotNull(omitted["type"]);
    }

    [Fact]
    public async Task Accept_ld_json_puts_the_context_in_the_body_and_receiverInfo_adds_headers()
    {
        var (type, path, _) = await SubscribeAsync(notification: "");
        var ldPath = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}],
             "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(ldPath)}}}}", "accept": "application/ld+json",
                "receiverInfo": [{"key": "X-Auth-Token", "value": "secret-1"}]}}}
            """);
        await CreateEntityAsync(type);
        var notification = (await host.Receiver.WaitForAsync(ldPath)).Single();
        Assert.StartsWith("application/ld+json", notification.Headers["Content-Type"]);
        Assert.NotNull(notification.Body["@context"]);
        Assert.False(notification.Headers.ContainsKey("Link"));
        Assert.Equal("secret-1", notification.Headers["X-Auth-Token"]);
        await host.Receiver.WaitForAsync(path);
    }

    [Fact]
    public async Task Accept_geo_json_sends_the_data_as_a_FeatureCollection_with_the_location_as_geometry()
    {
        var type = NewType();
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}], "notificationTrigger": ["entityCreated", "entityDeleted"],
             "notification": {"attributes": ["temperature"], "endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}", "accept": "application/geo+json"}}}
            """);
        var id = await CreateEntityAsync(type, """
            "temperature": {"type": "Property", "value": 20}, "humidity": {"type": "Property", "value": 50},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [139.7, 35.6]}}
            """);
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.StartsWith("application/geo+json", notification.Headers["Content-Type"]);
        Assert.Contains("rel=\"http://www.w3.org/ns/json-ld#context\"", notification.Headers["Link"]);
        Assert.Equal("Notification", notification.Body["type"]!.GetValue<string>());
        var data = notification.Body["data"]!.AsObject();
        Assert.Equal("FeatureCollection", data["type"]!.GetValue<string>());
        var feature = data["features"]!.AsArray().Single()!.AsObject();
        Assert.Equal("Feature", feature["type"]!.GetValue<string>());
        Assert.Equal(id, feature["id"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type": "Point", "coordinates": [139.7, 35.6]}"""), feature["geometry"]));
        var properties = feature["properties"]!.AsObject();
        Assert.Equal(type, properties["type"]!.GetValue<string>());
        Assert.Equal(20, properties["temperature"]!["value"]!.GetValue<int>());
        Assert.Null(properties["humidity"]);

        await host.SendAsync(HttpMethod.Delete, $"{Entities}/{Uri.EscapeDataString(id)}");
        var deleted = (await host.Receiver.WaitForAsync(path, 2))[1].Body["data"]!["features"]!.AsArray().Single()!;
        Assert.Equal(id, deleted["id"]!.GetValue<string>());
        Assert.Null(deleted["geometry"]);
        Assert.NotNull(deleted["properties"]!["deletedAt"]);
    }

    [Fact]
    public async Task Notifications_are_compacted_with_the_subscription_context()
    {
        var type = NewType();
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"@context": [{"temp": "https://example.org/ontology#temperature"}, "{{{{BrokerHost.CoreContext}}}}"],
             "type": "Subscription", "entities": [{"type": "{{{{type}}}}"}], "watchedAttributes": ["temp"],
             "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}", "accept": "application/ld+json"}}}
            """, mediaType: "application/ld+json");
        var id = Ngsi.Unique(type);
        await host.SendAsync(HttpMethod.Post, Entities, $$$$"""
            {"id": "{{{{id}}}}", "type": "{{{{type}}}}", "https://example.org/ontology#temperature": {"type": "Property", "value": 3}}
            """);
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.Equal(3, notification.Entity["temp"]!["value"]!.GetValue<int>());
        Assert.Equal("https://example.org/ontology#temperature", notification.Body["@context"]![0]!["temp"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reactivating_a_paused_subscription_resumes_notifications()
    {
        var (type, path, id) = await SubscribeAsync("\"isActive\": false");
        await CreateEntityAsync(type);
        await host.SettledAsync(path);
        Assert.Empty(host.Receiver.Received(path));
        await host.SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/subscriptions/{Uri.EscapeDataString(id)}", """{"isActive": true}""");
        await CreateEntityAsync(type);
        await host.Receiver.WaitForAsync(path);
    }

    [Fact]
    public async Task Failed_deliveries_are_retried_and_counted_on_retrieve()
    {
        var (type, path, id) = await SubscribeAsync();
        host.Receiver.FailNext(path, 2);
        await CreateEntityAsync(type);
        await host.Receiver.WaitForAsync(path);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        JsonObject notification;
        do
        {
            notification = (await host.GetSubscriptionAsync(id))["notification"]!.AsObject();
            if (notification["timesSent"]?.GetValue<long>() == 3) break;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(3, notification["timesSent"]!.GetValue<long>());
        Assert.Equal(2, notification["timesFailed"]!.GetValue<long>());
        Assert.Equal("ok", notification["status"]!.GetValue<string>());
        Assert.NotNull(notification["lastNotification"]);
        Assert.NotNull(notification["lastSuccess"]);
        Assert.NotNull(notification["lastFailure"]);
    }

    [Fact]
    public async Task NotifiedAt_is_the_time_the_notification_is_sent_not_when_it_was_queued()
    {
        var (type, path, _) = await SubscribeAsync();
        host.Receiver.FailNext(path, 2);
        var written = DateTimeOffset.UtcNow;
        await CreateEntityAsync(type);
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        var notifiedAt = DateTimeOffset.Parse(notification.Body["notifiedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        // Two refused attempts, 100 ms and 200 ms of backoff, came before the one that was taken.
        Assert.True(notifiedAt - written >= TimeSpan.FromMilliseconds(250), $"notifiedAt {notifiedAt:O} is not after the retries (write at {written:O})");
        Assert.True(notification.At - notifiedAt < TimeSpan.FromSeconds(1), $"notifiedAt {notifiedAt:O}, received at {notification.At:O}");
    }

    [Fact]
    public async Task Notifications_of_one_entity_arrive_in_the_order_of_its_changes()
    {
        var (type, path, _) = await SubscribeAsync("\"notificationTrigger\": [\"attributeUpdated\"]");
        var id = await CreateEntityAsync(type);
        host.Receiver.DelayNext(path, TimeSpan.FromMilliseconds(600));
        for (var value = 1; value <= 6; value++)
        {
            await host.SendAsync(HttpMethod.Patch, Attrs(id), $"{{\"temperature\": {{\"type\": \"Property\", \"value\": {value}}}}}");
        }
        var received = await host.Receiver.WaitForAsync(path, 6);
        Assert.Equal([1, 2, 3, 4, 5, 6], received.Select(n => n.Entity["temperature"]!["value"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_slow_notification_of_one_entity_does_not_hold_back_the_other_entities()
    {
        var (type, path, _) = await SubscribeAsync("\"notificationTrigger\": [\"entityCreated\"]");
        host.Receiver.DelayNext(path, TimeSpan.FromMilliseconds(1500));
        var slow = await CreateEntityAsync(type);
        Assert.True(await Eventually.TrueAsync(() => host.Receiver.Requests(path) == 1), "the slow notification did not reach the receiver");
        var fast = await CreateEntityAsync(type);
        var received = await host.Receiver.WaitForAsync(path, 2);
        Assert.Equal([fast, slow], received.Select(n => n.Entity["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_failing_receiver_does_not_delay_the_others()
    {
        var type = NewType();
        var failing = (await SubscribeAsync(type: type)).Path;
        host.Receiver.FailNext(failing, 1_000);
        var healthy = (await SubscribeAsync(type: type)).Path;
        for (var i = 0; i < 20; i++) await CreateEntityAsync(type);
        await host.Receiver.WaitForAsync(healthy, 20, 5000);
        Assert.Empty(host.Receiver.Received(failing));
    }

    [Fact]
    public async Task Notifications_carry_the_tenant()
    {
        var tenant = "subst" + Guid.NewGuid().ToString("N")[..8];
        var (type, path, _) = await SubscribeAsync(tenant: tenant);
        await CreateEntityAsync(type);
        await CreateEntityAsync(type, tenant: tenant);
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.Equal(tenant, notification.Headers["NGSILD-Tenant"]);
        await host.SettledAsync(path, null, tenant);
        Assert.Single(host.Receiver.Received(path));
    }
}
