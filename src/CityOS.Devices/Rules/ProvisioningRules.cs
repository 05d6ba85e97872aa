using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Devices.Model;

namespace CityOS.Devices.Rules;

/// <summary>
/// Reads the provisioning payloads of the IoT Agents (<c>{"services": [...]}</c>, <c>{"devices": [...]}</c>) into
/// <see cref="ServiceGroup"/>s and <see cref="Device"/>s, refusing what they would refuse with the field named.
/// </summary>
public static class ProvisioningRules
{
    public const string DefaultResource = "/iot/d";
    private const int MaxNameLength = 256;

    public static IReadOnlyList<ServiceGroup> ReadServices(JsonNode body, ServiceScope scope) =>
        Elements(body, "services").Select((element, i) => ReadService(element, scope, $"services[{i}]")).ToArray();

    public static IReadOnlyList<Device> ReadDevices(JsonNode body, ServiceScope scope, Func<Device, Device>? defaults = null) =>
        Elements(body, "devices").Select((element, i) => ReadDevice(element, scope, $"devices[{i}]")).ToArray();

    public static ServiceGroup ReadService(JsonObject service, ServiceScope scope, string at)
    {
        Known(service, at, "apikey", "token", "cbroker", "entity_type", "resource", "protocol", "transport", "attributes", "lazy", "commands",
            "static_attributes", "internal_attributes", "explicitAttrs", "autoprovision", "timestamp", "entityNameExp", "expressionLanguage",
            "description", "service", "subservice", "timezone", "ngsiVersion", "payloadType", "defaultEntityNameConjunction", "password", "timeout");
        var apikey = RequiredString(service, "apikey", at);
        var resource = OptionalString(service, "resource", at) ?? DefaultResource;
        if (!resource.StartsWith('/')) throw IotAgentException.WrongSyntax($"{at}.resource must be a path starting with '/'");
        return new ServiceGroup(scope, apikey, resource,
            OptionalName(service, "entity_type", at),
            OptionalString(service, "protocol", at),
            OptionalString(service, "transport", at),
            OptionalBool(service, "autoprovision", at) ?? true,
            OptionalBool(service, "explicitAttrs", at) ?? false,
            Attributes(service, "attributes", at, staticValues: false),
            Attributes(service, "lazy", at, staticValues: false),
            Commands(service, at),
            Attributes(service, "static_attributes", at, staticValues: true)) { PasswordHash = Password(service, at), Timeout = Timeout(service, at) };
    }

