using System.Globalization;
using System.Text.Json.Nodes;
using CityOS.Context.Broker;
using CityOS.Context.Broker.Http;
using CityOS.Context.JsonLd;
using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Core;
using CityOS.Core.Security;
using CityOS.Core.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Temporal.Http;

/// <summary>The temporal API (6.18–6.22 and 6.24 of ETSI GS CIM 009 V1.8.1) under /temporal.</summary>
public static class TemporalApi
{
    public const string ContentRangeHeader = "Content-Range";

    public static RouteGroupBuilder MapTemporalApi(this RouteGroupBuilder api)
    {
        var temporal = api.MapGroup("/temporal").WithTags("Temporal")
            .WithSurface(ApiSurface.NgsiLd).RequireAuthorization(CallerAuthentication.CallerPolicy);
        temporal.MapPost("/entities", CreateOrUpdate).WithName("CreateTemporalEntity").WithSummary("Create or update the temporal evolution of an entity (5.6.11).");
        temporal.MapGet("/entities", Query).WithName("QueryTemporalEntities").WithSummary("Query the temporal evolution of entities (5.7.4).");
        temporal.MapGet("/entities/{entityId}", Retrieve).WithName("RetrieveTemporalEntity").WithSummary("Retrieve the temporal evolution of an entity (5.7.3).");
        temporal.MapDelete("/entities/{entityId}", DeleteEntity).WithName("DeleteTemporalEntity").WithSummary("Delete the temporal evolution of an entity (5.6.16).");
        temporal.MapPost("/entities/{entityId}/attrs", AddAttributes).WithName("AddTemporalAttributes").WithSummary("Add attributes to the temporal evolution of an entity (5.6.12).");
        temporal.MapDelete("/entities/{entityId}/attrs/{attrId}", DeleteAttribute).WithName("DeleteTemporalAttribute").WithSummary("Delete an attribute from the temporal evolution of an entity (5.6.13).");
        temporal.MapPatch("/entities/{entityId}/attrs/{attrId}/{instanceId}", ModifyInstance).WithName("ModifyTemporalAttributeInstance").WithSummary("Modify an attribute instance (5.6.14).");
        temporal.MapDelete("/entities/{entityId}/attrs/{attrId}/{instanceId}", DeleteInstance).WithName("DeleteTemporalAttributeInstance").WithSummary("Delete an attribute instance (5.6.15).");
        temporal.MapPost("/entityOperations/query", QueryPost).WithName("QueryTemporalEntitiesPost").WithSummary("Query the temporal evolution of entities with a Query payload (5.7.4 via POST).");
        return api;
    }

