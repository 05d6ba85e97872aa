using CityOS.Devices.Model;

namespace CityOS.Devices.Storage;

/// <summary>The provisioned service groups and devices. Writes of several records are all or nothing.</summary>
public interface IDeviceRegistry
{
    /// <summary>Adds the groups; DUPLICATE_GROUP (nothing added) when one's resource and apikey are taken, in any tenant.</summary>
    Task AddGroupsAsync(IReadOnlyList<ServiceGroup> groups, CancellationToken ct);

    Task<(IReadOnlyList<ServiceGroup> Groups, int Count)> ListGroupsAsync(ServiceScope scope, int limit, int offset, CancellationToken ct);

    /// <summary>The group of this resource and apikey, whatever its tenant (the caller checks the tenant).</summary>
    Task<ServiceGroup?> FindGroupAsync(string resource, string apikey, CancellationToken ct);

    /// <summary>The group of this apikey in any resource (MQTT topics carry no resource).</summary>
    Task<ServiceGroup?> FindGroupByApikeyAsync(string apikey, CancellationToken ct);

    Task<bool> DeleteGroupAsync(ServiceScope scope, string resource, string apikey, CancellationToken ct);

    /// <summary>Adds the devices; DUPLICATE_DEVICE_ID (nothing added) when one's id is taken in its service and path.</summary>
    Task AddDevicesAsync(IReadOnlyList<Device> devices, CancellationToken ct);

    Task<(IReadOnlyList<Device> Devices, int Count)> ListDevicesAsync(ServiceScope scope, int limit, int offset, CancellationToken ct);

    Task<Device?> GetDeviceAsync(ServiceScope scope, string deviceId, CancellationToken ct);

    /// <summary>The device of this id that sends with this apikey.</summary>
    Task<Device?> FindDeviceAsync(string apikey, string deviceId, CancellationToken ct);

    /// <summary>The device whose entity this is in the tenant (null: the default tenant), or null.</summary>
    Task<Device?> FindDeviceByEntityAsync(string? tenant, string entityId, CancellationToken ct);

    Task<bool> DeleteDeviceAsync(ServiceScope scope, string deviceId, CancellationToken ct);

    ValueTask<bool> PingAsync(CancellationToken ct);
}
