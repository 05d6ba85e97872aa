using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;
using ContextServer = CityOS.Context.Tests.JsonLd.ContextServer;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>
/// JSON-LD notifications (5.3.1, 5.8.6) and the subscription's jsonldContext member (5.2.12): what a receiver gets when it
/// asks for application/ld+json, and which @context notifications are compacted with.
/// </summary>
public sealed class JsonLdNotificationTests(SubscriptionHost host, ContextServer contexts) : IClassFixture<SubscriptionHost>, IClassFixture<ContextServer>
{
    private const string Subscriptions = "/ngsi-ld/v1/subscriptions";

    private string ServeContext(string terms) => contexts.Serve($"/{Guid.NewGuid():N}/context.jsonld", $$"""{ "@context": { {{terms}} } }""");

    private async Task<string> CreateEntityAsync(string type, string attributes) =>
        await host.CreateWithAttributesAsync(type, attributes);

    [Fact]
    public async Task Every_entity_of_a_json_ld_notification_carries_the_subscription_context()
    {
        var type = SubscriptionHost.NewType();
        var url = ServeContext($""" "height": "https://example.org/{type}/height" """);
        var path = host.Receiver.NewPath();
        await host.SubscribeAsync($$$$"""
            {"@context": ["{{{{url}}}}"], "type": "Subscription", "entities": [{"type": "https://example.org/{{{{type}}}}"}],
             "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}", "accept": "application/ld+json"}}}
            """, mediaType: "application/ld+json");
        await CreateEntityAsync("https://example.org/" + type, $$"""
            "https://example.org/{{type}}/height": {"type": "Property", "value": 330}
            """);

        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.StartsWith("application/ld+json", notification.Headers["Content-Type"]);
        Assert.False(notification.Headers.ContainsKey("Link"));
        var entity = notification.Entity;
        // The entity is a JSON-LD document of its own: its @context is the one URL the subscription named.
        Assert.Equal(url, entity["@context"]!.GetValue<string>());
        Assert.Equal(330, entity["height"]!["value"]!.GetValue<int>());
        Assert.Equal(url, notification.Body["@context"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_json_notification_has_no_context_in_its_entities()
    {
        var (type, path, _) = await host.SubscribeOnNewPathAsync();
        await CreateEntityAsync(type, """ "temperature": {"type": "Property", "value": 20} """);
        var notification = (await host.Receiver.WaitForAsync(path)).Single();
        Assert.Null(notification.Entity["@context"]);
        Assert.Null(notification.Body["@context"]);
    }

    [Fact]
    public async Task Notifications_are_compacted_with_the_jsonldContext_of_the_subscription()
    {
        var type = SubscriptionHost.NewType();
        var heightIri = $"https://example.org/{type}/height";
        var created = ServeContext($""" "height": "{heightIri}" """);
        var forNotifications = ServeContext($""" "altitude": "{heightIri}" """);
        var ldPath = host.Receiver.NewPath();
        var jsonPath = host.Receiver.NewPath();
        foreach (var (path, accept) in new[] { (ldPath, "application/ld+json"), (jsonPath, "application/json") })
        {
            await host.SubscribeAsync($$$$"""
                {"@context": ["{{{{created}}}}"], "type": "Subscription", "entities": [{"type": "{{{{type}}}}"}], "watchedAttributes": ["height"],
                 "jsonldContext": "{{{{forNotifications}}}}",
                 "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(path)}}}}", "accept": "{{{{accept}}}}"}}}
                """, mediaType: "application/ld+json");
        }
        await CreateEntityAsync(type, $$"""
            "{{heightIri}}": {"type": "Property", "value": 330}
            """);

        var ld = (await host.Receiver.WaitForAsync(ldPath)).Single();
        Assert.Equal(330, ld.Entity["altitude"]!["value"]!.GetValue<int>());
        Assert.Null(ld.Entity["height"]);
        Assert.Equal(forNotifications, ld.Entity["@context"]!.GetValue<string>());

        var json = (await host.Receiver.WaitForAsync(jsonPath)).Single();
        Assert.Equal(330, json.Entity["altitude"]!["value"]!.GetValue<int>());
        Assert.Equal($"<{forNotifications}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"", json.Headers["Link"]);
    }

    [Fact]
    public async Task A_jsonldContext_that_cannot_be_retrieved_is_504_and_creates_nothing()
    {
        var id = "urn:ngsi-ld:Subscription:" + Guid.NewGuid().ToString("N");
        var missing = contexts.Url($"/{Guid.NewGuid():N}/missing.jsonld");
        var response = await host.Client.PostAsync(Subscriptions, Ngsi.Json($$$$"""
            {"id": "{{{{id}}}}", "type": "Subscription", "entities": [{"type": "Building"}], "jsonldContext": "{{{{missing}}}}",
             "notification": {"endpoint": {"uri": "{{{{host.Receiver.Url(host.Receiver.NewPath())}}}}"}}}
            """));
        await response.AssertProblemAsync(504, "LdContextNotAvailable");
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync($"{Subscriptions}/{Uri.EscapeDataString(id)}")).StatusCode);
    }

    [Fact]
    public async Task Updating_to_a_jsonldContext_that_cannot_be_retrieved_is_504_and_changes_nothing()
    {
        var (_, _, id) = await host.SubscribeOnNewPathAsync();
        var missing = contexts.Url($"/{Guid.NewGuid():N}/missing.jsonld");
        var response = await host.Client.SendAsync(Ngsi.Request(HttpMethod.Patch, $"{Subscriptions}/{Uri.EscapeDataString(id)}",
            Ngsi.Json($$"""{"jsonldContext": "{{missing}}"}""")));
        await response.AssertProblemAsync(504, "LdContextNotAvailable");
        Assert.NotEqual(missing, (await host.GetSubscriptionAsync(id))["jsonldContext"]?.GetValue<string>());
    }
}