    public static Device ReadDevice(JsonObject device, ServiceScope scope, string at)
    {
        Known(device, at, "device_id", "entity_name", "entity_type", "apikey", "protocol", "transport", "endpoint", "attributes", "lazy",
            "commands", "static_attributes", "internal_attributes", "timezone", "timestamp", "explicitAttrs", "ngsiVersion", "polling",
            "service", "service_path", "payloadType", "password", "timeout");
        var id = RequiredName(device, "device_id", at);
        var type = OptionalName(device, "entity_type", at);
        var entityName = OptionalString(device, "entity_name", at);
        var endpoint = OptionalString(device, "endpoint", at);
        if (endpoint is not null && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
        {
            throw IotAgentException.WrongSyntax($"{at}.endpoint must be an absolute URL");
        }
        return new Device(scope, id, entityName ?? "", type ?? "", OptionalString(device, "apikey", at),
            OptionalString(device, "protocol", at), OptionalString(device, "transport", at), endpoint,
            Attributes(device, "attributes", at, staticValues: false),
            Attributes(device, "lazy", at, staticValues: false),
            Commands(device, at),
            Attributes(device, "static_attributes", at, staticValues: true)) { PasswordHash = Password(device, at), Timeout = Timeout(device, at) };
    }

    /// <summary>The expected interval of measures in seconds (a CityOS field; a whole number from 1 to 31,622,400, a year), or null.</summary>
    private static int? Timeout(JsonObject item, string at)
    {
        if (item["timeout"] is not { } node) return null;
        if (node is JsonValue value && value.TryGetValue<double>(out var seconds) && seconds == Math.Floor(seconds) && seconds is >= 1 and <= 31_622_400)
        {
            return (int)seconds;
        }
        throw IotAgentException.WrongSyntax($"{at}.timeout must be a whole number of seconds from 1 to 31622400");
    }

    /// <summary>The hash of the MQTT password of a group or device (a CityOS field; at least 8 characters), or null.</summary>
    private static string? Password(JsonObject item, string at)
    {
        var password = OptionalString(item, "password", at);
        if (password is null) return null;
        if (password.Length < 8) throw IotAgentException.WrongSyntax($"{at}.password must have at least 8 characters");
        return DevicePasswords.Hash(password);
    }

    /// <summary>The device's entity id: its entity_name (a URN as given; otherwise under urn:ngsi-ld:TYPE:) or urn:ngsi-ld:TYPE:DEVICEID.</summary>
    public static string EntityId(string entityType, string deviceId, string? entityName)
    {
        if (string.IsNullOrEmpty(entityName)) return $"urn:ngsi-ld:{entityType}:{deviceId}";
        return Uri.TryCreate(entityName, UriKind.Absolute, out var uri) && uri.Scheme.Length > 1 ? entityName : $"urn:ngsi-ld:{entityType}:{entityName}";
    }

    private static IEnumerable<JsonObject> Elements(JsonNode body, string member)
    {
        if (body is not JsonObject root || root[member] is not JsonArray array)
        {
            throw IotAgentException.WrongSyntax($"the body must be an object with an array '{member}'");
        }
        if (array.Count == 0) throw IotAgentException.WrongSyntax($"'{member}' is empty");
        foreach (var (element, i) in array.Select((e, i) => (e, i)))
        {
            if (element is not JsonObject item) throw IotAgentException.WrongSyntax($"{member}[{i}] must be an object");
            yield return item;
        }
    }

    private static void Known(JsonObject item, string at, params string[] names)
    {
        foreach (var (key, _) in item)
        {
            if (!names.Contains(key, StringComparer.Ordinal)) throw IotAgentException.WrongSyntax($"{at} has an unknown field '{key}'");
        }
    }

    private static IReadOnlyList<AttributeMapping> Attributes(JsonObject item, string member, string at, bool staticValues)
    {
        if (item[member] is null) return [];
        if (item[member] is not JsonArray array) throw IotAgentException.WrongSyntax($"{at}.{member} must be an array");
        var mappings = new List<AttributeMapping>();
        for (var i = 0; i < array.Count; i++)
        {
            var where = $"{at}.{member}[{i}]";
            if (array[i] is not JsonObject attribute) throw IotAgentException.WrongSyntax($"{where} must be an object");
            var name = RequiredName(attribute, "name", where);
            var type = OptionalString(attribute, "type", where) ?? (staticValues ? "Property" : "Text");
            if (staticValues && !attribute.ContainsKey("value")) throw IotAgentException.WrongSyntax($"{where}.value is missing");
            var expression = OptionalString(attribute, "expression", where);
            if (expression is not null) MeasureExpressions.Check(expression, where + ".expression");
            mappings.Add(new AttributeMapping(name, type, OptionalName(attribute, "object_id", where), attribute["value"]?.DeepClone(), expression));
        }
        var duplicate = mappings.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw IotAgentException.WrongSyntax($"{at}.{member} names '{duplicate.Key}' twice");
        return mappings;
    }

    private static IReadOnlyList<CommandMapping> Commands(JsonObject item, string at)
    {
        if (item["commands"] is null) return [];
        if (item["commands"] is not JsonArray array) throw IotAgentException.WrongSyntax($"{at}.commands must be an array");
        return array.Select((c, i) => c is JsonObject command
            ? new CommandMapping(RequiredName(command, "name", $"{at}.commands[{i}]"), OptionalString(command, "type", $"{at}.commands[{i}]") ?? "command")
            : throw IotAgentException.WrongSyntax($"{at}.commands[{i}] must be an object")).ToArray();
    }

    private static string RequiredString(JsonObject item, string member, string at) =>
        OptionalString(item, member, at) ?? throw IotAgentException.WrongSyntax($"{at}.{member} is missing");

    private static string RequiredName(JsonObject item, string member, string at) =>
        OptionalName(item, member, at) ?? throw IotAgentException.WrongSyntax($"{at}.{member} is missing");

    /// <summary>A name that goes into entity ids, attribute names and MQTT topics: no separators, spaces or control characters.</summary>
    private static string? OptionalName(JsonObject item, string member, string at)
    {
        var value = OptionalString(item, member, at);
        if (value is null) return null;
        if (value.Length > MaxNameLength || value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '/' or '#' or '+' or '|' or '?' or '&'))
        {
            throw IotAgentException.WrongSyntax($"{at}.{member} '{value}' contains characters that are not allowed (space, / # + | ? &)");
        }
        return value;
    }

    private static string? OptionalString(JsonObject item, string member, string at)
    {
        var node = item[member];
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.String) throw IotAgentException.WrongSyntax($"{at}.{member} must be a string");
        var value = node.GetValue<string>();
        if (value.Length == 0) throw IotAgentException.WrongSyntax($"{at}.{member} is empty");
        return value;
    }

    private static bool? OptionalBool(JsonObject item, string member, string at)
    {
        var node = item[member];
        if (node is null) return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw IotAgentException.WrongSyntax($"{at}.{member} must be true or false"),
        };
    }
}
