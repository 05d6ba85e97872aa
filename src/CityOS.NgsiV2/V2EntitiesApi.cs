using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityOS.NgsiV2;

/// <summary>The NGSI-v2 routes of Orion's API: /v2, /v2/entities, /v2/types, /v2/op.</summary>
public static class V2EntitiesApi
{
    public static RouteGroupBuilder MapNgsiV2Entities(this IEndpointRouteBuilder routes)
    {
        var v2 = routes.MapV2Group("/v2");
        v2.MapGet("", EntryPoints).WithName("V2EntryPoints").WithSummary("The NGSI-v2 entry points.");
        v2.MapGet("/entities", List).WithName("V2ListEntities").WithSummary("List entities (q, geo, orderBy, paging, options).");
        v2.MapPost("/entities", Create).WithName("V2CreateEntity").WithSummary("Create an entity (options=keyValues,upsert).");
        v2.MapGet("/entities/{id}", Retrieve).WithName("V2RetrieveEntity").WithSummary("Retrieve an entity.");
        v2.MapDelete("/entities/{id}", Delete).WithName("V2DeleteEntity").WithSummary("Delete an entity.");
        v2.MapGet("/entities/{id}/attrs", RetrieveAttrs).WithName("V2RetrieveAttributes").WithSummary("The attributes of an entity.");
        v2.MapPost("/entities/{id}/attrs", Append).WithName("V2AppendAttributes").WithSummary("Add or overwrite attributes (options=append: add only).");
        v2.MapPatch("/entities/{id}/attrs", Update).WithName("V2UpdateAttributes").WithSummary("Update existing attributes.");
        v2.MapPut("/entities/{id}/attrs", Replace).WithName("V2ReplaceAttributes").WithSummary("Replace all attributes.");
        v2.MapGet("/entities/{id}/attrs/{attr}", RetrieveAttr).WithName("V2RetrieveAttribute").WithSummary("One attribute.");
        v2.MapPut("/entities/{id}/attrs/{attr}", UpdateAttr).WithName("V2UpdateAttribute").WithSummary("Replace one attribute.");
        v2.MapDelete("/entities/{id}/attrs/{attr}", DeleteAttr).WithName("V2DeleteAttribute").WithSummary("Delete one attribute.");
        v2.MapGet("/entities/{id}/attrs/{attr}/value", RetrieveValue).WithName("V2RetrieveAttributeValue").WithSummary("One attribute's value.");
        v2.MapPut("/entities/{id}/attrs/{attr}/value", UpdateValue).WithName("V2UpdateAttributeValue").WithSummary("Set one attribute's value.");
        v2.MapGet("/types", Types).WithName("V2ListTypes").WithSummary("Entity types with their attributes and counts.");
        v2.MapGet("/types/{type}", TypeInfo).WithName("V2RetrieveType").WithSummary("One entity type.");
        v2.MapPost("/op/update", BatchUpdate).WithName("V2BatchUpdate").WithSummary("append, appendStrict, update, delete or replace many entities.");
        v2.MapPost("/op/query", BatchQuery).WithName("V2BatchQuery").WithSummary("Query with a JSON body.");
        return v2;
    }

    private static IResult EntryPoints() => V2Results.Json(new JsonObject
    {
        ["entities_url"] = "/v2/entities",
        ["types_url"] = "/v2/types",
        ["subscriptions_url"] = "/v2/subscriptions",
        ["registrations_url"] = "/v2/registrations",
    });

    private static async Task<IResult> List(HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var request = http.Request;
        var options = V2Request.Options(request, "count", "keyValues", "values", "unique", "skipForwarding");
        var (limit, offset) = V2Request.Paging(request);
        var ids = V2Syntax.List(request.Query["id"].ToString());
        var idPattern = NonEmpty(request.Query["idPattern"]);
        if (ids is not null && idPattern is not null) throw V2Exception.BadRequest("Incompatible parameters: id, IdPattern");
        foreach (var id in ids ?? []) V2Syntax.CheckName(id, "entity id");
        var type = NonEmpty(request.Query["type"]);
        foreach (var t in V2Syntax.List(type) ?? []) V2Syntax.CheckName(t, "entity type");
        var query = new V2Query(
            [new V2Selector(ids, idPattern, type)],
            Q(NonEmpty(request.Query["q"]), NonEmpty(request.Query["mq"])),
            V2Geo.Query(NonEmpty(request.Query["georel"]), NonEmpty(request.Query["geometry"]), NonEmpty(request.Query["coords"])),
            limit, offset, options.Contains("count"), NonEmpty(request.Query["orderBy"])) { Paths = V2Request.QueryPaths(request) };
        return await Page(http, entities, query, options, V2Syntax.List(request.Query["attrs"].ToString()), ct);
    }

