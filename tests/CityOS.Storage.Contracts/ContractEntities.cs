using System.Text.Json.Nodes;
using CityOS.Context.Model;

namespace CityOS.Storage.Contracts;

/// <summary>Entities the storage contract tests (and an engine's own tests) write: sensors with a temperature, a name and a location.</summary>
public static class ContractEntities
{
    public const string Ns = "https://example.org/";

    public static Entity Sensor(string id, double temperature, double lon = 139.767, double lat = 35.681, string type = "Sensor") => new()
    {
        Id = id,
        Types = [Ns + type],
        CreatedAt = DateTimeOffset.UnixEpoch,
        ModifiedAt = DateTimeOffset.UnixEpoch,
        Attributes =
        {
            [Ns + "temperature"] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = temperature, UnitCode = "CEL" }],
            [Ns + "name"] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = "sensor " + id }],
            [Ns + "location"] = [new NgsiAttribute { Kind = AttributeKind.GeoProperty, Value = JsonNode.Parse($$"""{"type":"Point","coordinates":[{{lon}},{{lat}}]}""") }],
        },
    };
}
