using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Broker.Http;

/// <summary>Context Information Provision and Consumption on single entities (6.4–6.8 of ETSI GS CIM 009 V1.8.1).</summary>
public static class EntitiesApi
{
    public static RouteGroupBuilder MapEntitiesApi(this RouteGroupBuilder api)
    {
        var entities = api.MapGroup("/entities").WithTags("Entities")
            .WithSurface(ApiSurface.NgsiLd).RequireAuthorization(CallerAuthentication.CallerPolicy);
        entities.MapPost("/", CreateEntity).WithName("CreateEntity").WithSummary("Create an entity (5.6.1).");
        entities.MapGet("/", QueryEntities).WithName("QueryEntities").WithSummary("Query entities (5.7.2).");
        entities.MapDelete("/", PurgeEntities).WithName("PurgeEntities").WithSummary("Purge the entities a query selects, or some of their attributes (5.6.21, V1.9.1).");
        entities.MapGet("/{entityId}", RetrieveEntity).WithName("RetrieveEntity").WithSummary("Retrieve an entity (5.7.1).");
        entities.MapPut("/{entityId}", ReplaceEntity).WithName("ReplaceEntity").WithSummary("Replace an entity (5.6.18).");
        entities.MapPatch("/{entityId}", MergeEntity).WithName("MergeEntity").WithSummary("Merge into an entity (5.6.17).");
        entities.MapDelete("/{entityId}", DeleteEntity).WithName("DeleteEntity").WithSummary("Delete an entity (5.6.6).");
        entities.MapPost("/{entityId}/attrs", AppendAttributes).WithName("AppendAttributes").WithSummary("Append attributes (5.6.3).");
        entities.MapPatch("/{entityId}/attrs", UpdateAttributes).WithName("UpdateAttributes").WithSummary("Update attributes (5.6.2).");
        entities.MapPatch("/{entityId}/attrs/{attrId}", PartialAttributeUpdate).WithName("PartialAttributeUpdate").WithSummary("Partial attribute update (5.6.4).");
        entities.MapPut("/{entityId}/attrs/{attrId}", ReplaceAttribute).WithName("ReplaceAttribute").WithSummary("Replace an attribute (5.6.19).");
        entities.MapDelete("/{entityId}/attrs/{attrId}", DeleteAttribute).WithName("DeleteAttribute").WithSummary("Delete an attribute (5.6.5).");
        return api;
    }

