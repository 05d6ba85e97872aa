using System.Text.Json.Nodes;
using CityOS.Portal.Session;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace CityOS.Portal.Developer;

/// <summary>
/// The operations of this server's OpenAPI document (/openapi/v1.json) for the API list: the document is generated from
/// the endpoints on every request of it, which costs far more than a page may, so it is read once and again only after
/// the endpoints changed (their data source's change token).
/// </summary>
public sealed class ApiCatalog(SelfApi api, EndpointDataSource endpoints)
{
    private sealed record Snapshot(IReadOnlyList<ApiOperation> Operations, IChangeToken Changed);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private volatile Snapshot? _current;

    /// <summary>Every operation of the document; empty when it cannot be read now (the next call tries again).</summary>
    public async Task<IReadOnlyList<ApiOperation>> OperationsAsync(CancellationToken ct)
    {
        if (_current is { Changed.HasChanged: false } known) return known.Operations;
        await _reading.WaitAsync(ct);
        try
        {
            if (_current is { Changed.HasChanged: false } read) return read.Operations;
            // The token is taken before the document is read, so a change while it is read makes the next call read again.
            var changed = endpoints.GetChangeToken();
            var answer = await api.SendAsync(null, HttpMethod.Get, "/openapi/v1.json", null, null, ct);
            if (!(answer.Ok && answer.Json() is JsonObject document)) return [];
            var snapshot = new Snapshot(ApiOperations.Of(document), changed);
            _current = snapshot;
            return snapshot.Operations;
        }
        finally
        {
            _reading.Release();
        }
    }
}
