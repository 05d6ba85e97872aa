using CityOS.Context.Broker.Http;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityOS.Context.Snapshots;

/// <summary>Snapshots (GS CIM 009 1.9.1, 5.16; /snapshots 6.36, /snapshots/{id} 6.37, /snapshots/{id}/clone 6.38).</summary>
public static class SnapshotsApi
{
    public static RouteGroupBuilder MapSnapshotsApi(this RouteGroupBuilder api)
    {
        var snapshots = api.MapGroup("/snapshots").WithTags("Snapshots").WithSurface(ApiSurface.NgsiLd)
            .RequireAuthorization(CallerAuthentication.CallerPolicy);
        snapshots.MapPost("/", CreateSnapshot).WithName("CreateSnapshot").WithSummary("Makes a frozen copy of what the snapshot queries match (5.16.1).");
        snapshots.MapDelete("/", PurgeSnapshots).WithName("PurgeSnapshots").WithSummary("Deletes the snapshots a query over their members matches (5.16.7).");
        snapshots.MapGet("/{snapshotId}", RetrieveSnapshot).WithName("RetrieveSnapshot").WithSummary("Retrieves a snapshot: its queries, status and priority (5.16.3).");
        snapshots.MapPatch("/{snapshotId}", UpdateSnapshot).WithName("UpdateSnapshot").WithSummary("Changes a snapshot's priority (5.16.4).");
        snapshots.MapDelete("/{snapshotId}", DeleteSnapshot).WithName("DeleteSnapshot").WithSummary("Deletes a snapshot and its frozen copy (5.16.5).");
        snapshots.MapPost("/{snapshotId}/clone", CloneSnapshot).WithName("CloneSnapshot").WithSummary("Makes a new snapshot holding the same frozen copy (5.16.2).");
        return api;
    }

    private static async Task<IResult> CreateSnapshot(HttpRequest request, BrokerRequestReader reader, SnapshotService snapshots, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        QueryParameters.AllowOnly(request.Query, "local");
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        var snapshot = await snapshots.CreateAsync(tenant, body, terms, access, ct);
        return TypedResults.Created(NgsiLdResponse.LocationOf("/ngsi-ld/v1/snapshots", snapshot.Id));
    }

    private static async Task<IResult> RetrieveSnapshot(string snapshotId, HttpRequest request, BrokerRequestReader reader, SnapshotService snapshots, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        return new NgsiLdResponse(snapshots.Find(tenant, snapshotId).Render(), terms, mediaType);
    }

    private static async Task<IResult> UpdateSnapshot(string snapshotId, HttpRequest request, BrokerRequestReader reader, SnapshotService snapshots, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Update);
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var (tenant, terms, fragment) = await reader.ReadObjectAsync(request, ct);
        return new NgsiLdResponse(snapshots.Update(tenant, snapshotId, fragment).Render(), terms, mediaType);
    }

    private static async Task<IResult> CloneSnapshot(string snapshotId, HttpRequest request, BrokerRequestReader reader, SnapshotService snapshots, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Read);
        var (tenant, terms, fragment) = await reader.ReadObjectAsync(request, ct);
        var clone = await snapshots.CloneAsync(tenant, snapshotId, fragment, terms, ct);
        return TypedResults.Created(NgsiLdResponse.LocationOf("/ngsi-ld/v1/snapshots", clone.Id));
    }

    private static async Task<IResult> DeleteSnapshot(string snapshotId, HttpRequest request, BrokerRequestReader reader, SnapshotService snapshots, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Delete);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        await snapshots.DeleteAsync(tenant, snapshotId, terms, ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> PurgeSnapshots(HttpRequest request, BrokerRequestReader reader, SnapshotService snapshots, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Delete);
        QueryParameters.AllowOnly(request.Query, "q", "local");
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        await snapshots.PurgeAsync(tenant, QueryParameters.Text(request.Query, "q"), terms, ct);
        return TypedResults.NoContent();
    }
}
