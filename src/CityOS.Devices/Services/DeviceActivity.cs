using System.Collections.Concurrent;
using CityOS.Devices.Model;
using CityOS.Devices.Storage;
using Microsoft.Extensions.Hosting;

namespace CityOS.Devices.Services;

/// <summary>What a device has sent: its last measure's time, how many measures were stored and how many were refused.</summary>
public sealed record DeviceState(DateTimeOffset? LastMeasure, long Measures, long Errors)
{
    public static readonly DeviceState None = new(null, 0, 0);

    /// <summary>
    /// Silent: the device has a <paramref name="timeout"/> (its expected interval) and no measure of it was stored within
    /// that time before <paramref name="now"/> (a device that never sent one is silent once provisioned with a timeout).
    /// </summary>
    public bool IsSilent(int? timeout, DateTimeOffset now) => timeout is { } seconds && (LastMeasure is not { } last || now - last > TimeSpan.FromSeconds(seconds));
}

/// <summary>
/// The state of every device, kept in memory as measures come (no write per measure) and saved to the registry every
/// <see cref="SaveInterval"/> and at shutdown, so it survives a restart (a crash loses at most the last interval's counts).
/// </summary>
public sealed class DeviceActivity(IDeviceStateStore store, TimeProvider clock) : BackgroundService
{
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<DeviceKey, Counters> _devices = new();
    private readonly object _loadGate = new();
    private volatile bool _isLoaded;

    public DeviceState Get(ServiceScope scope, string deviceId)
    {
        Load();
        return _devices.TryGetValue(new DeviceKey(scope.Service, scope.ServicePath, deviceId), out var counters) ? counters.State : DeviceState.None;
    }

    /// <summary>A measure of the device was committed at <paramref name="at"/>.</summary>
    public void Measured(Device device, DateTimeOffset at) => Of(device).Measured(at);

    /// <summary>A measure of the device was refused (it did not fit its mapping, or the broker refused it).</summary>
    public void Refused(Device device) => Of(device).Refused();

    /// <summary>The device was deleted: its state goes with it.</summary>
    public void Forget(ServiceScope scope, string deviceId) => _devices.TryRemove(new DeviceKey(scope.Service, scope.ServicePath, deviceId), out _);

    private Counters Of(Device device)
    {
        Load();
        return _devices.GetOrAdd(new DeviceKey(device.Scope.Service, device.Scope.ServicePath, device.DeviceId), _ => new Counters());
    }

    private void Load()
    {
        if (_isLoaded) return;
        lock (_loadGate)
        {
            if (_isLoaded) return;
            foreach (var row in store.LoadDeviceStates())
            {
                _devices.TryAdd(new DeviceKey(row.Tenant, row.ServicePath, row.DeviceId), new Counters(row.State));
            }
            _isLoaded = true;
        }
    }

    /// <summary>Writes the states that changed since the last save.</summary>
    public void Save()
    {
        if (!_isLoaded) return;
        var changed = new List<DeviceStateRow>();
        foreach (var (key, counters) in _devices)
        {
            if (counters.TakeDirty()) changed.Add(new DeviceStateRow(key.Tenant, key.ServicePath, key.DeviceId, counters.State));
        }
        if (changed.Count > 0) store.SaveDeviceStates(changed);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SaveInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) Save();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Save();
    }

    private readonly record struct DeviceKey(string Tenant, string ServicePath, string DeviceId);

    private sealed class Counters(DeviceState? initial = null)
    {
        private readonly object _gate = new();
        private DeviceState _state = initial ?? DeviceState.None;
        private bool _dirty;

        public DeviceState State
        {
            get { lock (_gate) return _state; }
        }

        public void Measured(DateTimeOffset at)
        {
            lock (_gate)
            {
                _state = _state with { LastMeasure = _state.LastMeasure is { } last && last > at ? last : at, Measures = _state.Measures + 1 };
                _dirty = true;
            }
        }

        public void Refused()
        {
            lock (_gate)
            {
                _state = _state with { Errors = _state.Errors + 1 };
                _dirty = true;
            }
        }

        public bool TakeDirty()
        {
            lock (_gate)
            {
                var dirty = _dirty;
                _dirty = false;
                return dirty;
            }
        }
    }
}