    private static async Task<IResult> Page(HttpContext http, V2Entities entities, V2Query query, HashSet<string> options, IReadOnlyList<string>? attrs, CancellationToken ct)
    {
        var (page, total) = await entities.QueryAsync(V2Request.Call(http), query, ct);
        if (total is { } count) http.Response.Headers[V2Request.TotalCountHeader] = count.ToString(CultureInfo.InvariantCulture);
        return V2Rendering.Of(options, attrs).EntitiesResult(page);
    }

    private static string? Q(string? q, string? mq) => (V2Q.ToLd(q), V2Q.ToLd(mq, metadata: true)) switch
    {
        (null, var m) => m,
        (var s, null) => s,
        var (s, m) => s + ";" + m,
    };

    private static async Task<IResult> Create(HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var options = V2Request.Options(http.Request, "keyValues", "upsert");
        var body = await V2Request.ObjectAsync(http.Request, ct);
        var ld = V2Mapping.ToLdEntity(body, options.Contains("keyValues"));
        var created = await entities.CreateAsync(V2Request.Call(http), ld, options.Contains("upsert"), V2Request.WritePath(http.Request), ct);
        if (!created) return Results.NoContent();
        http.Response.Headers.Location = $"/v2/entities/{Uri.EscapeDataString(body["id"]!.GetValue<string>())}?type={Uri.EscapeDataString(ld["type"]!.GetValue<string>())}";
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    private static async Task<IResult> Retrieve(string id, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var options = V2Request.Options(http.Request, "keyValues", "values", "unique", "skipForwarding");
        var entity = await entities.RetrieveLdAsync(V2Request.Call(http), id, Type(http), V2Request.QueryPaths(http.Request), ct);
        return V2Rendering.Of(options, V2Syntax.List(http.Request.Query["attrs"].ToString())).EntityResult(entity);
    }

    private static async Task<IResult> RetrieveAttrs(string id, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var options = V2Request.Options(http.Request, "keyValues", "values", "unique", "skipForwarding");
        var entity = await entities.RetrieveLdAsync(V2Request.Call(http), id, Type(http), V2Request.QueryPaths(http.Request), ct);
        return V2Rendering.Of(options, V2Syntax.List(http.Request.Query["attrs"].ToString())).EntityResult(entity, withIdAndType: false);
    }

    private static async Task<IResult> Delete(string id, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        await entities.DeleteAsync(V2Request.Call(http), id, Type(http), V2Request.WritePath(http.Request), ct);
        return Results.NoContent();
    }

    private static async Task<IResult> Append(string id, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var options = V2Request.Options(http.Request, "keyValues", "append");
        var attrs = V2Mapping.ToLdAttributes(await V2Request.ObjectAsync(http.Request, ct), options.Contains("keyValues"));
        var call = V2Request.Call(http);
        var entity = await entities.RetrieveLdAsync(call, id, Type(http), V2Request.WritePath(http.Request), ct);
        await entities.AppendAsync(call, entity["id"]!.GetValue<string>(), attrs, options.Contains("append"), ct);
        return Results.NoContent();
    }

    private static async Task<IResult> Update(string id, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var options = V2Request.Options(http.Request, "keyValues");
        var attrs = V2Mapping.ToLdAttributes(await V2Request.ObjectAsync(http.Request, ct), options.Contains("keyValues"));
        var call = V2Request.Call(http);
        var entity = await entities.RetrieveLdAsync(call, id, Type(http), V2Request.WritePath(http.Request), ct);
        await entities.UpdateAsync(call, entity["id"]!.GetValue<string>(), attrs, ct);
        return Results.NoContent();
    }

    private static async Task<IResult> Replace(string id, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var options = V2Request.Options(http.Request, "keyValues");
        var attrs = V2Mapping.ToLdAttributes(await V2Request.ObjectAsync(http.Request, ct), options.Contains("keyValues"));
        await entities.ReplaceAttributesAsync(V2Request.Call(http), id, Type(http), V2Request.WritePath(http.Request), attrs, ct);
        return Results.NoContent();
    }

    private static async Task<IResult> RetrieveAttr(string id, string attr, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var entity = await entities.RetrieveLdAsync(V2Request.Call(http), id, Type(http), V2Request.QueryPaths(http.Request), ct);
        return V2Results.Json(V2Mapping.FromLdAttribute(entity[attr] as JsonObject ?? throw V2Exception.AttributeNotFound()));
    }

    private static async Task<IResult> UpdateAttr(string id, string attr, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        V2Syntax.CheckName(attr, "attribute name");
        var ldAttr = V2Mapping.ToLdAttribute(await V2Request.ObjectAsync(http.Request, ct), keyValues: false);
        var call = V2Request.Call(http);
        var entity = await entities.RetrieveLdAsync(call, id, Type(http), V2Request.WritePath(http.Request), ct);
        if (entity[attr] is null) throw V2Exception.AttributeNotFound();
        await entities.UpdateAsync(call, entity["id"]!.GetValue<string>(), new JsonObject { [attr] = ldAttr }, ct);
        return Results.NoContent();
    }

    private static async Task<IResult> DeleteAttr(string id, string attr, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        await entities.DeleteAttributeAsync(V2Request.Call(http), id, Type(http), V2Request.WritePath(http.Request), attr, ct);
        return Results.NoContent();
    }

    /// <summary>An object or array value is JSON; any other value is text/plain (strings in quotes), as Orion answers.</summary>
    private static async Task<IResult> RetrieveValue(string id, string attr, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var entity = await entities.RetrieveLdAsync(V2Request.Call(http), id, Type(http), V2Request.QueryPaths(http.Request), ct);
        var value = V2Mapping.ValueOf(entity[attr] as JsonObject ?? throw V2Exception.AttributeNotFound());
        if (value is JsonObject or JsonArray) return Results.Text(value.ToJsonString(), "application/json");
        var accept = http.Request.Headers.Accept.ToString();
        if (accept.Length > 0 && !accept.Contains("text/plain", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
        {
            throw new V2Exception(406, "NotAcceptable", "accepted MIME types: text/plain");
        }
        return Results.Text(value?.ToJsonString() ?? "null", "text/plain");
    }

    private static async Task<IResult> UpdateValue(string id, string attr, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        JsonNode? value;
        if (http.Request.ContentType?.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) == true)
        {
            using var reader = new StreamReader(http.Request.Body);
            value = PlainValue(await reader.ReadToEndAsync(ct));
        }
        else
        {
            value = await V2Request.BodyAsync(http.Request, ct);
            if (value is not (JsonObject or JsonArray)) throw V2Exception.BadRequest("attribute value must be a JSON object or array with application/json; use text/plain for other values");
        }
        V2Syntax.CheckValue(value);
        var call = V2Request.Call(http);
        var entity = await entities.RetrieveLdAsync(call, id, Type(http), V2Request.WritePath(http.Request), ct);
        var current = V2Mapping.FromLdAttribute(entity[attr] as JsonObject ?? throw V2Exception.AttributeNotFound());
        current["value"] = value?.DeepClone();
        await entities.UpdateAsync(call, entity["id"]!.GetValue<string>(), new JsonObject { [attr] = V2Mapping.ToLdAttribute(current, keyValues: false) }, ct);
        return Results.NoContent();
    }

    /// <summary>A text/plain value: true, false, null, a number, a "quoted" string, or else the text itself.</summary>
    private static JsonNode? PlainValue(string text)
    {
        var trimmed = text.Trim();
        if (trimmed is "true" or "false" or "null" || (trimmed.Length > 0 && (char.IsAsciiDigit(trimmed[0]) || trimmed[0] == '-' || trimmed[0] == '"')))
        {
            try
            {
                var node = JsonNode.Parse(trimmed);
                if (node is not (JsonObject or JsonArray)) return node;
            }
            catch (JsonException)
            {
            }
        }
        return JsonValue.Create(text);
    }

    private static async Task<IResult> Types(HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var options = V2Request.Options(http.Request, "count", "values", "noAttrDetail");
        var (limit, offset) = V2Request.Paging(http.Request);
        var types = await entities.TypesAsync(V2Request.Call(http), null, V2Request.QueryPaths(http.Request), ct);
        if (options.Contains("count")) http.Response.Headers[V2Request.TotalCountHeader] = types.Count.ToString(CultureInfo.InvariantCulture);
        var page = types.Skip(offset).Take(limit);
        if (options.Contains("values")) return V2Results.Json(new JsonArray([.. page.Select(t => (JsonNode)t.Type)]));
        return V2Results.Json(new JsonArray([.. page.Select(t =>
        {
            var info = TypeBody(t.Attrs, t.Count, options.Contains("noAttrDetail"));
            var withType = new JsonObject { ["type"] = t.Type };
            foreach (var (k, v) in info) withType[k] = v?.DeepClone();
            return (JsonNode)withType;
        })]));
    }

    private static async Task<IResult> TypeInfo(string type, HttpContext http, V2Entities entities, CancellationToken ct)
    {
        V2Syntax.CheckName(type, "entity type");
        var types = await entities.TypesAsync(V2Request.Call(http), type, V2Request.QueryPaths(http.Request), ct);
        if (types.Count == 0) throw new V2Exception(404, "NotFound", "Entity type not found");
        return V2Results.Json(TypeBody(types[0].Attrs, types[0].Count, false));
    }

    private static JsonObject TypeBody(SortedDictionary<string, SortedSet<string>> attrs, int count, bool noDetail)
    {
        var attributes = new JsonObject();
        foreach (var (name, types) in attrs)
        {
            attributes[name] = noDetail ? new JsonObject() : new JsonObject { ["types"] = new JsonArray([.. types.Select(t => (JsonNode)t)]) };
        }
        return new JsonObject { ["attrs"] = attributes, ["count"] = count };
    }

    private static async Task<IResult> BatchUpdate(HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var options = V2Request.Options(http.Request, "keyValues");
        var body = await V2Request.ObjectAsync(http.Request, ct);
        var action = body["actionType"] is JsonValue a && a.TryGetValue<string>(out var s) ? s : null;
        if (action is not ("append" or "appendStrict" or "update" or "delete" or "replace"))
        {
            throw V2Exception.BadRequest("invalid update action type: right ones are: append, appendStrict, delete, replace, update");
        }
        if (body["entities"] is not JsonArray list || list.Any(e => e is not JsonObject)) throw V2Exception.BadRequest("entities must be a JSON array of entities");
        var keyValues = options.Contains("keyValues");
        var parsed = list.Select(e => (V2: e!.AsObject(), Ld: V2Mapping.ToLdEntity(e.AsObject(), keyValues))).ToList();
        var call = V2Request.Call(http);
        var path = V2Request.WritePath(http.Request);
        V2Exception? first = null;
        foreach (var (v2, ld) in parsed)
        {
            var id = v2["id"]!.GetValue<string>();
            var type = v2["type"]?.GetValue<string>();
            try
            {
                switch (action)
                {
                    case "append":
                        await entities.CreateAsync(call, ld, upsert: true, path, ct);
                        break;
                    case "appendStrict":
                        try
                        {
                            await entities.CreateAsync(call, ld, upsert: false, path, ct);
                        }
                        catch (V2Exception exists) when (exists.Status == 422)
                        {
                            await entities.RetrieveLdAsync(call, id, type, path, ct);
                            await entities.AppendAsync(call, ld["id"]!.GetValue<string>(), V2Entities.Attributes(ld), strict: true, ct);
                        }
                        break;
                    case "update":
                        await entities.RetrieveLdAsync(call, id, type, path, ct);
                        await entities.UpdateAsync(call, ld["id"]!.GetValue<string>(), V2Entities.Attributes(ld), ct);
                        break;
                    case "replace":
                        await entities.ReplaceAttributesAsync(call, id, type, path, V2Entities.Attributes(ld), ct);
                        break;
                    default:
                        var names = V2Entities.Attributes(ld).Select(p => p.Key).ToList();
                        if (names.Count == 0) await entities.DeleteAsync(call, id, type, path, ct);
                        else foreach (var name in names) await entities.DeleteAttributeAsync(call, id, type, path, name, ct);
                        break;
                }
            }
            catch (V2Exception error) when (error.Status is 404 or 422)
            {
                first ??= error;
            }
        }
        if (first is not null) throw first;
        return Results.NoContent();
    }

    private static async Task<IResult> BatchQuery(HttpContext http, V2Entities entities, CancellationToken ct)
    {
        var options = V2Request.Options(http.Request, "count", "keyValues", "values", "unique", "skipForwarding");
        var (limit, offset) = V2Request.Paging(http.Request);
        var body = await V2Request.ObjectAsync(http.Request, ct);
        var selectors = new List<V2Selector>();
        if (body["entities"] is JsonArray list)
        {
            foreach (var node in list)
            {
                if (node is not JsonObject e) throw V2Exception.BadRequest("entities must be a JSON array of objects");
                var id = Text(e, "id");
                var pattern = Text(e, "idPattern");
                var type = Text(e, "type");
                if (e.ContainsKey("typePattern")) throw new V2Exception(501, "NotImplemented", "typePattern is not supported");
                if (id is not null) V2Syntax.CheckName(id, "entity id");
                selectors.Add(new V2Selector(id is null ? null : [id], pattern, type));
            }
        }
        else if (body["entities"] is not null) throw V2Exception.BadRequest("entities must be a JSON array");
        if (selectors.Count == 0) selectors.Add(new V2Selector(null, null, null));
        var expression = body["expression"] as JsonObject;
        var query = new V2Query(selectors,
            Q(Text(expression, "q"), Text(expression, "mq")),
            V2Geo.Query(Text(expression, "georel"), Text(expression, "geometry"), Text(expression, "coords")),
            limit, offset, options.Contains("count"), NonEmpty(http.Request.Query["orderBy"])) { Paths = V2Request.QueryPaths(http.Request) };
        var attrs = body["attrs"] is JsonArray names ? names.Select(n => n!.GetValue<string>()).ToList() : null;
        return await Page(http, entities, query, options, attrs, ct);
    }

    private static string? Text(JsonObject? o, string member) => o?[member] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw V2Exception.BadRequest($"{member} must be a string"),
    };

    private static string? Type(HttpContext http) => NonEmpty(http.Request.Query["type"]);

    private static string? NonEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 || value.ToString().Length == 0 ? null : value.ToString();
}

/// <summary>Every /v2 response carries Fiware-Correlator; errors leave as Orion's JSON.</summary>
internal static class V2Filter
{
    /// <summary>A /v2 route group: Orion's errors and Fiware-Correlator, JSON, the caller policy.</summary>
    public static RouteGroupBuilder MapV2Group(this IEndpointRouteBuilder routes, string prefix) =>
        routes.MapGroup(prefix).WithTags("NGSI-v2").WithMetadata(new V2SurfaceMetadata()).AddEndpointFilter(Invoke)
            .WithSurface(ApiSurface.Json).RequireAuthorization(CallerAuthentication.CallerPolicy);

    public static async ValueTask<object?> Invoke(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var correlator = http.Request.Headers[V2Request.CorrelatorHeader].ToString();
        http.Response.Headers[V2Request.CorrelatorHeader] = correlator.Length > 0 ? correlator : Guid.NewGuid().ToString();
        try
        {
            return await next(context);
        }
        catch (V2Exception error)
        {
            return V2Results.Json(error.Body, error.Status);
        }
        catch (ContextException error)
        {
            var v2 = V2Exception.From(error);
            return V2Results.Json(v2.Body, v2.Status);
        }
        catch (BadHttpRequestException error)
        {
            return V2Results.Json(new JsonObject { ["error"] = "BadRequest", ["description"] = error.Message }, error.StatusCode);
        }
    }
}
