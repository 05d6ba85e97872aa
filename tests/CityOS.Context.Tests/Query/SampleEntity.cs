using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Query;

namespace CityOS.Context.Tests.Query;

/// <summary>One entity in expanded form with an attribute of every kind, the way the broker stores it.</summary>
internal static class SampleEntity
{
    public const string Vocab = "https://example.org/";

    public static string Expand(string term) => term.Contains(':') ? term : Vocab + term;

    public static bool Matches(string q) => QExpression.Parse(q).Expand(Expand, Expand).Matches(Entity);

    public static readonly Entity Entity = Build();

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static NgsiAttribute Attr(AttributeKind kind, JsonNode? value) => new() { Kind = kind, Value = value };

    private static Entity Build()
    {
        var temperature = Attr(AttributeKind.Property, JsonValue.Create(21.5));
        temperature.ObservedAt = At("2025-03-01T10:00:00Z");
        temperature.UnitCode = "CEL";
        temperature.CreatedAt = At("2025-01-01T00:00:00Z");
        temperature.ModifiedAt = At("2025-03-01T10:00:00Z");
        temperature.SubAttributes[Expand("accuracy")] = Attr(AttributeKind.Property, JsonValue.Create(0.5));

        var solar = Attr(AttributeKind.Property, JsonValue.Create(40));
        solar.DatasetId = "urn:ds:solar";
        solar.ObservedAt = At("2025-01-02T00:00:00Z");

        var entity = new Entity
        {
            Id = "urn:ngsi-ld:Park:1",
            Types = [Expand("Park")],
            CreatedAt = At("2024-01-01T00:00:00Z"),
            ModifiedAt = At("2025-04-01T00:00:00Z"),
        };

        void Add(string name, params NgsiAttribute[] instances) => entity.Attributes[Expand(name)] = [.. instances];

        Add("temperature", temperature);
        Add("power", Attr(AttributeKind.Property, JsonValue.Create(100)), solar);
        Add("name", Attr(AttributeKind.Property, JsonValue.Create("Parque Norte")));
        Add("motto", Attr(AttributeKind.Property, JsonValue.Create("a \"b\" c\\d café")));
        Add("count", Attr(AttributeKind.Property, JsonValue.Create(7)));
        Add("parsedCount", Attr(AttributeKind.Property, JsonNode.Parse("7")));
        Add("isOpen", Attr(AttributeKind.Property, JsonValue.Create(true)));
        Add("tags", Attr(AttributeKind.Property, JsonNode.Parse("""["green","park","city"]""")));
        Add("address", Attr(AttributeKind.Property, JsonNode.Parse("""{"city":"Berlin","street":"Ulrich Strasse","geo":{"zip":"10115","floor":3}}""")));
        Add("openingDate", Attr(AttributeKind.Property, JsonValue.Create("2024-06-15")));
        Add("lastSeen", Attr(AttributeKind.Property, JsonValue.Create("2025-02-10T08:30:00Z")));
        Add("opensAt", Attr(AttributeKind.Property, JsonValue.Create("08:00:00Z")));
        Add("typedDate", Attr(AttributeKind.Property, JsonNode.Parse("""{"@type":"DateTime","@value":"2025-05-05T00:00:00Z"}""")));
        Add("refSensor", Attr(AttributeKind.Relationship, JsonValue.Create("urn:ngsi-ld:Device:1")));
        Add("owners", Attr(AttributeKind.Relationship, JsonNode.Parse("""["urn:ngsi-ld:Person:a","urn:ngsi-ld:Person:b"]""")));
        Add("route", Attr(AttributeKind.ListRelationship, JsonNode.Parse("""[{"object":"urn:ngsi-ld:Stop:1"},{"object":"urn:ngsi-ld:Stop:2"}]""")));
        Add("location", Attr(AttributeKind.GeoProperty, JsonNode.Parse("""{"type":"Point","coordinates":[1,2]}""")));
        Add("label", Attr(AttributeKind.LanguageProperty, JsonNode.Parse("""{"en":"red","fr":"rouge","de":["rot","rote"]}""")));
        Add("readings", Attr(AttributeKind.ListProperty, JsonNode.Parse("[1,5,9]")));
        Add("category", Attr(AttributeKind.VocabProperty, JsonValue.Create(Expand("Park"))));
        Add("payload", Attr(AttributeKind.JsonProperty, JsonNode.Parse("""{"value":"Overstay 60 minutes","n":3}""")));
        return entity;
    }
}
