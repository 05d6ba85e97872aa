using CityOS.Devices.Rules;
using CityOS.Devices.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Http;

/// <summary>
/// Measures over HTTP as the IoT Agents take them: JSON at <c>POST /iot/json?k=APIKEY&amp;i=DEVICEID</c> (one object or an
/// array of measure groups) and UltraLight 2.0 at <c>/iot/d?k=&amp;i=</c> (body, or <c>GET ...&amp;d=</c>). 200 only once the
/// measures are committed in the broker.
/// </summary>
public static class SouthboundHttpApi
{
    public const string JsonResource = "/iot/json";
    public const string UltraLightResource = "/iot/d";

    public static RouteGroupBuilder MapSouthboundHttpApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/iot").WithTags("Devices").AddEndpointFilter(IotAgentHttp.Errors);
        api.MapPost("/json", PostJson).WithName("IotJsonMeasures").WithSummary("Measures of a device as JSON (k = apikey, i = device id).");
        api.MapPost("/d", PostUltraLight).WithName("IotUltraLightMeasures").WithSummary("Measures of a device in UltraLight 2.0 (a|1|b|2#c|3).");
        api.MapGet("/d", GetUltraLight).WithName("IotUltraLightMeasuresGet").WithSummary("UltraLight 2.0 measures in the d parameter.");
        return api;
    }

    public static async Task<IResult> PostJson(HttpContext context, MeasureIngest ingest, IOptions<DevicesOptions> options,
        string? k, string? i, CancellationToken ct)
    {
        var (apikey, deviceId) = Mandatory(k, i);
        var body = await IotAgentHttp.ReadJsonAsync(context.Request, options.Value.MaxPayloadBytes, ct);
        await ingest.IngestAsync(JsonResource, apikey, deviceId, JsonMeasures.Groups(body), IotAgentHttp.OptionalScope(context.Request), ct);
        return TypedResults.Ok();
    }

    /// <summary>Measures, or the answer to a command (<c>id@cmd|result</c>); the commands held for a polling device come back in the answer.</summary>
    public static async Task<IResult> PostUltraLight(HttpContext context, MeasureIngest ingest, DeviceCommands commands, IOptions<DevicesOptions> options,
        string? k, string? i, CancellationToken ct)
    {
        var (apikey, deviceId) = Mandatory(k, i);
        var body = await IotAgentHttp.ReadTextAsync(context.Request, options.Value.MaxPayloadBytes, ct);
        if (DeviceCommands.IsUltraLightAnswer(body))
        {
            var device = await ingest.ResolveAsync(UltraLightResource, apikey, deviceId, IotAgentHttp.OptionalScope(context.Request), ct);
            await commands.AnswerAsync(device.Apikey ?? apikey, deviceId, Mqtt.MeasureFormat.UltraLight, body, ct);
            return TypedResults.Ok();
        }
        return await PolledAsync(commands, await ingest.IngestAsync(UltraLightResource, apikey, deviceId, UltraLight.Parse(body),
            IotAgentHttp.OptionalScope(context.Request), ct), ct);
    }

    public static async Task<IResult> GetUltraLight(HttpContext context, MeasureIngest ingest, DeviceCommands commands, string? k, string? i, string? d,
        CancellationToken ct)
    {
        var (apikey, deviceId) = Mandatory(k, i);
        if (string.IsNullOrEmpty(d)) throw Missing("d");
        return await PolledAsync(commands, await ingest.IngestAsync(UltraLightResource, apikey, deviceId, UltraLight.Parse(d),
            IotAgentHttp.OptionalScope(context.Request), ct), ct);
    }

    private static async Task<IResult> PolledAsync(DeviceCommands commands, Model.Device device, CancellationToken ct) =>
        await commands.TakeForPollingAsync(device, ct) is { } pending ? TypedResults.Text(pending, "text/plain") : TypedResults.Ok();

    private static (string, string) Mandatory(string? k, string? i)
    {
        if (string.IsNullOrEmpty(k) && string.IsNullOrEmpty(i)) throw Missing("i\",\"k");
        if (string.IsNullOrEmpty(k)) throw Missing("k");
        if (string.IsNullOrEmpty(i)) throw Missing("i");
        return (k, i);
    }

    private static IotAgentException Missing(string names) =>
        new(400, "MANDATORY_PARAMS_NOT_FOUND", $"Some of the mandatory params weren't found in the request: [\"{names}\"]");
}

/// <summary>JSON measure payloads: one object of measures, or an array of them (several groups).</summary>
public static class JsonMeasures
{
    public static IReadOnlyList<MeasureGroup> Groups(JsonNode body) => body switch
    {
        JsonObject single => [Group(single, "the body")],
        JsonArray { Count: > 0 } many => many.Select((element, n) => element is JsonObject group
            ? Group(group, $"element {n}")
            : throw IotAgentException.BadMeasure($"Element {n} of the measure array is not an object.")).ToArray(),
        _ => throw IotAgentException.BadMeasure("A JSON measure is an object of measures or a non-empty array of them."),
    };

    private static MeasureGroup Group(JsonObject group, string at)
    {
        if (group.Count == 0) throw IotAgentException.BadMeasure($"{char.ToUpperInvariant(at[0])}{at[1..]} has no measures.");
        return new MeasureGroup(group.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), null);
    }
}