    private static async Task<IResult> CreateOrUpdate(HttpRequest request, BrokerRequestReader reader, TemporalService temporal, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Create, AccessAction.Update);
        QueryParameters.AllowOnly(request.Query, "local");
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        if (!body.TryGetPropertyValue("id", out var idNode)) throw NgsiLdException.BadRequest("The temporal entity has no \"id\"");
        if (!body.TryGetPropertyValue("type", out var typeNode)) throw NgsiLdException.BadRequest("The temporal entity has no \"type\"");
        var id = EntityParser.ParseEntityId(idNode);
        var types = EntityParser.ParseTypes(typeNode, terms);
        var scopes = body.TryGetPropertyValue("scope", out var scopeNode) ? EntityParser.ParseScopes(scopeNode) : null;
        var attributes = TemporalAttributes(body, terms, temporal.Now);
        var created = await temporal.CreateOrAppendAsync(tenant, id, types, scopes, attributes, access, ct);
        return created ? TypedResults.Created(NgsiLdResponse.LocationOf("/ngsi-ld/v1/temporal/entities", id)) : TypedResults.NoContent();
    }

    private static async Task<IResult> AddAttributes(string entityId, HttpRequest request, BrokerRequestReader reader, TemporalService temporal, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        EntityIds.FragmentTypes(body, entityId, terms);
        var attributes = TemporalAttributes(body, terms, temporal.Now);
        await temporal.AddAttributesAsync(tenant, entityId, attributes, access, ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> Retrieve(string entityId, HttpRequest request, BrokerRequestReader reader, TemporalService temporal, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        EntityIds.Validate(entityId);
        var query = ParseTemporal(request.Query, terms);
        var result = await temporal.RetrieveAsync(tenant, entityId, QueryParameters.List(request.Query, "attrs"), QueryParameters.Text(request.Query, "type"), query, terms, access, ct);
        if (result.Entities[0].Count == 0) throw NgsiLdException.NotFound($"Entity {entityId} has no member left after pick and omit.");
        return Respond(result.Entities[0], result, terms, mediaType);
    }

    private static async Task<IResult> Query(HttpRequest request, BrokerRequestReader reader, TemporalService temporal, IOptions<ContextOptions> settings, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        QueryParameters.AllowOnly(request.Query, QueryParameters.QueryTemporalParameters);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var selection = QueryParameters.FromQueryString(request.Query, settings.Value);
        var query = ParseTemporal(request.Query, terms);
        var result = await temporal.QueryAsync(tenant, selection, query, terms, access, ct);
        return RespondPage(request, selection, result, terms, mediaType);
    }

    private static async Task<IResult> QueryPost(HttpRequest request, BrokerRequestReader reader, TemporalService temporal, IOptions<ContextOptions> settings, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        var selection = QueryPayload.Parse(body, request.Query, settings.Value);
        var temporalQ = body["temporalQ"] switch
        {
            null => null,
            JsonObject o => o,
            _ => throw NgsiLdException.BadRequest("temporalQ must be an object."),
        };
        // aggrParams (AggregationParams, 5.2.44): aggrMethods and aggrPeriodDuration, as the query-string parameters are read.
        var aggrParams = body["aggrParams"] switch
        {
            null => null,
            JsonObject o => o,
            _ => throw NgsiLdException.BadRequest("aggrParams must be an object."),
        };
        if (aggrParams?.Select(m => m.Key).FirstOrDefault(k => k is not ("aggrMethods" or "aggrPeriodDuration")) is { } unknown)
        {
            throw NgsiLdException.BadRequest($"'{unknown}' is not a member of aggrParams (aggrMethods, aggrPeriodDuration).");
        }
        var parameters = TemporalQuery.FromJson(aggrParams, TemporalQuery.FromJson(temporalQ, name => QueryText(request.Query, name)));
        var query = TemporalQuery.Parse(parameters, QueryParameters.Options(request.Query));
        var result = await temporal.QueryAsync(tenant, selection, query, terms, access, ct);
        return RespondPage(request, selection, result, terms, mediaType);
    }

    private static async Task<IResult> DeleteEntity(string entityId, HttpRequest request, BrokerRequestReader reader, TemporalService temporal, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Delete);
        EntityIds.Validate(entityId);
        await temporal.DeleteEntityAsync(reader.Tenant(request), entityId, access, ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> DeleteAttribute(string entityId, string attrId, HttpRequest request, BrokerRequestReader reader, TemporalService temporal, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        var datasetId = QueryParameters.Text(request.Query, "datasetId");
        var deleteAll = QueryParameters.Flag(request.Query, "deleteAll");
        await temporal.DeleteAttributeAsync(tenant, entityId, terms.ExpandTerm(ValidAttributeName(attrId)), datasetId, deleteAll, access, ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> DeleteInstance(string entityId, string attrId, string instanceId, HttpRequest request, BrokerRequestReader reader, TemporalService temporal, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        await temporal.DeleteInstanceAsync(tenant, entityId, terms.ExpandTerm(ValidAttributeName(attrId)), ValidInstanceId(instanceId), access, ct);
        return TypedResults.NoContent();
    }

    /// <summary>The body is the instance itself, or a fragment holding the attribute (as an object or a one-element array).</summary>
    private static async Task<IResult> ModifyInstance(string entityId, string attrId, string instanceId, HttpRequest request, BrokerRequestReader reader, TemporalService temporal, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Update);
        EntityIds.Validate(entityId);
        ValidAttributeName(attrId);
        ValidInstanceId(instanceId);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        JsonNode instanceNode = body;
        if (body.Count == 1 && body.TryGetPropertyValue(attrId, out var wrapped) && wrapped is not null)
        {
            instanceNode = wrapped is JsonArray { Count: 1 } single ? single[0]! : wrapped;
        }
        if (instanceNode is not JsonObject) throw NgsiLdException.BadRequest("The body must hold one attribute instance.");
        var parsed = EntityParser.ParseAttributes(new JsonObject { [attrId] = instanceNode.DeepClone() }, terms, temporal.Now, AttributeParseMode.Strict);
        var (name, instances) = parsed.Single();
        await temporal.ModifyInstanceAsync(tenant, entityId, name, instanceId, instances.Single(), access, ct);
        return TypedResults.NoContent();
    }

    /// <summary>Every member except id, type, scope is an attribute: an array of instances, or one instance.</summary>
    private static Dictionary<string, List<NgsiAttribute>> TemporalAttributes(JsonObject body, LdContext terms, DateTimeOffset now)
    {
        var attributes = new Dictionary<string, List<NgsiAttribute>>(StringComparer.Ordinal);
        foreach (var (name, node) in body)
        {
            if (name is "id" or "type" or "scope" or "createdAt" or "modifiedAt") continue;
            var elements = node is JsonArray array ? array.ToList() : [node];
            if (elements.Count == 0) throw NgsiLdException.BadRequest($"Attribute '{name}' has no instances.");
            foreach (var element in elements)
            {
                if (element is not JsonObject) throw NgsiLdException.BadRequest($"Attribute '{name}': each instance must be an attribute object such as {{\"type\": \"Property\", \"value\": 1, \"observedAt\": \"...\"}}.");
                var parsed = EntityParser.ParseAttributes(new JsonObject { [name] = element.DeepClone() }, terms, now, AttributeParseMode.Strict);
                foreach (var (expanded, instances) in parsed)
                {
                    if (!attributes.TryGetValue(expanded, out var list)) attributes[expanded] = list = [];
                    list.AddRange(instances);
                }
            }
        }
        return attributes;
    }

    /// <summary>An attribute name in the path must be a valid name (4.6.2) before anything is looked up: 400, not 404.</summary>
    private static string ValidAttributeName(string attrId) => NgsiLdSyntax.IsValidName(attrId)
        ? attrId
        : throw NgsiLdException.BadRequest($"'{attrId}' is not a valid attribute name.");

    /// <summary>An instance id is a URI (4.5.7); anything else in the path is 400, not 404.</summary>
    private static string ValidInstanceId(string instanceId) => EntityIds.IsValid(instanceId)
        ? instanceId
        : throw NgsiLdException.BadRequest($"'{instanceId}' is not a valid instance id: an instance id is a URI.");

    private static TemporalQuery ParseTemporal(IQueryCollection query, ITermMapper terms) =>
        TemporalQuery.Parse(name => QueryText(query, name), QueryParameters.Options(query)) with { Projection = RenderOptionsParser.ParseProjection(query, terms) };

    private static string? QueryText(IQueryCollection query, string name) => QueryParameters.Text(query, name);

    /// <summary>A page of a query: Link headers to the previous and next pages as the broker's query gives them.</summary>
    private static NgsiLdResponse RespondPage(HttpRequest request, QueryRequest selection, TemporalResult result, LdContext terms, ResponseMediaType mediaType)
    {
        var response = Respond(new JsonArray(result.Entities.Select(e => (JsonNode)e).ToArray()), result, terms, mediaType);
        QueryResponse.AddPageLinks(response, request, selection, result.MoreEntities);
        return response;
    }

    private static NgsiLdResponse Respond(JsonNode body, TemporalResult result, LdContext terms, ResponseMediaType mediaType)
    {
        var response = new NgsiLdResponse(body, terms, mediaType, result.ContentRange is null ? StatusCodes.Status200OK : StatusCodes.Status206PartialContent);
        if (result.ContentRange is { } range) response.Headers[ContentRangeHeader] = range;
        if (result.TotalCount is { } total) response.Headers["NGSILD-Results-Count"] = total.ToString(CultureInfo.InvariantCulture);
        return response;
    }
}
