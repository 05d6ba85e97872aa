using CityOS.Devices.Rules;
using CityOS.Devices.Storage;

namespace CityOS.Devices.Mqtt;

/// <summary>Who an MQTT client of the built-in broker is: every device of a service group (<see cref="DeviceId"/> null) or one device.</summary>
public sealed record MqttPrincipal(string Apikey, string? DeviceId);

/// <summary>
/// Authentication and the ACL of the built-in broker. Username <c>APIKEY</c> with the service group's password, or
/// <c>APIKEY/DEVICEID</c> with the device's own; anonymous clients and unknown names are refused. A client publishes only
/// to the attrs, attrs/{attr} and cmdexe topics of its device(s), and subscribes only to their cmd topic.
/// </summary>
public sealed class MqttAccess(IDeviceRegistry registry)
{
    public async Task<MqttPrincipal?> AuthenticateAsync(string? username, string? password, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password)) return null;
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
        if (parts.Length != 3 || parts[2] != "cmd" || parts[0] != principal.Apikey) return false;
        if (parts[1] == "+") return principal.DeviceId is null;
        return !parts[1].Contains('#') && !parts[1].Contains('+') && Owns(principal, parts[0], parts[1]);
    }

    private static bool Owns(MqttPrincipal principal, string apikey, string deviceId) =>
        apikey == principal.Apikey && (principal.DeviceId is null || principal.DeviceId == deviceId);
}