    private static async Task<IResult> CreateEntity(HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Create);
        QueryParameters.AllowOnly(request.Query, "local");
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        var entity = EntityParser.ParseEntity(body, terms, broker.Now);
        await broker.CreateAsync(tenant, entity, access, ct);
        return TypedResults.Created(NgsiLdResponse.LocationOf("/ngsi-ld/v1/entities", entity.Id));
    }

    private static async Task<IResult> RetrieveEntity(string entityId, HttpRequest request, BrokerRequestReader reader, EntityBroker broker,
        Snapshots.SnapshotService snapshots, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        EntityIds.Validate(entityId);
        // NGSILD-Snapshot (6.3.22): the entity as the snapshot froze it.
        if (snapshots.Scope(request, tenant) is { } snapshot)
        {
            if (snapshot.EntityCount == 0) throw NgsiLdException.NotFound($"Entity {entityId} is not in snapshot {snapshot.Id}.");
            tenant = snapshot.StoreTenant;
        }
        var options = EntityRenderer.ParseOptions(request.Query, terms);
        CheckGeometryProperty(options, mediaType);
        var entity = await broker.RetrieveAsync(tenant, entityId, access, ct);
        if (request.Query.TryGetValue("type", out var type) && type.Count > 0)
        {
            var selector = Query.TypeSelector.Parse(type.ToString()).Expand(terms.ExpandTerm);
            if (!selector.Matches(entity.Types)) throw NgsiLdException.NotFound($"Entity {entityId} of type {type} does not exist.");
        }
        if (mediaType == ResponseMediaType.GeoJson)
        {
            return new NgsiLdResponse(EntityRenderer.RenderFeature(entity, options, GeometryProperty(request, terms), terms), terms, mediaType);
        }
        if (options.Attrs is { } attrs && !entity.Attributes.Keys.Any(attrs.Contains))
        {
            throw NgsiLdException.NotFound($"Entity {entityId} has none of the attributes asked for.");
        }
        var linked = await broker.LinkedAsync(tenant, [entity], options, access, ct);
        var rendered = EntityRenderer.RenderAll([entity], options, terms, linked);
        if (rendered[0].Count == 0) throw NgsiLdException.NotFound($"Entity {entityId} has no member left after pick and omit.");
        // join=flat answers an array only when linked entities were found; else the entity alone, as without join.
        JsonNode body = rendered.Count > 1 ? new JsonArray([.. rendered]) : rendered[0];
        var version = VersionPreference.Preferred(request);
        var amended = version is not null && VersionPreference.AmendEntities(body, version);
        var response = new NgsiLdResponse(body, terms, mediaType, amended ? StatusCodes.Status203NonAuthoritative : StatusCodes.Status200OK);
        VersionPreference.Confirm(response, version);
        return response;
    }

    private static async Task<IResult> QueryEntities(HttpRequest request, BrokerRequestReader reader, EntityBroker broker, EntityMaps.EntityMapQueries maps,
        EntityMaps.EntityMapRules mapRules, Snapshots.SnapshotService snapshots, IOptions<ContextOptions> settings, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request);
        QueryParameters.AllowOnly(request.Query, QueryParameters.QueryEntitiesParameters);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var query = QueryParameters.FromQueryString(request.Query, settings.Value);
        var options = EntityRenderer.ParseOptions(request.Query, terms);
        // NGSILD-Snapshot (6.3.22): the query runs on the snapshot's frozen copy.
        if (snapshots.Scope(request, tenant) is { } snapshot)
        {
            if (snapshot.EntityCount == 0) return new NgsiLdResponse(new JsonArray(), terms, mediaType);
            tenant = snapshot.StoreTenant;
        }
        // 5.14.3 and 5.5.9.3: entityMap=true makes an EntityMap of the query; an NGSILD-EntityMap header fixes the entities considered.
        if (QueryParameters.Flag(request.Query, "entityMap"))
        {
            EntityMaps.EntityMapRules.RequireNarrowQuery(request.Query);
            var expiresAt = mapRules.ExpiryOf(QueryParameters.Text(request.Query, "entityMapLifetime"));
            var map = await maps.CreateAsync(tenant, query, terms, access, expiresAt, ct);
            return await QueryResponse.CreateAsync(request, tenant, query, options, terms, mediaType, broker, access, ct,
                StatusCodes.Status201Created, EntityMaps.EntityMapQueries.Location(map));
        }
        if (request.Headers[EntityMaps.EntityMapQueries.Header].ToString() is { Length: > 0 } named)
        {
            var map = maps.Find(tenant, named);
            var restricted = await maps.RestrictAsync(map, query, terms, access, ct);
            return await QueryResponse.CreateAsync(request, tenant, restricted, options, terms, mediaType, broker, access, ct,
                entityMapLocation: EntityMaps.EntityMapQueries.Location(map));
        }
        return await QueryResponse.CreateAsync(request, tenant, query, options, terms, mediaType, broker, access, ct);
    }

    private static async Task<IResult> PurgeEntities(HttpRequest request, BrokerRequestReader reader, EntityBroker broker, IOptions<ContextOptions> settings, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Delete);
        QueryParameters.AllowOnly(request.Query, QueryParameters.PurgeEntitiesParameters);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var purge = PurgeParameters.FromQueryString(request.Query, settings.Value);
        await broker.PurgeAsync(tenant, purge.Query, Expanded(purge.Keep, terms), Expanded(purge.Drop, terms), terms, access, ct);
        return TypedResults.NoContent();
    }

    private static HashSet<string>? Expanded(IReadOnlyList<string>? names, ITermMapper terms) =>
        names is null ? null : new HashSet<string>(names.Select(terms.ExpandTerm), StringComparer.Ordinal);

    private static async Task<IResult> ReplaceEntity(string entityId, HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        EntityIds.AdoptPathId(body, entityId);
        var entity = EntityParser.ParseEntity(body, terms, broker.Now);
        await broker.ReplaceAsync(tenant, entity, access, ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> MergeEntity(string entityId, HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        var types = EntityIds.FragmentTypes(body, entityId, terms);
        var fragment = EntityParser.ParseAttributes(body, terms, broker.Now, AttributeParseMode.Patch);
        await broker.MergeAsync(tenant, entityId, types, fragment, access, ct, EntityParser.ParseExpiryChange(body));
        return TypedResults.NoContent();
    }

    private static async Task<IResult> DeleteEntity(string entityId, HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Delete);
        EntityIds.Validate(entityId);
        var tenant = reader.Tenant(request);
        var type = request.Query.ContainsKey("type") ? TypeGate(request, (await reader.ReadContextAsync(request, ct)).Terms) : null;
        await broker.DeleteAsync(tenant, entityId, access, ct, type);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> AppendAttributes(string entityId, HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        var fragment = EntityPayload.Fragment(body, entityId, terms, broker.Now, AttributeParseMode.Strict);
        var noOverwrite = QueryParameters.Options(request.Query).Contains("noOverwrite");
        var outcome = await broker.AppendAttributesAsync(tenant, entityId, fragment, noOverwrite, access, ct, TypeGate(request, terms));
        return UpdateResult(outcome, terms);
    }

    private static async Task<IResult> UpdateAttributes(string entityId, HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        var fragment = EntityPayload.Fragment(body, entityId, terms, broker.Now, AttributeParseMode.Update);
        EntityPayload.RequireContent(fragment);
        var outcome = await broker.UpdateAttributesAsync(tenant, entityId, fragment, access, ct, TypeGate(request, terms));
        return UpdateResult(outcome, terms);
    }

    private static async Task<IResult> PartialAttributeUpdate(string entityId, string attrId, HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        EntityPayload.RequireMembers(body);
        var (name, instances) = EntityPayload.SingleAttribute(attrId, body, terms, broker.Now, AttributeParseMode.PartialUpdate);
        await broker.PartialAttributeUpdateAsync(tenant, entityId, name, instances, access, ct, TypeGate(request, terms));
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ReplaceAttribute(string entityId, string attrId, HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        var (name, instances) = EntityPayload.SingleAttribute(attrId, body, terms, broker.Now, AttributeParseMode.Strict);
        await broker.ReplaceAttributeAsync(tenant, entityId, name, instances, access, ct, TypeGate(request, terms));
        return TypedResults.NoContent();
    }

    private static async Task<IResult> DeleteAttribute(string entityId, string attrId, HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var datasetId = request.Query["datasetId"].ToString();
        var deleteAll = QueryParameters.Flag(request.Query, "deleteAll");
        if (attrId == EntityRules.ScopeMember)
        {
            await broker.DeleteScopeAsync(tenant, entityId, access, ct, TypeGate(request, terms));
            return TypedResults.NoContent();
        }
        await broker.DeleteAttributeAsync(tenant, entityId, terms.ExpandTerm(attrId), datasetId.Length == 0 ? null : datasetId, deleteAll, access, ct, TypeGate(request, terms));
        return TypedResults.NoContent();
    }

    /// <summary>The type parameter of an operation on one entity (4.17): the entity must match it, or it is not found. Null when not given.</summary>
    private static Query.TypeSelector? TypeGate(HttpRequest request, ITermMapper terms) =>
        QueryParameters.Text(request.Query, "type") is { } type ? Query.TypeSelector.Parse(type).Expand(terms.ExpandTerm) : null;

    private static IResult UpdateResult(UpdateOutcome outcome, LdContext terms)
    {
        if (outcome.NotUpdated.Count == 0) return TypedResults.NoContent();
        var body = new JsonObject
        {
            ["updated"] = new JsonArray(outcome.Updated.Select(a => (JsonNode)terms.CompactIri(a)).ToArray()),
            ["notUpdated"] = new JsonArray(outcome.NotUpdated.Select(n => (JsonNode)new JsonObject
            {
                ["attributeName"] = terms.CompactIri(n.AttributeName),
                ["reason"] = n.Reason,
            }).ToArray()),
        };
        return new NgsiLdResponse(body, terms, ResponseMediaType.Json, StatusCodes.Status207MultiStatus);
    }

    /// <summary>geometryProperty only shapes a GeoJSON representation: with another Accept it is BadRequestData (5.7.1.4, 5.7.2.4).</summary>
    internal static void CheckGeometryProperty(RenderOptions options, ResponseMediaType mediaType)
    {
        if (options.GeometryProperty is not null && mediaType != ResponseMediaType.GeoJson)
        {
            throw NgsiLdException.BadRequest("The geometryProperty parameter needs Accept: application/geo+json.");
        }
    }

    internal static string GeometryProperty(HttpRequest request, ITermMapper terms)
    {
        var name = request.Query["geometryProperty"].ToString();
        return terms.ExpandTerm(name.Length == 0 ? "location" : name);
    }
}
