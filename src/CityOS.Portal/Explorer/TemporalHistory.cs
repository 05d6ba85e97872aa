using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CityOS.Portal.Session;

namespace CityOS.Portal.Explorer;

/// <summary>
/// The history of an entity, read from the broker's temporal API over HTTP (GET /ngsi-ld/v1/temporal/entities/{id}) at
/// this server's own address, with the signed-in user's token: the broker's policies apply exactly as to any API caller.
/// </summary>
public sealed class TemporalHistory(IHttpClientFactory clients, SelfAddress self)
{
    public const string ClientName = "CityOS.Portal.Self";
    public const int LastN = 100;

    /// <summary>The numeric series of the entity's last <see cref="LastN"/> instances per attribute; empty when it has none (or the caller may not read it).</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<HistoryPoint>>> NumericAsync(PortalUser? user, string? tenant, string entityId, CancellationToken ct)
    {
        var client = clients.CreateClient(ClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{self.Authority}/ngsi-ld/v1/temporal/entities/{Uri.EscapeDataString(entityId)}?lastN={LastN}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (user is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.AccessToken);
        if (tenant is { Length: > 0 }) request.Headers.Add("NGSILD-Tenant", tenant);
        using var response = await client.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) return new Dictionary<string, IReadOnlyList<HistoryPoint>>();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) as JsonObject;
        return body is null ? new Dictionary<string, IReadOnlyList<HistoryPoint>>() : EntityView.NumericHistory(body);
    }
}
