using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;

namespace CityOS.Context.Tests.Subscriptions;

/// <summary>
/// What a notification about a deletion carries (5.2.12 notificationTrigger, 5.2.14 showChanges, 4.5.0 NGSI-LD Null): the deleted
/// attribute or instance with the NGSI-LD Null as value, deletedAt only with sysAttrs, the previous value with showChanges.
/// </summary>
public sealed class DeletionNotificationTests(SubscriptionHost host) : IClassFixture<SubscriptionHost>
{
    private const string Entities = "/ngsi-ld/v1/entities";
    private const string Null = "urn:ngsi-ld:null";

    private const string Attributes = """
        "name": {"type": "Property", "value": "Eiffel Tower"},
        "street": {"type": "LanguageProperty", "languageMap": {"fr": "Grand Place", "nl": "Grote Markt"}},
        "locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Paris"},
        "category": {"type": "VocabProperty", "vocab": "monument"}
        """;

    private static string Entity(string id) => $"{Entities}/{Uri.EscapeDataString(id)}";

    private async Task<(string Path, string Id)> SubscribeAndCreateAsync(string members, string notification = "")
    {
        var (type, path, _) = await host.SubscribeOnNewPathAsync(members, notification);
        var id = await host.CreateWithAttributesAsync(type, Attributes);
        return (path, id);
    }

