using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CityOS.Context.Tests.Broker;
using CityOS.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;

namespace CityOS.Context.Tests.Temporal;

/// <summary>The real cityos host in-process, with extra settings (history policies, instance limits) for temporal tests.</summary>
public class TemporalHost : CityOsTestHost
{
}

/// <summary>History off for type Secret, a one-day retention for type Ephemeral, history off in tenant "quiet", three instances per response.</summary>
public sealed class PolicyHost : TemporalHost
{
    protected override string[] Settings =>
    [
        "--CityOS:Temporal:Types:Secret:Enabled", "false",
        "--CityOS:Temporal:Types:Ephemeral:Retention", "1.00:00:00",
        "--CityOS:Temporal:Tenants:quiet:Enabled", "false",
        "--CityOS:Temporal:MaxInstancesPerAttribute", "3",
    ];
}

public static class Temporal
{
    public const string Url = "/ngsi-ld/v1/temporal/entities";

    public static async Task<HttpResponseMessage> CreateTemporalAsync(this HttpClient client, string json, string? tenant = null)
    {
        var response = await client.SendAsync(Ngsi.Request(HttpMethod.Post, Url, Ngsi.Json(json), tenant));
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        return response;
    }

    public static async Task<JsonObject> GetTemporalAsync(this HttpClient client, string id, string query = "", string? tenant = null)
    {
        var response = await client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Url}/{Uri.EscapeDataString(id)}{query}", tenant: tenant));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<JsonArray> QueryTemporalAsync(this HttpClient client, string query, string? tenant = null)
    {
        var response = await client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Url}?{query}", tenant: tenant));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsArray();
    }

    /// <summary>
    /// The history lags the write by milliseconds: polls the temporal API until the attribute has at least
    /// <paramref name="count"/> instances, and returns the temporal entity.
    /// </summary>
    public static async Task<JsonObject> WaitForHistoryAsync(this HttpClient client, string id, string attribute, int count, string? tenant = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var response = await client.SendAsync(Ngsi.Request(HttpMethod.Get, $"{Url}/{Uri.EscapeDataString(id)}?attrs={attribute}", tenant: tenant));
            if (response.IsSuccessStatusCode)
            {
                var entity = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
                if (entity[attribute] is JsonArray instances && instances.Count >= count) return entity;
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail($"the history of {id} never reached {count} instances of {attribute}");
            await Task.Delay(20);
        }
    }

    public static double[] Numbers(JsonNode? instances) => instances!.AsArray().Select(i => i!["value"]!.GetValue<double>()).ToArray();
}
