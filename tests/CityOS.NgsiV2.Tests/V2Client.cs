using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CityOS.NgsiV2.Tests;

/// <summary>A response as the tests read it: status, headers and the JSON body (null when there is none).</summary>
public sealed record V2Response(HttpStatusCode Status, HttpResponseHeaders Headers, string? ContentType, string Text)
{
    public JsonNode? Json => Text.Length == 0 ? null : JsonNode.Parse(Text);

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}

/// <summary>Sends /v2 and /ngsi-ld/v1 requests to the host under test, in an optional Fiware-Service and Fiware-ServicePath.</summary>
public sealed class V2Client(HttpClient http, string? service = null, string? servicePath = null)
{
    /// <summary>The same client in another service path (null: without the header).</summary>
    public V2Client In(string? path) => new(http, service, path);

    public async Task<V2Response> SendAsync(HttpMethod method, string path, JsonNode? body = null, string? text = null, string? contentType = null, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType ?? "application/json");
        else if (text is not null) request.Content = new StringContent(text, Encoding.UTF8, contentType ?? "application/json");
        if (request.Content is not null && contentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (service is not null)
        {
            request.Headers.Add("Fiware-Service", service);
            if (path.StartsWith("/ngsi-ld", StringComparison.Ordinal)) request.Headers.Add("NGSILD-Tenant", service);
        }
        if (servicePath is not null && !path.StartsWith("/ngsi-ld", StringComparison.Ordinal)) request.Headers.TryAddWithoutValidation("Fiware-ServicePath", servicePath);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        using var response = await http.SendAsync(request);
        return new V2Response(response.StatusCode, response.Headers, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    public Task<V2Response> GetAsync(string path, string? accept = null) => SendAsync(HttpMethod.Get, path, accept: accept);
    public Task<V2Response> PostAsync(string path, JsonNode body) => SendAsync(HttpMethod.Post, path, body);
    public Task<V2Response> PatchAsync(string path, JsonNode body) => SendAsync(HttpMethod.Patch, path, body);
    public Task<V2Response> PutAsync(string path, JsonNode body) => SendAsync(HttpMethod.Put, path, body);
    public Task<V2Response> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    public static JsonNode J(string json) => JsonNode.Parse(json)!;
}

/// <summary>Asserts a JSON answer equals the expected one (members in any order).</summary>
public static class JsonAssert
{
    public static void Equal(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual?.ToJsonString()}");
}
