using System.Text.Json.Nodes;
using CityOS.Core.Security;
using CityOS.Devices.Model;
using CityOS.Devices.Rules;
using CityOS.Devices.Services;
using CityOS.Devices.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CityOS.Devices.Http;

/// <summary>The provisioning API of the FIWARE IoT Agents: /iot/about, /iot/services and /iot/devices.</summary>
public static class ProvisioningApi
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 1000;

    public static RouteGroupBuilder MapProvisioningApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/iot").WithTags("Devices").AddEndpointFilter(IotAgentHttp.Errors)
            .RequireAuthorization(CallerAuthentication.CallerPolicy);
        api.MapGet("/about", About).WithName("IotAbout").WithSummary("The agent's version (a heartbeat for provisioning tools).");
        api.MapPost("/services", CreateServices).WithName("IotCreateServices").WithSummary("Provisions service groups (apikey, entity type, mappings).");
        api.MapGet("/services", ListServices).WithName("IotListServices").WithSummary("The service groups of the fiware-service and path.");
        api.MapDelete("/services", DeleteService).WithName("IotDeleteService").WithSummary("Removes the service group of a resource and apikey.");
        api.MapPost("/devices", CreateDevices).WithName("IotCreateDevices").WithSummary("Provisions devices (id, entity, mappings, commands).");
        api.MapGet("/devices", ListDevices).WithName("IotListDevices").WithSummary("The devices of the fiware-service and path.");
        api.MapGet("/devices/{deviceId}", GetDevice).WithName("IotGetDevice").WithSummary("One provisioned device.");
        api.MapDelete("/devices/{deviceId}", DeleteDevice).WithName("IotDeleteDevice").WithSummary("Removes a provisioned device.");
        return api;
    }

    public static Ok<JsonObject> About(HttpContext context) => TypedResults.Ok(new JsonObject
    {
        ["libVersion"] = "4.0.0",
        ["port"] = context.Request.Host.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        ["baseRoot"] = "/",
        ["version"] = typeof(ProvisioningApi).Assembly.GetName().Version?.ToString() ?? "0.0.0",
    });

    public static async Task<IResult> CreateServices(HttpContext context, IDeviceRegistry registry, IOptions<SecurityOptions> security,
        IOptions<DevicesOptions> options, CancellationToken ct)
    {
        var scope = Authorized(context, security);
        var groups = ProvisioningRules.ReadServices(await IotAgentHttp.ReadJsonAsync(context.Request, options.Value.MaxPayloadBytes, ct), scope);
        await registry.AddGroupsAsync(groups, ct);
        return TypedResults.Created();
    }

    public static async Task<IResult> ListServices(HttpContext context, IDeviceRegistry registry, IOptions<SecurityOptions> security,
        int? limit, int? offset, CancellationToken ct)
    {
        var scope = Authorized(context, security);
        var (groups, count) = await registry.ListGroupsAsync(scope, Limit(limit), Offset(offset), ct);
        return TypedResults.Ok(new JsonObject { ["count"] = count, ["services"] = new JsonArray([.. groups.Select(ProvisioningJson.Group)]) });
    }

    public static async Task<IResult> DeleteService(HttpContext context, IDeviceRegistry registry, IOptions<SecurityOptions> security,
        string? resource, string? apikey, CancellationToken ct)
    {
        var scope = Authorized(context, security);
        if (string.IsNullOrEmpty(apikey)) throw new IotAgentException(400, "MISSING_CONFIG_PARAMS", "Some of the mandatory params weren't found in the request: [\"apikey\"]");
        resource ??= ProvisioningRules.DefaultResource;
        return await registry.DeleteGroupAsync(scope, resource, apikey, ct)
            ? TypedResults.NoContent()
            : IotAgentHttp.Error(IotAgentException.GroupNotFound(resource, apikey));
    }

    public static async Task<IResult> CreateDevices(HttpContext context, IDeviceRegistry registry, DeviceCommands commands, IOptions<SecurityOptions> security,
        IOptions<DevicesOptions> options, CancellationToken ct)
    {
        var scope = Authorized(context, security);
        var devices = ProvisioningRules.ReadDevices(await IotAgentHttp.ReadJsonAsync(context.Request, options.Value.MaxPayloadBytes, ct), scope);
        var (groups, _) = await registry.ListGroupsAsync(scope, MaxLimit, 0, ct);
        var provisioned = new List<Device>();
        var effective = new List<Device>();
        foreach (var device in devices)
        {
            var group = device.Apikey is null ? groups.FirstOrDefault() : groups.FirstOrDefault(g => g.Apikey == device.Apikey);
            if (device.Apikey is not null && group is null && await registry.FindGroupByApikeyAsync(device.Apikey, ct) is not null)
            {
                // The apikey is another tenant's (or path's): a device cannot borrow it.
                throw IotAgentException.BadRequest($"The apikey '{device.Apikey}' belongs to another fiware-service or fiware-servicepath.");
            }
            provisioned.Add(DeviceDefaults.Provisioned(device, group));
            effective.Add(DeviceDefaults.Effective(provisioned[^1], group));
        }
        var duplicate = provisioned.GroupBy(d => d.DeviceId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw IotAgentException.DuplicateDevice(scope.Service, duplicate.Key);
        await registry.AddDevicesAsync(provisioned, ct);
        await commands.ShowCommandsAsync(effective, ct);
        return TypedResults.Created();
    }

    public static async Task<IResult> ListDevices(HttpContext context, IDeviceRegistry registry, DeviceActivity activity, TimeProvider clock,
        IOptions<SecurityOptions> security, int? limit, int? offset, CancellationToken ct)
    {
        var scope = Authorized(context, security);
        var (devices, count) = await registry.ListDevicesAsync(scope, Limit(limit), Offset(offset), ct);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new JsonObject
        {
            ["count"] = count,
            ["devices"] = new JsonArray([.. devices.Select(d => ProvisioningJson.Device(d, activity.Get(d.Scope, d.DeviceId), now))]),
        });
    }

    public static async Task<IResult> GetDevice(HttpContext context, IDeviceRegistry registry, DeviceActivity activity, TimeProvider clock,
        IOptions<SecurityOptions> security, string deviceId, CancellationToken ct)
    {
        var scope = Authorized(context, security);
        return await registry.GetDeviceAsync(scope, deviceId, ct) is { } device
            ? TypedResults.Ok(ProvisioningJson.Device(device, activity.Get(device.Scope, device.DeviceId), clock.GetUtcNow()))
            : IotAgentHttp.Error(IotAgentException.DeviceNotFound(deviceId));
    }

    public static async Task<IResult> DeleteDevice(HttpContext context, IDeviceRegistry registry, DeviceActivity activity, IOptions<SecurityOptions> security,
        string deviceId, CancellationToken ct)
    {
        var scope = Authorized(context, security);
        if (!await registry.DeleteDeviceAsync(scope, deviceId, ct)) return IotAgentHttp.Error(IotAgentException.DeviceNotFound(deviceId));
        activity.Forget(scope, deviceId);
        return TypedResults.NoContent();
    }

    /// <summary>The call's scope; with security on, provisioning is for the tenant's administrators (and system administrators).</summary>
    private static ServiceScope Authorized(HttpContext context, IOptions<SecurityOptions> security)
    {
        var scope = IotAgentHttp.RequiredScope(context.Request);
        if (!security.Value.Enabled) return scope;
        var caller = context.Caller();
        if (caller.IsAnonymous) throw new IotAgentException(401, "UNAUTHORIZED", "Provisioning needs a bearer token (Authorization: Bearer <access token>).");
        if (!IotAgentHttp.AdministersTenant(caller, scope.Tenant))
        {
            throw new IotAgentException(403, "ACCESS_FORBIDDEN", $"Provisioning in '{SecurityTenants.Key(scope.Tenant)}' is for the tenant's administrators.");
        }
        return scope;
    }

    private static int Limit(int? limit) => limit switch
    {
        null => DefaultLimit,
        < 1 or > MaxLimit => throw IotAgentException.BadRequest($"limit must be between 1 and {MaxLimit}."),
        _ => limit.Value,
    };

    private static int Offset(int? offset) => offset is < 0 ? throw IotAgentException.BadRequest("offset must not be negative.") : offset ?? 0;
}
