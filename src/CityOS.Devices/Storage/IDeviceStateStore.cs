using CityOS.Devices.Services;

namespace CityOS.Devices.Storage;

/// <summary>One device's saved state.</summary>
public sealed record DeviceStateRow(string Tenant, string ServicePath, string DeviceId, DeviceState State);

/// <summary>Where <see cref="DeviceActivity"/> keeps device states between restarts.</summary>
public interface IDeviceStateStore
{
    IReadOnlyList<DeviceStateRow> LoadDeviceStates();

    /// <summary>Writes these states in one transaction (a deleted device's state is not brought back).</summary>
    void SaveDeviceStates(IReadOnlyList<DeviceStateRow> states);
}
