using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.Portal.Session;

/// <summary>An answer of one of this server's APIs: status, media type and body text.</summary>
public sealed record ApiAnswer(int Status, string? ContentType, string Body)
{
    public bool Ok => Status is >= 200 and < 300;

    /// <summary>The body as JSON; null when it is not JSON (or was cut at <see cref="SelfApi.MaxBody"/>).</summary>
    public JsonNode? Json()
    {
        try
        {
            return JsonNode.Parse(Body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// Calls this server's own HTTP APIs (at <see cref="SelfAddress.Authority"/>) as the signed-in user, with the access token
/// the provider gave the portal: every change the pages make goes through the same APIs and policies as any API call.
/// </summary>
public sealed class SelfApi(IHttpClientFactory clients, SelfAddress self)
{
    public const string ClientName = "CityOS.Portal.Self";

    /// <summary>The longest body a page shows or reads (larger answers are cut).</summary>
    public const int MaxBody = 256 * 1024;

    /// <param name="pathAndQuery">A path of this server, starting with a single '/'.</param>
    public async Task<ApiAnswer> SendAsync(PortalUser? user, HttpMethod method, string pathAndQuery, string? tenant, string? jsonBody, CancellationToken ct)
    {
        if (!pathAndQuery.StartsWith('/') || pathAndQuery.StartsWith("//", StringComparison.Ordinal)) throw new ArgumentException("Not a path of this server.", nameof(pathAndQuery));
        var client = clients.CreateClient(ClientName);
        using var request = new HttpRequestMessage(method, self.Authority + pathAndQuery);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (user is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.AccessToken);
        if (tenant is { Length: > 0 }) request.Headers.Add("NGSILD-Tenant", tenant);
        if (jsonBody is { Length: > 0 }) request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var body = await ReadAsync(response, ct);
        return new ApiAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    private static async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxBody];
        var read = 0;
        while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read), ct) is var n and > 0) read += n;
        return Encoding.UTF8.GetString(buffer, 0, read);
    }
}
