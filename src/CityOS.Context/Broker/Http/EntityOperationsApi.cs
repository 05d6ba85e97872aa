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
        var access = await reader.AccessAsync(request, ct, BatchRequest.Actions(kind));
        var (tenant, items) = await reader.ReadBatchAsync(request, ct);
        var batch = BatchRequest.Items(kind, items, QueryParameters.Options(request.Query), broker.Now);
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

    private static async Task<IResult> Query(HttpRequest request, BrokerRequestReader reader, EntityBroker broker, IOptions<ContextOptions> settings, CancellationToken ct)
    {
        var access = await reader.AccessAsync(request, ct, AccessAction.Read);
        var mediaType = NgsiLdResponse.Negotiate(request);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        if (body.ContainsKey("temporalQ")) throw NgsiLdException.BadRequest("temporalQ belongs to the temporal query (POST /temporal/entityOperations/query), not to Query Entities.");
        var query = QueryPayload.Parse(body, request.Query, settings.Value);
        var options = QueryPayload.WithJoin(body, EntityRenderer.ParseOptions(QueryPayload.WithProjection(body, request.Query), terms));
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
            if (array.Count == 0) throw NgsiLdException.BadRequest("entities must not be an empty array.");
            foreach (var item in array)
            {
                if (item is not JsonObject selector) throw NgsiLdException.BadRequest("Each element of entities must be an object with id, idPattern and/or type.");
                if (String(selector, "type") is null) throw NgsiLdException.BadRequest("Each EntitySelector needs a type (5.2.33).");
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
                JsonArray { Count: 0 } => throw NgsiLdException.BadRequest("attrs must not be an empty array."),
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
        QueryParameters.CheckAttributeNames(request.Attrs);
        QueryParameters.CheckLimit(request);
        return request;
    }

    /// <summary>
    /// The query string with the pick and omit members of the Query (5.2.23: arrays of member names, or a projection string)
    /// in place of its own pick and omit parameters, so that both are read by the same rules (4.21).
    /// </summary>
    public static IQueryCollection WithProjection(JsonObject body, IQueryCollection query)
    {
        if (!body.ContainsKey("pick") && !body.ContainsKey("omit")) return query;
        var parameters = query.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        foreach (var member in (string[])["pick", "omit"])
        {
            if (!body.ContainsKey(member)) continue;
            parameters[member] = body[member] switch
            {
                JsonValue v when v.TryGetValue<string>(out var text) => text,
                JsonArray { Count: > 0 } names when names.All(n => n is JsonValue nv && nv.TryGetValue<string>(out _)) => string.Join(',', names.Select(n => n!.GetValue<string>())),
                _ => throw NgsiLdException.BadRequest($"{member} must be a non-empty array of entity member names."),
            };
        }
        return new QueryCollection(parameters);
    }

    /// <summary>The join and joinLevel members of the Query (linked entity retrieval, 4.5.23) over those of the query string.</summary>
    public static RenderOptions WithJoin(JsonObject body, RenderOptions options)
    {
        if (!body.ContainsKey("join") && !body.ContainsKey("joinLevel")) return options;
        var join = body.ContainsKey("join") ? RenderOptionsParser.Join(String(body, "join")) : options.Join;
        var level = body["joinLevel"] switch
        {
            null => options.JoinLevel,
            JsonValue v when v.TryGetValue<int>(out var n) => RenderOptionsParser.JoinLevel(n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw NgsiLdException.BadRequest("joinLevel must be a positive integer."),
        };
        return options with { Join = join, JoinLevel = level };
    }

    private static string? String(JsonObject obj, string name) => obj[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        _ => throw NgsiLdException.BadRequest($"{name} must be a string."),
    };
}
