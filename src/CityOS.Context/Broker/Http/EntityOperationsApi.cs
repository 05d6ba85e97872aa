using System.Text.Json.Nodes;
using CityOS.Context.Geo;
using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Broker.Http;

/// <summary>Batch operations and the POST query (6.14–6.18, 6.23, 6.31 of ETSI GS CIM 009 V1.8.1).</summary>
public static class EntityOperationsApi
{
    private enum BatchKind { Create, Upsert, Update, Delete, Merge }

    public static RouteGroupBuilder MapEntityOperationsApi(this RouteGroupBuilder api)
    {
        var operations = api.MapGroup("/entityOperations").WithTags("Batch operations")
            .WithSurface(ApiSurface.NgsiLd).RequireAuthorization(CallerAuthentication.CallerPolicy);
        operations.MapPost("/create", (HttpRequest r, BrokerRequestReader reader, EntityBroker b, CancellationToken ct) => Batch(BatchKind.Create, r, reader, b, ct))
            .WithName("BatchCreate").WithSummary("Create entities in one request (5.6.7).");
        operations.MapPost("/upsert", (HttpRequest r, BrokerRequestReader reader, EntityBroker b, CancellationToken ct) => Batch(BatchKind.Upsert, r, reader, b, ct))
            .WithName("BatchUpsert").WithSummary("Create or replace/update entities (5.6.8).");
        operations.MapPost("/update", (HttpRequest r, BrokerRequestReader reader, EntityBroker b, CancellationToken ct) => Batch(BatchKind.Update, r, reader, b, ct))
            .WithName("BatchUpdate").WithSummary("Update attributes of entities (5.6.9).");
        operations.MapPost("/delete", (HttpRequest r, BrokerRequestReader reader, EntityBroker b, CancellationToken ct) => Batch(BatchKind.Delete, r, reader, b, ct))
            .WithName("BatchDelete").WithSummary("Delete entities by id (5.6.10).");
        operations.MapPost("/merge", (HttpRequest r, BrokerRequestReader reader, EntityBroker b, CancellationToken ct) => Batch(BatchKind.Merge, r, reader, b, ct))
            .WithName("BatchMerge").WithSummary("Merge into entities (5.6.20).");
        operations.MapPost("/query", Query).WithName("QueryEntitiesPost").WithSummary("Query entities with a Query payload (5.7.2 via POST).");
        return api;
    }

