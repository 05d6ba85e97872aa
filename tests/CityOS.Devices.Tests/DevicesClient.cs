using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Tests;

/// <summary>Calls of the IoT agent and the broker as a provisioning script and a device make them.</summary>
public static class DevicesClient
{
    public static async Task<HttpResponseMessage> ProvisionAsync(this HttpClient http, string path, string service, string body, string servicePath = "/")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("fiware-service", service);
        request.Headers.Add("fiware-servicepath", servicePath);
        return await http.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> GetAsync(this HttpClient http, string path, string service, string servicePath = "/")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("fiware-service", service);
        request.Headers.Add("fiware-servicepath", servicePath);
        return await http.SendAsync(request);
    }

    public static Task<HttpResponseMessage> MeasureAsync(this HttpClient http, string path, string body, string contentType = "text/plain") =>
        http.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));

    /// <summary>The entity as the broker gives it in the tenant (normalized), or null when there is none.</summary>
    public static async Task<JsonObject?> EntityAsync(this HttpClient http, string tenant, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities/" + Uri.EscapeDataString(id));
        if (tenant != "default") request.Headers.Add("NGSILD-Tenant", tenant);
        var response = await http.SendAsync(request);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonObject>();
    }

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!;
}
