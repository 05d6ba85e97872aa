using CityOS.Devices.Rules;
using CityOS.Devices.Storage;
using Microsoft.Extensions.Options;

namespace CityOS.Devices.Mqtt;

/// <summary>
/// Who an MQTT client of the built-in broker is: every device of a service group (<see cref="DeviceId"/> null), one device,
/// or, where <see cref="MqttBrokerOptions.AllowAnonymous"/> is on, an anonymous client (<see cref="Apikey"/> null) that the
/// apikey of each topic identifies, as with the FIWARE IoT Agents.
/// </summary>
public sealed record MqttPrincipal(string? Apikey, string? DeviceId)
{
    public static readonly MqttPrincipal Anonymous = new(null, null);
}

/// <summary>
/// Authentication and the ACL of the built-in broker. Username <c>APIKEY</c> with the service group's password, or
/// <c>APIKEY/DEVICEID</c> with the device's own; unknown names and wrong passwords are refused, anonymous clients too unless
/// <see cref="MqttBrokerOptions.AllowAnonymous"/>. A client publishes only to the attrs, attrs/{attr} and cmdexe topics of
/// its device(s), and subscribes only to their cmd topic. An apikey belongs to one tenant, so a client never reaches another
/// tenant's devices.
/// </summary>
public sealed class MqttAccess(IDeviceRegistry registry, IOptions<MqttBrokerOptions> options)
{
    public async Task<MqttPrincipal?> AuthenticateAsync(string? username, string? password, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(username))
            return string.IsNullOrEmpty(password) && options.Value.AllowAnonymous ? MqttPrincipal.Anonymous : null;
        if (string.IsNullOrEmpty(password)) return null;
        var slash = username.IndexOf('/');
        if (slash < 0)
        {
            var group = await registry.FindGroupByApikeyAsync(username, ct);
            return DevicePasswords.Verify(group?.PasswordHash, password) ? new MqttPrincipal(username, null) : null;
        }
        var (apikey, deviceId) = (username[..slash], username[(slash + 1)..]);
        if (apikey.Length == 0 || deviceId.Length == 0) return null;
        var device = await registry.FindDeviceAsync(apikey, deviceId, ct);
        return DevicePasswords.Verify(device?.PasswordHash, password) ? new MqttPrincipal(apikey, deviceId) : null;
    }

    public static bool MayPublish(MqttPrincipal principal, DeviceTopic? topic) =>
        topic is { Kind: not TopicKind.Cmd } && Owns(principal, topic.Apikey, topic.DeviceId);

    /// <summary>Only the cmd topic of its device(s); a group's client may name its devices with <c>+</c>.</summary>
    public static bool MaySubscribe(MqttPrincipal principal, string filter)
    {
        var parts = filter.TrimStart('/').Split('/');
        if (parts.Length == 4 && parts[0] is "json" or "ul") parts = parts[1..];
        if (parts.Length != 3 || parts[2] != "cmd" || IsWildcard(parts[0])) return false;
        if (parts[1] == "+") return principal.Apikey == parts[0] && principal.DeviceId is null;
        return !IsWildcard(parts[1]) && Owns(principal, parts[0], parts[1]);
    }

    private static bool IsWildcard(string level) => level.Contains('#') || level.Contains('+');

    private static bool Owns(MqttPrincipal principal, string apikey, string deviceId) =>
        principal.Apikey is null
            ? principal.DeviceId is null
            : apikey == principal.Apikey && (principal.DeviceId is null || principal.DeviceId == deviceId);
}
