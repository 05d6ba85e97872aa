using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Security;
using CityOS.Devices.Model;
using CityOS.Devices.Rules;
using CityOS.Devices.Storage;

namespace CityOS.Devices.Services;

/// <summary>
/// Takes a device's measures from any southbound path (HTTP, MQTT): finds the device by apikey and id (provisioning it from
/// its service group when the group allows), maps the measures, and writes them into the broker in one commit through
/// <see cref="IContextWriter"/>. The returned task completes only after that commit; a failure leaves nothing written.
/// </summary>
public sealed class MeasureIngest(IDeviceRegistry registry, MeasureBatcher batcher, DeviceActivity activity, TimeProvider clock)
{
    /// <summary>The role the agent writes with in a device's tenant: the apikey of a group provisioned there is the device's credential.</summary>
    public const string AgentRole = "tenant-admin";

    private const string AgentSubject = "cityos-iot-agent";

    /// <param name="resource">The HTTP resource the measure came to (/iot/json, /iot/d), or null for MQTT.</param>
    /// <param name="scope">The tenant and path the request named, or null when it named none (MQTT, plain HTTP devices).</param>
    /// <remarks>Measures of many devices arriving together are committed together (<see cref="MeasureBatcher"/>).</remarks>
    public async Task<Device> IngestAsync(string? resource, string apikey, string deviceId, IReadOnlyList<MeasureGroup> groups, ServiceScope? scope,
        CancellationToken ct)
    {
        var arrival = clock.GetUtcNow();
        var device = await ResolveAsync(resource, apikey, deviceId, scope, ct);
        JsonObject entity;
        try
        {
            entity = MeasureMapper.ToEntity(device, groups, arrival);
        }
        catch (IotAgentException)
        {
            activity.Refused(device);
            DevicesMetrics.Measured(stored: false);
            throw;
        }
        if (await batcher.WriteAsync(device.Scope.Tenant, entity, ct) is { } error)
        {
            if (error.Kind == ContextErrorKind.BadRequest) activity.Refused(device);
            DevicesMetrics.Measured(stored: false);
            throw error.Kind switch
            {
                ContextErrorKind.BadRequest => IotAgentException.BadMeasure("The broker refused the measure: " + error.Detail),
                ContextErrorKind.Forbidden or ContextErrorKind.Unauthorized => new IotAgentException(403, "ACCESS_FORBIDDEN", error.Detail),
                _ => new IotAgentException(503, "ENTITY_GENERIC_ERROR", "The measure could not be stored: " + error.Detail),
            };
        }
        activity.Measured(device, arrival);
        DevicesMetrics.Measured(stored: true);
        return device;
    }

    /// <summary>The device with its service group's defaults applied.</summary>
    public async Task<Device> ResolveAsync(string? resource, string apikey, string deviceId, ServiceScope? scope, CancellationToken ct)
    {
        var group = resource is null ? await registry.FindGroupByApikeyAsync(apikey, ct) : await registry.FindGroupAsync(resource, apikey, ct);
        var device = await registry.FindDeviceAsync(apikey, deviceId, ct);
        if (device is null)
        {
            // An apikey belongs to one tenant: a measure naming another is refused as if the apikey were unknown there.
            if (group is null || (scope is not null && group.Scope != scope)) throw IotAgentException.GroupNotFound(resource ?? "", apikey);
            if (!group.Autoprovision) throw IotAgentException.DeviceNotFound(deviceId);
            device = DeviceDefaults.Provisioned(new Device(group.Scope, deviceId, "", "", apikey, group.Protocol, group.Transport, null, [], [], [], []), group);
            try
            {
                await registry.AddDevicesAsync([device], ct);
            }
            catch (IotAgentException error) when (error.Status == 409)
            {
                // Another measure of the same new device provisioned it first.
            }
            device = await registry.FindDeviceAsync(apikey, deviceId, ct) ?? device;
        }
        if (scope is not null && device.Scope != scope) throw IotAgentException.DeviceNotFound(deviceId);
        return DeviceDefaults.Effective(device, group is not null && group.Scope == device.Scope ? group : null);
    }

    /// <summary>A write of the platform's own agent in <paramref name="tenant"/> (measures, command status, polled imports), as <paramref name="subject"/>.</summary>
    internal static ContextCall AgentCall(string? tenant, string subject = AgentSubject) => new(new CallerIdentity
    {
        Subject = subject,
        TenantRoles = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { [SecurityTenants.Key(tenant)] = [AgentRole] },
    }, tenant);
}
