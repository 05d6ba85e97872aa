using CityOS.Devices.Model;

namespace CityOS.Devices.Rules;

/// <summary>How a device takes what it does not say itself from its service group, as the IoT Agents do.</summary>
public static class DeviceDefaults
{
    public const string DefaultEntityType = "Thing";

    /// <summary>The device as stored at provisioning: its apikey, entity type and entity id settled.</summary>
    public static Device Provisioned(Device device, ServiceGroup? group)
    {
        var type = device.EntityType is { Length: > 0 } own ? own : group?.EntityType ?? DefaultEntityType;
        return device with
        {
            Apikey = device.Apikey ?? group?.Apikey,
            EntityType = type,
            EntityName = ProvisioningRules.EntityId(type, device.DeviceId, device.EntityName),
            Protocol = device.Protocol ?? group?.Protocol,
            Transport = device.Transport ?? group?.Transport,
            Timeout = device.Timeout ?? group?.Timeout,
        };
    }

    /// <summary>The mappings a measure goes through: the device's own, then the group's for what the device does not map.</summary>
    public static Device Effective(Device device, ServiceGroup? group)
    {
        if (group is null) return device;
        return device with
        {
            Attributes = Merge(device.Attributes, group.Attributes),
            Lazy = Merge(device.Lazy, group.Lazy),
            StaticAttributes = Merge(device.StaticAttributes, group.StaticAttributes),
            Commands = [.. device.Commands, .. group.Commands.Where(c => device.Commands.All(d => d.Name != c.Name))],
        };
    }

    private static IReadOnlyList<AttributeMapping> Merge(IReadOnlyList<AttributeMapping> own, IReadOnlyList<AttributeMapping> inherited) =>
    [
        .. own,
        .. inherited.Where(g => own.All(d => d.Name != g.Name && d.MeasureName != g.MeasureName)),
    ];
}
