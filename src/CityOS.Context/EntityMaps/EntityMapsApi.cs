using CityOS.Context.Access;
using CityOS.Context.Broker;
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
    public const string Header = "NGSILD-EntityMap";
    private const string Path = "/ngsi-ld/v1/entityMaps/";

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

    private static async Task<NgsiLdResponse> CreateEntityMap(HttpRequest request, BrokerRequestReader reader, EntityBroker broker,
        IEntityMapStore store, EntityMapRules rules, IOptions<ContextOptions> settings, IOptions<EntityMapOptions> mapOptions, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        EntityMapRules.RequireNarrowQuery(request.Query);
        var expiresAt = rules.ExpiryOf(QueryParameters.Text(request.Query, "entityMapLifetime"));
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var query = QueryParameters.FromQueryString(request.Query, settings.Value);
        var ids = new List<string>();
        var pageSize = settings.Value.MaxLimit;
        for (var offset = 0; ; offset += pageSize)
        {
            var page = await broker.QueryAsync(tenant, new QueryRequest
            {
                Selectors = query.Selectors, Attrs = query.Attrs, Q = query.Q, Geo = query.Geo, ScopeQ = query.ScopeQ,
                Limit = pageSize, Offset = offset,
            }, terms, access, ct);
            ids.AddRange(page.Entities.Select(e => e.Id));
            if (ids.Count > mapOptions.Value.MaxEntities)
            {
                throw new NgsiLdException(NgsiLdErrorType.TooManyResults,
                    $"The query matches more than {mapOptions.Value.MaxEntities} entities, the most one EntityMap lists (CityOS:EntityMaps:MaxEntities).");
            }
            if (page.Entities.Count < pageSize) break;
        }
        var map = new EntityMap("urn:ngsi-ld:EntityMap:" + Guid.NewGuid().ToString("N"), tenant, expiresAt, ids.Distinct(StringComparer.Ordinal).ToList());
        store.Put(map);
        var response = new NgsiLdResponse(map.Render(), terms, mediaType, StatusCodes.Status201Created);
        response.Headers[Header] = Path + map.Id;
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
