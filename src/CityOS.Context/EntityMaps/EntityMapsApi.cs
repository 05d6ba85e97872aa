using CityOS.Context.Access;
using CityOS.Context.Broker.Http;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CityOS.Context.EntityMaps;

/// <summary>EntityMaps (GS CIM 009 1.9.1, 5.14, 6.32, 6.34): made from an entity query, then retrieved, updated and deleted.</summary>
public static class EntityMapsApi
{
    public static RouteGroupBuilder MapEntityMapsApi(this RouteGroupBuilder api)
    {
        var maps = api.MapGroup("/entityMaps").WithTags("EntityMaps").WithSurface(ApiSurface.NgsiLd)
            .RequireAuthorization(CallerAuthentication.CallerPolicy);
        maps.MapGet("/", CreateEntityMap).WithName("CreateEntityMap").WithSummary("Makes an EntityMap of the entities a query matches (5.14.3).");
        maps.MapGet("/{entityMapId}", RetrieveEntityMap).WithName("RetrieveEntityMap").WithSummary("Retrieves an EntityMap (5.14.1).");
        maps.MapPatch("/{entityMapId}", UpdateEntityMap).WithName("UpdateEntityMap").WithSummary("Changes when an EntityMap expires (5.14.2).");
        maps.MapDelete("/{entityMapId}", DeleteEntityMap).WithName("DeleteEntityMap").WithSummary("Deletes an EntityMap (5.14.4).");
        return api;
    }

    private static async Task<NgsiLdResponse> CreateEntityMap(HttpRequest request, BrokerRequestReader reader, EntityMapQueries maps,
        EntityMapRules rules, IOptions<ContextOptions> settings, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        EntityMapRules.RequireNarrowQuery(request.Query);
        var expiresAt = rules.ExpiryOf(QueryParameters.Text(request.Query, "entityMapLifetime"));
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var query = QueryParameters.FromQueryString(request.Query, settings.Value);
        var map = await maps.CreateAsync(tenant, query, terms, access, expiresAt, ct);
        var response = new NgsiLdResponse(map.Render(), terms, mediaType, StatusCodes.Status201Created);
        response.Headers[EntityMapQueries.Header] = EntityMapQueries.Location(map);
        return response;
    }

    private static async Task<NgsiLdResponse> RetrieveEntityMap(string entityMapId, HttpRequest request, BrokerRequestReader reader, IEntityMapStore store, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var map = Find(store, reader.Tenant(request), entityMapId);
        var (_, terms) = await reader.ReadContextAsync(request, ct);
        return new NgsiLdResponse(map.Render(), terms, mediaType);
    }

    private static async Task<IResult> UpdateEntityMap(string entityMapId, HttpRequest request, BrokerRequestReader reader, IEntityMapStore store, EntityMapRules rules, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Update);
        var tenant = reader.Tenant(request);
        var map = Find(store, tenant, entityMapId);
        var (_, _, fragment) = await reader.ReadObjectAsync(request, ct);
        store.Put(rules.Update(map, fragment));
        return TypedResults.NoContent();
    }

    private static async Task<IResult> DeleteEntityMap(string entityMapId, HttpRequest request, BrokerRequestReader reader, IEntityMapStore store, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Delete);
        var tenant = reader.Tenant(request);
        Find(store, tenant, entityMapId);
        store.Delete(tenant, entityMapId);
        return TypedResults.NoContent();
    }

    private static EntityMap Find(IEntityMapStore store, string? tenant, string entityMapId)
    {
        EntityMapRules.ValidateId(entityMapId);
        return store.Find(tenant, entityMapId) ?? throw NgsiLdException.NotFound($"EntityMap {entityMapId} does not exist.");
    }
}