    [Fact]
    public async Task A_deleted_attribute_is_notified_with_the_null_value_and_no_deletedAt_without_sysAttrs()
    {
        var (path, id) = await SubscribeAndCreateAsync("""
            "watchedAttributes": ["name"], "notificationTrigger": ["attributeDeleted"]
            """);
        await host.SendAsync(HttpMethod.Delete, Entity(id) + "/attrs/name");
        var entity = (await host.Receiver.WaitForAsync(path)).Single().Entity;
        Assert.Equal("Property", entity["name"]!["type"]!.GetValue<string>());
        Assert.Equal(Null, entity["name"]!["value"]!.GetValue<string>());
        Assert.Null(entity["name"]!["deletedAt"]);
        Assert.Null(entity["deletedAt"]);
        Assert.Equal("urn:ngsi-ld:City:Paris", entity["locatedAt"]!["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task ShowChanges_gives_the_previous_value_of_each_kind_of_deleted_attribute()
    {
        var (path, id) = await SubscribeAndCreateAsync("""
            "notificationTrigger": ["attributeDeleted"]
            """, """ "showChanges": true """);
        await host.SendAsync(HttpMethod.Delete, Entity(id) + "/attrs/street");
        var street = (await host.Receiver.WaitForAsync(path)).Single().Entity["street"]!;
        Assert.Equal(Null, street["languageMap"]!["@none"]!.GetValue<string>());
        Assert.Equal("Grand Place", street["previousLanguageMap"]!["fr"]!.GetValue<string>());

        await host.SendAsync(HttpMethod.Delete, Entity(id) + "/attrs/locatedAt");
        var locatedAt = (await host.Receiver.WaitForAsync(path, 2))[1].Entity["locatedAt"]!;
        Assert.Equal(Null, locatedAt["object"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:City:Paris", locatedAt["previousObject"]!.GetValue<string>());

        await host.SendAsync(HttpMethod.Delete, Entity(id) + "/attrs/category");
        var category = (await host.Receiver.WaitForAsync(path, 3))[2].Entity["category"]!;
        Assert.Equal(Null, category["vocab"]!.GetValue<string>());
        Assert.Equal("monument", category["previousVocab"]!.GetValue<string>());
    }

    [Fact]
    public async Task ShowChanges_on_an_updated_vocab_property_gives_the_previous_vocab_compacted()
    {
        var (path, id) = await SubscribeAndCreateAsync("""
            "notificationTrigger": ["attributeUpdated"]
            """, """ "showChanges": true """);
        await host.SendAsync(HttpMethod.Patch, Entity(id) + "/attrs", """{"category": {"type": "VocabProperty", "vocab": "tower"}}""");
        var category = (await host.Receiver.WaitForAsync(path)).Single().Entity["category"]!;
        Assert.Equal("tower", category["vocab"]!.GetValue<string>());
        Assert.Equal("monument", category["previousVocab"]!.GetValue<string>());
    }

    /// <summary>A subscription to deletions of name, and an entity whose name has a default and a french-name instance.</summary>
    private async Task<(string Path, string Id)> WatchNameDeletionsOfTwoInstancesAsync()
    {
        var (type, path, _) = await host.SubscribeOnNewPathAsync("""
            "watchedAttributes": ["name"], "notificationTrigger": ["attributeDeleted"]
            """);
        var id = await host.CreateWithAttributesAsync(type, """
            "name": [{"type": "Property", "value": "Eiffel Tower"},
                     {"type": "Property", "value": "Tour Eiffel", "datasetId": "urn:ngsi-ld:Dataset:french-name"}]
            """);
        return (path, id);
    }

    [Fact]
    public async Task Deleting_one_datasetId_instance_notifies_attributeDeleted_with_that_instance_null()
    {
        var (path, id) = await WatchNameDeletionsOfTwoInstancesAsync();
        await host.SendAsync(HttpMethod.Delete, Entity(id) + "/attrs/name?datasetId=urn:ngsi-ld:Dataset:french-name");
        var name = (await host.Receiver.WaitForAsync(path)).Single().Entity["name"]!.AsArray();
        Assert.Equal(2, name.Count);
        var french = name.Single(i => i!["datasetId"]?.GetValue<string>() == "urn:ngsi-ld:Dataset:french-name")!;
        Assert.Equal(Null, french["value"]!.GetValue<string>());
        Assert.Equal("Eiffel Tower", name.Single(i => i!["datasetId"] is null)!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deleting_every_instance_notifies_one_null_attribute()
    {
        var (path, id) = await WatchNameDeletionsOfTwoInstancesAsync();
        await host.SendAsync(HttpMethod.Delete, Entity(id) + "/attrs/name?deleteAll=true");
        var name = (await host.Receiver.WaitForAsync(path)).Single().Entity["name"]!;
        Assert.Equal(Null, name["value"]!.GetValue<string>());
        Assert.Null(name["datasetId"]);
    }

    [Fact]
    public async Task A_deleted_entity_with_showChanges_lists_every_attribute_as_null_with_its_previous_value()
    {
        var (path, id) = await SubscribeAndCreateAsync("""
            "notificationTrigger": ["entityDeleted"]
            """, """ "showChanges": true """);
        await host.SendAsync(HttpMethod.Delete, Entity(id));
        var entity = (await host.Receiver.WaitForAsync(path)).Single().Entity;
        Assert.NotNull(entity["deletedAt"]);
        Assert.Equal(Null, entity["name"]!["value"]!.GetValue<string>());
        Assert.Equal("Eiffel Tower", entity["name"]!["previousValue"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:City:Paris", entity["locatedAt"]!["previousObject"]!.GetValue<string>());
        Assert.Null(entity["name"]!["deletedAt"]);
    }

    [Fact]
    public async Task A_deleted_entity_without_showChanges_is_its_id_type_and_timestamps()
    {
        var (path, id) = await SubscribeAndCreateAsync("""
            "notificationTrigger": ["entityDeleted"]
            """, """ "format": "keyValues", "sysAttrs": true """);
        await host.SendAsync(HttpMethod.Delete, Entity(id));
        var entity = (await host.Receiver.WaitForAsync(path)).Single().Entity;
        Assert.Equal(new[] { "createdAt", "deletedAt", "id", "modifiedAt", "type" }, entity.Select(m => m.Key).Order());
    }

    [Fact]
    public async Task Deleting_the_entity_fires_attributeDeleted_for_the_watched_attribute_with_deletedAt_under_sysAttrs()
    {
        var (path, id) = await SubscribeAndCreateAsync("""
            "watchedAttributes": ["name"], "notificationTrigger": ["attributeDeleted"]
            """, """ "sysAttrs": true """);
        await host.SendAsync(HttpMethod.Delete, Entity(id));
        var entity = (await host.Receiver.WaitForAsync(path)).Single().Entity;
        Assert.NotNull(entity["deletedAt"]);
        Assert.NotNull(entity["createdAt"]);
        Assert.Equal(Null, entity["name"]!["value"]!.GetValue<string>());
        Assert.NotNull(entity["name"]!["deletedAt"]);
        Assert.NotNull(entity["name"]!["createdAt"]);
        Assert.Null(entity["street"]);
    }
}
