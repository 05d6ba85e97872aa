namespace CityOS.Devices.Rules;

/// <summary>
/// A refusal in the words of the FIWARE IoT Agents: their error <see cref="Name"/> (e.g. DUPLICATE_DEVICE_ID) and HTTP status,
/// so provisioning scripts written for them read the same answer.
/// </summary>
public sealed class IotAgentException(int status, string name, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Name { get; } = name;

    public static IotAgentException WrongSyntax(string detail) => new(400, "WRONG_SYNTAX", "Wrong syntax in request: " + detail);
    public static IotAgentException MissingHeaders(string header) => new(400, "MISSING_HEADERS", $"Some headers were missing from the request: [\"{header}\"]");
    public static IotAgentException BadRequest(string detail) => new(400, "BAD_REQUEST", detail);
    public static IotAgentException DeviceNotFound(string id) => new(404, "DEVICE_NOT_FOUND", "No device was found with id:" + id);
    public static IotAgentException GroupNotFound(string resource, string apikey) =>
        new(404, "DEVICE_GROUP_NOT_FOUND", $"Couldn't find device group for fields: [\"resource\",\"apikey\"] and values: [\"{resource}\",\"{apikey}\"]");
    public static IotAgentException DuplicateDevice(string service, string id) =>
        new(409, "DUPLICATE_DEVICE_ID", $"A device with the same pair (Service, DeviceId) was found:{service}-{id}");
    public static IotAgentException DuplicateGroup(string resource, string apikey) =>
        new(409, "DUPLICATE_GROUP", $"A device configuration already exists for resource {resource} and API Key {apikey}");
    public static IotAgentException BadMeasure(string detail) => new(400, "BAD_MEASURE", detail);
}
