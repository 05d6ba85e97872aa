using CityOS.Context.Tests.JsonLd;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>The @context of a JSON notification (5.8.6): the receiver gets the URL the subscription was created with.</summary>
public sealed class NotificationContextTests(SubscriptionHost host, ContextServer contexts) : IClassFixture<SubscriptionHost>, IClassFixture<ContextServer>
{
    [Fact]
    public async Task A_json_notification_links_the_context_url_of_the_subscription()
    {
        var url = contexts.Serve($"/{Guid.NewGuid():N}/building.jsonld", """{ "@context": { "Building": "https://example.org/Building", "height": "https://example.org/height" } }""");
        var type = "Building";
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"@context": ["{{{{url}}}}"], "type": "Subscription", "entities": [{"type": "{{{{type}}}}"}], "watchedAttributes": ["height"],
             "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}"}}}
            """, mediaType: "application/ld+json");
        var id = "urn:ngsi-ld:Building:" + Guid.NewGuid().ToString("N");
        await host.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$$"""
            {"id": "{{{{id}}}}", "type": "https://example.org/Building", "https://example.org/height": {"type": "Property", "value": 330}}
            """);
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.Equal($"<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"", notification.Headers["Link"]);
        Assert.Equal(330, notification.Entity["height"]!["value"]!.GetValue<int>());
    }
}
