using System.Text;
using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Outbound;
using CityOS.Devices.Model;
using CityOS.Devices.Mqtt;
using CityOS.Devices.Rules;
using CityOS.Devices.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Devices.Services;

/// <summary>
/// Commands (AM-3) as the IoT Agents carry them: a command provisioned on a device is an attribute of its entity; a new
/// value of it is sent southbound — POSTed to the device's endpoint (the answer is the result), published on MQTT
/// <c>/{apikey}/{deviceId}/cmd</c> (answered on <c>cmdexe</c>), or held until a polling UltraLight device fetches it in the
/// answer to its next measure — and its progress is written back as <c>{cmd}_status</c> (PENDING, DELIVERED once published or fetched, OK, ERROR, EXPIRED) and
/// <c>{cmd}_info</c>. A command not answered within <see cref="DevicesOptions.CommandExpirySeconds"/> expires.
/// </summary>
public sealed class DeviceCommands(
    ICommandStore store,
    IContextWriter writer,
    MqttCommandOutlet mqtt,
    OutboundPolicy outbound,
    TimeProvider clock,
    IOptions<DevicesOptions> options,
    ILogger<DeviceCommands> logger)
{
    public const string Pending = "PENDING";
    public const string Delivered = "DELIVERED";
    public const string Ok = "OK";
    public const string Error = "ERROR";
    public const string Expired = "EXPIRED";

    private readonly HttpClient _http = new(outbound.CreateHandler()) { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Gives the entities of newly provisioned devices their command attributes (empty until a command is sent).</summary>
    public async Task ShowCommandsAsync(IReadOnlyList<Device> devices, CancellationToken ct)
    {
        foreach (var tenant in devices.Where(d => d.Commands.Count > 0).GroupBy(d => d.Scope.Tenant))
        {
            var entities = tenant.Select(device =>
            {
                var entity = new JsonObject { ["id"] = device.EntityName, ["type"] = device.EntityType };
                foreach (var command in device.Commands) entity[command.Name] = new JsonObject { ["type"] = "Property", ["value"] = "" };
                return entity;
            }).ToList();
            var result = await writer.UpsertBatchAsync(MeasureIngest.AgentCall(tenant.Key), entities, update: true, ct);
            if (result.Errors.Count > 0)
                throw new IotAgentException(503, "ENTITY_GENERIC_ERROR", "The command attributes could not be written: " + result.Errors[0].Error.Detail);
        }
    }

    /// <summary>Sends a command with its value to the device; the task completes once it is on its way (or answered, over HTTP).</summary>
    public async Task SendAsync(Device device, string name, JsonNode? value, CancellationToken ct)
    {
        var expires = clock.GetUtcNow().AddSeconds(options.Value.CommandExpirySeconds);
        var command = new PendingCommand(device.Scope, device.Apikey ?? "", device.DeviceId, device.EntityName, device.EntityType, name, value?.DeepClone(),
            expires, Delivered: false);
        await WriteStatusAsync(command, Pending, "", ct);
        var json = IsJson(device);
        if (device.Endpoint is { } endpoint)
        {
            await PushAsync(command, new Uri(endpoint), json, ct);
        }
        else if (string.Equals(device.Transport, "MQTT", StringComparison.OrdinalIgnoreCase))
        {
            await store.PutCommandAsync(command with { Delivered = true }, ct);
            // DELIVERED before the publish: the device's answer, which can come at once, must not be overwritten by it.
            await WriteStatusAsync(command, Delivered, "", ct);
            try
            {
                await mqtt.PublishAsync(DeviceTopic.CommandTopic(command.Apikey, command.DeviceId), Payload(command, json), ct);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                await store.CompleteAsync(command.Apikey, command.DeviceId, name, ct);
                await WriteStatusAsync(command, Error, "The command could not be published: " + error.Message, ct);
            }
        }
        else
        {
            await store.PutCommandAsync(command, ct);
        }
    }

    /// <summary>The commands a polling device gets in the answer to its measure (UltraLight <c>id@cmd|value</c>, several joined by #), or null.</summary>
    public async Task<string?> TakeForPollingAsync(Device device, CancellationToken ct)
    {
        if (device.Commands.Count == 0 || device.Apikey is null) return null;
        var pending = await store.TakeUndeliveredAsync(device.Apikey, device.DeviceId, ct);
        foreach (var command in pending) await WriteStatusAsync(command, Delivered, "", ct);
        return pending.Count == 0 ? null : string.Join('#', pending.Select(c => Payload(c, json: false)));
    }

    /// <summary>
    /// A device's answer: UltraLight <c>id@cmd|result</c> (several joined by #) or JSON <c>{"cmd": result}</c>. The command
    /// becomes OK with the result as its info. An answer to no pending command is refused (BAD_MEASURE).
    /// </summary>
    public async Task AnswerAsync(string apikey, string deviceId, MeasureFormat format, string text, CancellationToken ct)
    {
        foreach (var (name, result) in Answers(format, text))
        {
            var command = await store.CompleteAsync(apikey, deviceId, name, ct)
                ?? throw IotAgentException.BadMeasure($"The device {deviceId} answers the command '{name}', which is not pending.");
            await WriteStatusAsync(command, Ok, result, ct);
        }
    }

    /// <summary>Marks the commands whose time ran out as EXPIRED.</summary>
    public async Task ExpireAsync(CancellationToken ct)
    {
        foreach (var command in await store.TakeExpiredAsync(clock.GetUtcNow(), ct))
        {
            await WriteStatusAsync(command, Expired, $"The device did not answer within {options.Value.CommandExpirySeconds} s.", ct);
        }
    }

    /// <summary>Whether a UltraLight body is a command answer (<c>id@cmd|result</c>) rather than measures.</summary>
    public static bool IsUltraLightAnswer(string body) => body.Split('|', 2)[0].Contains('@');

    private async Task PushAsync(PendingCommand command, Uri endpoint, bool json, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
            {
                Content = new StringContent(Payload(command, json), Encoding.UTF8, json ? "application/json" : "text/plain"),
            };
            using var response = await _http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                await WriteStatusAsync(command, Error, $"The device answered {(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(body)}", ct);
                return;
            }
            var results = Answers(json ? MeasureFormat.Json : MeasureFormat.UltraLight, body).Where(a => a.Name == command.Name).Select(a => a.Result).ToList();
            await WriteStatusAsync(command, Ok, results.Count > 0 ? results[0] : body, ct);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or OutboundDeniedException or IotAgentException && !ct.IsCancellationRequested)
        {
            await WriteStatusAsync(command, Error, "The device could not be reached: " + error.Message, ct);
        }
    }

    private static IEnumerable<(string Name, string Result)> Answers(MeasureFormat format, string text)
    {
        if (format == MeasureFormat.Json)
        {
            if (MqttDeviceMessages.Json(text) is not JsonObject answers || answers.Count == 0)
                throw IotAgentException.BadMeasure("A JSON command answer is an object {\"command\": result}.");
            return answers.Select(a => (a.Key, a.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : a.Value?.ToJsonString() ?? "")).ToList();
        }
        var list = new List<(string, string)>();
        foreach (var part in text.Split('#', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = part.Split('|', 2);
            var at = fields[0].IndexOf('@');
            if (at < 0 || at == fields[0].Length - 1) throw IotAgentException.BadMeasure($"'{part}' is no UltraLight command answer (device@command|result).");
            list.Add((fields[0][(at + 1)..], fields.Length > 1 ? fields[1] : ""));
        }
        if (list.Count == 0) throw IotAgentException.BadMeasure("The command answer is empty.");
        return list;
    }

    private static string Payload(PendingCommand command, bool json)
    {
        if (json) return new JsonObject { [command.Name] = command.Value?.DeepClone() }.ToJsonString();
        var value = command.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : command.Value?.ToJsonString() ?? "";
        return $"{command.DeviceId}@{command.Name}|{value}";
    }

    private static bool IsJson(Device device) =>
        device.Protocol is { } protocol && protocol.Contains("JSON", StringComparison.OrdinalIgnoreCase);

    private async Task WriteStatusAsync(PendingCommand command, string status, string info, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var entity = new JsonObject
        {
            ["id"] = command.EntityId,
            ["type"] = command.EntityType,
            [command.Name + "_status"] = new JsonObject { ["type"] = "Property", ["value"] = status, ["observedAt"] = now },
            [command.Name + "_info"] = new JsonObject { ["type"] = "Property", ["value"] = info, ["observedAt"] = now },
        };
        var result = await writer.UpsertBatchAsync(MeasureIngest.AgentCall(command.Scope.Tenant), [entity], update: true, ct);
        if (result.Errors.Count > 0)
            logger.LogWarning("The status {Status} of command {Command} of {Entity} could not be written: {Error}", status, command.Name, command.EntityId, result.Errors[0].Error.Detail);
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
