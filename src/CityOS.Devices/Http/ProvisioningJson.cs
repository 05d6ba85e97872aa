using System.Globalization;
using System.Text.Json.Nodes;
using CityOS.Devices.Model;
using CityOS.Devices.Services;

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
        if (group.Timeout is { } groupTimeout) json["timeout"] = groupTimeout;
        Mappings(json, group.Attributes, group.Lazy, group.Commands, group.StaticAttributes);
        return json;
    }

    /// <summary>
    /// The device with its state (CityOS fields): <c>lastMeasure</c> (the latest measure's time, absent before the first),
    /// <c>measureCount</c>, <c>errorCount</c> (measures refused), and <c>silent</c> (no measure within its <c>timeout</c>).
    /// </summary>
    public static JsonObject Device(Device device, DeviceState state, DateTimeOffset now)
    {
        var json = Device(device);
        if (state.LastMeasure is { } last) json["lastMeasure"] = last.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        json["measureCount"] = state.Measures;
        json["errorCount"] = state.Errors;
        json["silent"] = state.IsSilent(device.Timeout, now);
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
        if (device.Timeout is { } timeout) json["timeout"] = timeout;
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
