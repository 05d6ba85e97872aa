using System.Text.Json.Nodes;
using CityOS.Portal.Session;

namespace CityOS.Portal.Explorer;

/// <summary>
/// The history of an entity, read from the broker's temporal API over HTTP (GET /ngsi-ld/v1/temporal/entities/{id}) with
/// the signed-in user's token: the broker's policies apply exactly as to any API caller.
/// </summary>
public sealed class TemporalHistory(SelfApi api)
{
    public const int LastN = 100;

    /// <summary>The numeric series of the entity's last <see cref="LastN"/> instances per attribute; empty when it has none (or the caller may not read it).</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<HistoryPoint>>> NumericAsync(PortalUser? user, string? tenant, string entityId, CancellationToken ct)
    {
        var answer = await api.SendAsync(user, HttpMethod.Get, $"/ngsi-ld/v1/temporal/entities/{Uri.EscapeDataString(entityId)}?lastN={LastN}", tenant, null, ct);
        return answer.Ok && answer.Json() is JsonObject body ? EntityView.NumericHistory(body) : new Dictionary<string, IReadOnlyList<HistoryPoint>>();
    }
}