    private static async Task<IResult> Batch(BatchKind kind, HttpRequest request, BrokerRequestReader reader, EntityBroker broker, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, kind switch
        {
            BatchKind.Create => [AccessAction.Create],
            BatchKind.Upsert => [AccessAction.Create, AccessAction.Update],
            BatchKind.Delete => [AccessAction.Delete],
            _ => [AccessAction.Update],
        });
        var (tenant, items) = await reader.ReadBatchAsync(request, ct);
        var options = QueryParameters.Options(request.Query);
        var now = broker.Now;
        var batch = new List<BatchItem>(items.Count);
        foreach (var (element, terms, error) in items)
        {
            var id = ElementId(element);
            if (error is not null)
            {
                batch.Add(new BatchItem(id, null, error));
                continue;
            }
            try
            {
                batch.Add(new BatchItem(id, kind switch
                {
                    BatchKind.Delete => DeleteMutation(element!),
                    BatchKind.Merge => MergeMutation(EntityObject(element), terms!, now),
                    _ => EntityMutationFor(kind, EntityParser.ParseEntity(EntityObject(element), terms!, now), options, now),
                }, null));
            }
            catch (NgsiLdException parseError)
            {
                batch.Add(new BatchItem(id, null, parseError));
            }
        }
        var outcome = await broker.BatchAsync(tenant, batch, access, ct);
        if (outcome.Errors.Count > 0)
        {
            var result = new JsonObject
            {
                ["success"] = new JsonArray(outcome.Succeeded.Select(s => (JsonNode)s).ToArray()),
                ["errors"] = new JsonArray(outcome.Errors.Select(e => (JsonNode)new JsonObject
                {
                    ["entityId"] = e.EntityId,
                    ["error"] = new JsonObject
                    {
                        ["type"] = NgsiLdErrors.TypeUri(e.Error.Type),
                        ["title"] = e.Error.Title,
                        ["status"] = e.Error.Status,
                        ["detail"] = e.Error.Detail,
                    },
                }).ToArray()),
            };
            return TypedResults.Json(result, statusCode: StatusCodes.Status207MultiStatus);
        }
        return kind switch
        {
            BatchKind.Create => TypedResults.Json(new JsonArray(outcome.Succeeded.Select(s => (JsonNode)s).ToArray()), statusCode: StatusCodes.Status201Created),
            BatchKind.Upsert when outcome.Created.Count > 0 => TypedResults.Json(new JsonArray(outcome.Created.Select(s => (JsonNode)s).ToArray()), statusCode: StatusCodes.Status201Created),
            _ => TypedResults.NoContent(),
        };
    }

    private static JsonObject EntityObject(JsonNode? element) =>
        element as JsonObject ?? throw NgsiLdException.BadRequest("Each element of this batch must be an entity object.");

    private static EntityMutation EntityMutationFor(BatchKind kind, Entity entity, HashSet<string> options, DateTimeOffset now) => kind switch
    {
        BatchKind.Create => new(entity.Id, EntityRules.Create(entity, now)),
        BatchKind.Upsert => new(entity.Id, EntityRules.Upsert(entity, options.Contains("update"), now)),
        _ => new(entity.Id, EntityRules.BatchUpdate(entity, options.Contains("noOverwrite"), now)),
    };

    private static EntityMutation DeleteMutation(JsonNode element)
    {
        var id = element is JsonValue v && v.TryGetValue<string>(out var text) ? text : ElementId(element);
        EntityIds.Validate(id);
        return new EntityMutation(id, EntityRules.Delete(id));
    }

    private static EntityMutation MergeMutation(JsonObject element, ITermMapper terms, DateTimeOffset now)
    {
        var id = ElementId(element);
        EntityIds.Validate(id);
        var types = EntityIds.FragmentTypes(element, id, terms);
        var fragment = EntityParser.ParseAttributes(element, terms, now, AttributeParseMode.Patch);
        return new EntityMutation(id, EntityRules.Merge(id, types, fragment, now));
    }

    private static string ElementId(JsonNode? element) =>
        element is JsonObject obj && obj["id"] is JsonValue id && id.TryGetValue<string>(out var text) ? text
        : element is JsonValue value && value.TryGetValue<string>(out var bare) ? bare
        : "";

    private static async Task<IResult> Query(HttpRequest request, BrokerRequestReader reader, EntityBroker broker, IOptions<ContextOptions> settings, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        var query = QueryPayload.Parse(body, request.Query, settings.Value);
        var options = EntityRenderer.ParseOptions(request.Query, terms);
        return await QueryResponse.CreateAsync(request, tenant, query, options, terms, mediaType, broker, access, ct);
    }
}

/// <summary>The Query data type (5.2.23) of POST /entityOperations/query.</summary>
internal static class QueryPayload
{
    public static QueryRequest Parse(JsonObject body, IQueryCollection query, ContextOptions settings)
    {
        if (body["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type != "Query")
        {
            throw NgsiLdException.BadRequest($"The payload type must be 'Query', not '{type}'.");
        }
        var selectors = new List<EntitySelector>();
        if (body["entities"] is { } entities)
        {
            if (entities is not JsonArray array) throw NgsiLdException.BadRequest("entities must be an array of EntitySelector objects.");
            foreach (var item in array)
            {
                if (item is not JsonObject selector) throw NgsiLdException.BadRequest("Each element of entities must be an object with id, idPattern and/or type.");
                var id = String(selector, "id");
                if (id is not null) EntityIds.Validate(id);
                selectors.Add(new EntitySelector(id is null ? null : [id], String(selector, "idPattern"), String(selector, "type")));
            }
        }
        var request = new QueryRequest
        {
            Selectors = selectors,
            Attrs = body["attrs"] switch
            {
                null => null,
                JsonArray attrs when attrs.All(a => a is JsonValue v && v.TryGetValue<string>(out _)) => attrs.Select(a => a!.GetValue<string>()).ToList(),
                _ => throw NgsiLdException.BadRequest("attrs must be an array of attribute names."),
            },
            Q = String(body, "q"),
            ScopeQ = String(body, "scopeQ"),
            Geo = body["geoQ"] is { } geoQ ? GeoQuery.FromJson(geoQ) : null,
            Limit = QueryParameters.Limit(query, settings),
            Offset = QueryParameters.Offset(query),
            Count = QueryParameters.Flag(query, "count"),
        };
        QueryParameters.CheckLimit(request);
        return request;
    }

    private static string? String(JsonObject obj, string name) => obj[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        _ => throw NgsiLdException.BadRequest($"{name} must be a string."),
    };
}
