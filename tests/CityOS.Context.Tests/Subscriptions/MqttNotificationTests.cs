using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>End to end: a subscription with an mqtt:// endpoint, a real mosquitto, and MQTT.js as the consumer.</summary>
public sealed class MqttNotificationTests(SubscriptionHost host) : IClassFixture<SubscriptionHost>
{
    [Fact]
    public async Task Notifications_reach_an_MqttJs_subscriber_through_mosquitto_as_Orion_LD_frames_them()
    {
        await using var mosquitto = await MosquittoBroker.StartAsync();
        var topic = "cityos/notifications/" + Guid.NewGuid().ToString("N");
        await using var subscriber = await MqttJsSubscriber.StartAsync(mosquitto.Url, topic, count: 2);

        var type = "T" + Guid.NewGuid().ToString("N")[..10];
        var subscriptionId = await host.SubscribeAsync($$$$"""
            {"type": "Subscription", "entities": [{"type": "{{{{type}}}}"}],
             "notification": {"format": "keyValues", "endpoint": {"uri": "mqtt://127.0.0.1:{{{{mosquitto.Port}}}}/{{{{topic}}}}",
                "notifierInfo": [{"key": "MQTT-QoS", "value": "1"}],
                "receiverInfo": [{"key": "X-Origin", "value": "cityos-test"}]}}}
            """);
        var id = Ngsi.Unique(type);
        await host.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$"""{"id": "{{{id}}}", "type": "{{{type}}}", "speed": {"type": "Property", "value": 80}}""");
        await host.SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}/attrs", """{"speed": {"type": "Property", "value": 90}}""");

        var messages = await subscriber.WaitForMessagesAsync(mosquitto);
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Equal(topic, m.Topic));
        Assert.All(messages, m => Assert.Equal(1, m.Qos));
        var first = JsonNode.Parse(messages[0].Payload)!.AsObject();
        Assert.Equal("application/json", first["metadata"]!["Content-Type"]!.GetValue<string>());
        Assert.Contains("json-ld#context", first["metadata"]!["Link"]!.GetValue<string>());
        Assert.Equal("cityos-test", first["metadata"]!["X-Origin"]!.GetValue<string>());
        var body = first["body"]!.AsObject();
        Assert.Equal("Notification", body["type"]!.GetValue<string>());
        Assert.Equal(subscriptionId, body["subscriptionId"]!.GetValue<string>());
        Assert.Equal(80, body["data"]![0]!["speed"]!.GetValue<int>());
        Assert.Equal(90, JsonNode.Parse(messages[1].Payload)!["body"]!["data"]![0]!["speed"]!.GetValue<int>());
    }
}
