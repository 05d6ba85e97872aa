using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CityOS.Context.Tests.Broker;

/// <summary>The real cityos host for the broker tests (see <see cref="CityOsTestHost"/>).</summary>
public sealed class BrokerHost : CityOsTestHost
{
    public const string CoreContext = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
}

/// <summary>Small helpers that keep the tests about NGSI-LD rather than HttpClient.</summary>
public static class Ngsi
{
    public static StringContent Json(string json, string mediaType = "application/json") =>
        new(json, Encoding.UTF8, mediaType);

    public static StringContent Json(JsonNode json, string mediaType = "application/json") =>
        new(json.ToJsonString(), Encoding.UTF8, mediaType);

    public static HttpRequestMessage Request(HttpMethod method, string url, HttpContent? content = null, string? tenant = null, string? link = null, string? accept = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        if (tenant is not null) request.Headers.Add("NGSILD-Tenant", tenant);
        if (link is not null) request.Headers.Add("Link", $"<{link}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        if (accept is not null) request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(accept));
        return request;
    }

    public static async Task<JsonNode> BodyAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    /// <summary>Asserts an RFC 9457 problem details response with the NGSI-LD error type.</summary>
    public static async Task<JsonObject> AssertProblemAsync(this HttpResponseMessage response, int status, string errorType)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + errorType, problem["type"]!.GetValue<string>());
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));
        return problem;
    }

    public static async Task<HttpResponseMessage> CreateAsync(this HttpClient client, string json, string? tenant = null)
    {
        var response = await client.SendAsync(Request(HttpMethod.Post, "/ngsi-ld/v1/entities", Json(json), tenant));
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response;
    }

    public static async Task<JsonObject> GetEntityAsync(this HttpClient client, string id, string query = "", string? tenant = null)
    {
        var response = await client.SendAsync(Request(HttpMethod.Get, $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}{query}", tenant: tenant));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<JsonArray> QueryAsync(this HttpClient client, string query, string? tenant = null)
    {
        var response = await client.SendAsync(Request(HttpMethod.Get, "/ngsi-ld/v1/entities?" + query, tenant: tenant));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsArray();
    }

    public static string[] Ids(this JsonArray entities) => entities.Select(e => e!["id"]!.GetValue<string>()).ToArray();

    public static string Unique(string prefix) => $"urn:ngsi-ld:{prefix}:{Guid.NewGuid():N}";
}
