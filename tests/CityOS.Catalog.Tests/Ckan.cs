using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Catalog.Tests;

/// <summary>Calls of the CKAN Action API as a CKAN client makes them, and comparison with CKAN's documented responses.</summary>
public static class Ckan
{
    public static async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(HttpClient client, string action, object? parameters = null, string? tenant = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/3/action/" + action) { Content = JsonContent.Create(parameters ?? new { }) };
        return await SendAsync(client, request, tenant, bearer);
    }

    public static async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(HttpClient client, string actionAndQuery, string? tenant = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/3/action/" + actionAndQuery);
        return await SendAsync(client, request, tenant, bearer);
    }

    /// <summary>The result of a successful call (asserting CKAN's success envelope).</summary>
    public static async Task<JsonNode> ResultAsync(HttpClient client, string action, object? parameters = null, string? tenant = null)
    {
        var (status, body) = await PostAsync(client, action, parameters, tenant);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.True(body["success"]!.GetValue<bool>());
        Assert.EndsWith("/api/3/action/help_show?name=" + action, body["help"]!.GetValue<string>());
        return body["result"]!;
    }

    private static async Task<(HttpStatusCode, JsonObject)> SendAsync(HttpClient client, HttpRequestMessage request, string? tenant, string? bearer)
    {
        if (tenant is not null) request.Headers.Add("NGSILD-Tenant", tenant);
        if (bearer is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        using var response = await client.SendAsync(request);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>())!);
    }

    public static JsonObject Fixture(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".json")))!.AsObject();

    /// <summary>
    /// Asserts that <paramref name="actual"/> has every key of CKAN's <paramref name="expected"/> response, each with the same kind
    /// of value (a null in CKAN's example admits any value), objects and the items of arrays compared the same way.
    /// </summary>
    public static void AssertSameShape(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        if (expected is null) return;
        Assert.True(actual is not null, $"{path}: CKAN answers {expected.ToJsonString()}, CityOS null");
        Assert.True(expected.GetValueKind() == actual!.GetValueKind() || (IsBoolean(expected) && IsBoolean(actual)),
            $"{path}: CKAN answers a {expected.GetValueKind()}, CityOS a {actual.GetValueKind()} ({actual.ToJsonString()})");
        switch (expected)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Assert.True(actual.AsObject().ContainsKey(key), $"{path}: CityOS has no '{key}' (keys: {string.Join(", ", actual.AsObject().Select(p => p.Key))})");
                    AssertSameShape(value, actual[key], path + "." + key);
                }
                break;
            case JsonArray array when array.Count > 0 && actual.AsArray().Count > 0:
                AssertSameShape(array[0], actual.AsArray()[0], path + "[0]");
                break;
        }
    }

    private static bool IsBoolean(JsonNode node) => node.GetValueKind() is JsonValueKind.True or JsonValueKind.False;
}
