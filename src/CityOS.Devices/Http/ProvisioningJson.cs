using System.Text.Json.Nodes;
using CityOS.Devices.Model;

namespace CityOS.Devices.Http;

/// <summary>Service groups and devices in the JSON of the IoT Agents' provisioning API.</summary>
public static class ProvisioningJson
{
    public static JsonObject Group(ServiceGroup group)
    {
        var json = new JsonObject
        {
            ["apikey"] = group.Apikey,
            ["resource"] = group.Resource,
            ["service"] = group.Scope.Service,
            ["subservice"] = group.Scope.ServicePath,
            ["autoprovision"] = group.Autoprovision,
            ["explicitAttrs"] = group.ExplicitAttrs,
        };
        Optional(json, "entity_type", group.EntityType);
        Optional(json, "protocol", group.Protocol);
        Optional(json, "transport", group.Transport);
        Mappings(json, group.Attributes, group.Lazy, group.Commands, group.StaticAttributes);
        return json;
    }

    public static JsonObject Device(Device device)
    {
        var json = new JsonObject
        {
            ["device_id"] = device.DeviceId,
            ["service"] = device.Scope.Service,
            ["service_path"] = device.Scope.ServicePath,
            ["entity_name"] = device.EntityName,
            ["entity_type"] = device.EntityType,
        };
        Optional(json, "apikey", device.Apikey);
        Optional(json, "protocol", device.Protocol);
        Optional(json, "transport", device.Transport);
        Optional(json, "endpoint", device.Endpoint);
        Mappings(json, device.Attributes, device.Lazy, device.Commands, device.StaticAttributes);
        return json;
    }

    private static void Mappings(JsonObject json, IReadOnlyList<AttributeMapping> attributes, IReadOnlyList<AttributeMapping> lazy,
        IReadOnlyList<CommandMapping> commands, IReadOnlyList<AttributeMapping> statics)
    {
        json["attributes"] = new JsonArray([.. attributes.Select(Attribute)]);
        json["lazy"] = new JsonArray([.. lazy.Select(Attribute)]);
        json["commands"] = new JsonArray([.. commands.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["type"] = c.Type })]);
        json["static_attributes"] = new JsonArray([.. statics.Select(Attribute)]);
    }

    private static JsonNode Attribute(AttributeMapping mapping)
    {
        var json = new JsonObject();
        Optional(json, "object_id", mapping.ObjectId);
        json["name"] = mapping.Name;
        json["type"] = mapping.Type;
        if (mapping.Value is not null) json["value"] = mapping.Value.DeepClone();
        Optional(json, "expression", mapping.Expression);
        return json;
    }

    private static void Optional(JsonObject json, string name, string? value)
    {
        if (value is not null) json[name] = value;
    }
}
