using System.Text.Json.Nodes;

namespace CityOS.Devices.Model;

/// <summary>Where a provisioning record lives: the fiware-service (a CityOS tenant, null for the default one) and fiware-servicepath.</summary>
public sealed record ServiceScope(string? Tenant, string ServicePath)
{
    /// <summary>The fiware-service name as the IoT Agents show it ("" for the default tenant).</summary>
    public string Service => Tenant ?? "";
}

/// <summary>
/// One mapped attribute: a measure named <see cref="ObjectId"/> (or <see cref="Name"/>) becomes the attribute
/// <see cref="Name"/> of NGSI type <see cref="Type"/>; a static attribute carries its <see cref="Value"/>; an
/// expression computes the value from the measures.
/// </summary>
public sealed record AttributeMapping(string Name, string Type, string? ObjectId = null, JsonNode? Value = null, string? Expression = null)
{
    public string MeasureName => ObjectId ?? Name;
}

/// <summary>A command a device accepts.</summary>
public sealed record CommandMapping(string Name, string Type);

/// <summary>A service group (configuration group) of the IoT Agents: the defaults for every device that sends with its apikey.</summary>
public sealed record ServiceGroup(
    ServiceScope Scope,
    string Apikey,
    string Resource,
    string? EntityType,
    string? Protocol,
    string? Transport,
    bool Autoprovision,
    bool ExplicitAttrs,
    IReadOnlyList<AttributeMapping> Attributes,
    IReadOnlyList<AttributeMapping> Lazy,
    IReadOnlyList<CommandMapping> Commands,
    IReadOnlyList<AttributeMapping> StaticAttributes)
{
    /// <summary>The hash of the group's MQTT password (username: the apikey), or null when its devices cannot use the built-in broker with it.</summary>
    public string? PasswordHash { get; init; }

    /// <summary>The seconds within which each device of the group is expected to send a measure (its devices' default), or null.</summary>
    public int? Timeout { get; init; }
}

/// <summary>A provisioned device.</summary>
public sealed record Device(
    ServiceScope Scope,
    string DeviceId,
    string EntityName,
    string EntityType,
    string? Apikey,
    string? Protocol,
    string? Transport,
    string? Endpoint,
    IReadOnlyList<AttributeMapping> Attributes,
    IReadOnlyList<AttributeMapping> Lazy,
    IReadOnlyList<CommandMapping> Commands,
    IReadOnlyList<AttributeMapping> StaticAttributes)
{
    /// <summary>The hash of the device's own MQTT password (username: APIKEY/DEVICEID), or null.</summary>
    public string? PasswordHash { get; init; }

    /// <summary>The seconds within which the device is expected to send a measure; after that without one it is silent. Null: never silent.</summary>
    public int? Timeout { get; init; }
}
