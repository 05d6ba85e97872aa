using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityOS.Context.JsonLd;

/// <summary>
/// The @context API of GS CIM 009 (5.13, 6.30, 6.31): hosted, cached and implicitly created contexts. Every context
/// belongs to the tenant (NGSILD-Tenant) that hosted, used or fetched it: only that tenant lists, inspects, reloads
/// or deletes it, with security on listing needs a read permission there and deleting the delete permission. The
/// document of a hosted or implicitly created context is served to anyone who has its URL, as the Link headers of
/// responses point JSON-LD processors there (its id is random or derived from its content).
/// </summary>
public static class JsonLdContextsApi
{
    private const string Tag = "JSON-LD @contexts";

    public static IEndpointRouteBuilder MapJsonLdContextsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(JsonLdContextStore.ApiPath).WithTags(Tag)
            .WithSurface(ApiSurface.Json).RequireAuthorization(CallerAuthentication.CallerPolicy)
            .AddEndpointFilter(Broker.Http.LengthRequired.Filter);

        group.MapPost("/", AddContext)
            .WithName("AddJsonLdContext")
            .WithSummary("Hosts a JSON-LD @context document given in the body")
            .Accepts<JsonObject>(LdRequest.Json, LdRequest.JsonLd);
        group.MapGet("/", ListContexts)
            .WithName("ListJsonLdContexts")
            .WithSummary("Lists the @contexts the broker keeps: URLs, or details with details=true, optionally filtered by kind");
        group.MapGet("/{contextId}", ServeContext)
            .WithName("ServeJsonLdContext")
            .WithSummary("Returns a kept @context document, or its details with details=true");
        group.MapDelete("/{contextId}", DeleteContext)
            .WithName("DeleteJsonLdContext")
            .WithSummary("Deletes a hosted or cached @context, or reloads a cached one with reload=true");
        return app;
    }

    private static async Task<IResult> AddContext(HttpRequest request, JsonLdContextStore store, LdContextResolver resolver, Access.AccessControl access, CancellationToken ct)
    {
        var tenant = Tenancy.FromRequest(request);
        await access.RequireAsync(request.HttpContext, AccessAction.Create, new(SecurityTenants.Key(tenant)), ct);
        if (request.ContentType is null || !(request.ContentType.StartsWith(LdRequest.Json, StringComparison.OrdinalIgnoreCase)
            || request.ContentType.StartsWith(LdRequest.JsonLd, StringComparison.OrdinalIgnoreCase)))
        {
            throw new NgsiLdException(NgsiLdErrorType.UnsupportedMediaType, "A @context document is sent as application/json or application/ld+json.");
        }
        var document = await ReadDocumentAsync(request, ct);
        if (document is not JsonObject obj || !obj.TryGetPropertyValue("@context", out var context) || context is null)
        {
            // 5.13.2: a body that is not a JSON-LD @context document is an invalid request, like one that is not JSON.
            throw NgsiLdException.InvalidRequest("The body must be a JSON object with an @context member.");
        }
        await resolver.ValidateAsync(context, tenant, ct);
        var entry = await store.AddHostedAsync(tenant, new JsonObject { ["@context"] = context.DeepClone() }.ToJsonString(), ct);
        return TypedResults.Created(entry.Url);
    }

    private static async Task<IResult> ListContexts(HttpRequest request, JsonLdContextStore store, Access.AccessControl access, CancellationToken ct)
    {
        var tenant = Tenancy.FromRequest(request);
        await access.RequireAsync(request.HttpContext, tenant, [AccessAction.Read], ct);
        var details = BoolParameter(request, "details");
        LdContextKind? kind = request.Query["kind"].ToString() switch
        {
            "" => null,
            var k when Enum.TryParse<LdContextKind>(k, ignoreCase: false, out var parsed) && !int.TryParse(k, out _) => parsed,
            var k => throw NgsiLdException.BadRequest($"kind '{k}' is not one of Hosted, Cached, ImplicitlyCreated."),
        };
        await store.EnsureLoadedAsync(ct);
        var entries = store.List(tenant, kind);
        var list = details
            ? new JsonArray(entries.Select(e => (JsonNode)Details(e)).ToArray())
            : new JsonArray(entries.Select(e => (JsonNode)JsonValue.Create(e.Url)).ToArray());
        return TypedResults.Text(list.ToJsonString(), LdRequest.Json);
    }

    private static async Task<IResult> ServeContext(string contextId, HttpRequest request, JsonLdContextStore store, Access.AccessControl access, CancellationToken ct)
    {
        var tenant = Tenancy.FromRequest(request);
        var details = BoolParameter(request, "details");
        if (details)
        {
            await access.RequireAsync(request.HttpContext, tenant, [AccessAction.Read], ct);
        }
        var entry = await FindAsync(store, contextId, ct);
        // A cached context's URL may name a tenant's own server; its details and usage are the tenant's business.
        if (details || entry.Kind == LdContextKind.Cached)
        {
            RequireVisible(entry, tenant, contextId);
            await access.RequireAsync(request.HttpContext, tenant, [AccessAction.Read], ct);
        }
        return details
            ? TypedResults.Text(Details(entry).ToJsonString(), LdRequest.Json)
            : TypedResults.Text(entry.Document, LdRequest.Json);
    }

    private static async Task<IResult> DeleteContext(string contextId, HttpRequest request, JsonLdContextStore store, LdContextResolver resolver, Access.AccessControl access, CancellationToken ct)
    {
        var tenant = Tenancy.FromRequest(request);
        await access.RequireAsync(request.HttpContext, AccessAction.Delete, new(SecurityTenants.Key(tenant)), ct);
        var reload = BoolParameter(request, "reload");
        await store.EnsureLoadedAsync(ct);
        // 5.13.5: reload applies to a cached @context only; an id naming none (not kept, or another tenant's) cannot be reloaded.
        if (store.Find(Unescaped(contextId)) is not { } entry || !JsonLdContextStore.VisibleIn(entry, tenant))
        {
            if (reload) throw NgsiLdException.BadRequest($"No cached @context {Unescaped(contextId)} is kept by this broker: there is nothing to reload.");
            throw NotKept(contextId);
        }
        if (entry.IsCore)
        {
            // The core @context is built into the broker: reloading it gives the same document again; it is never deleted.
            if (reload) return TypedResults.NoContent();
            throw NgsiLdException.BadRequest("The NGSI-LD core @context cannot be deleted.");
        }
        if (reload)
        {
            if (entry.Kind != LdContextKind.Cached)
            {
                throw NgsiLdException.BadRequest($"Only Cached @contexts can be reloaded; this one is {entry.Kind}.");
            }
            await resolver.ReloadAsync(entry, ct);
        }
        else
        {
            await store.DeleteAsync(entry, ct);
        }
        return TypedResults.NoContent();
    }

    private static async Task<StoredLdContext> FindAsync(JsonLdContextStore store, string contextId, CancellationToken ct)
    {
        await store.EnsureLoadedAsync(ct);
        return store.Find(Unescaped(contextId)) ?? throw NotKept(contextId);
    }

    /// <summary>Another tenant's context is answered as if it did not exist.</summary>
    private static void RequireVisible(StoredLdContext entry, string? tenant, string contextId)
    {
        if (!JsonLdContextStore.VisibleIn(entry, tenant))
        {
            throw NotKept(contextId);
        }
    }

    private static string Unescaped(string contextId) => contextId.Contains('%') ? Uri.UnescapeDataString(contextId) : contextId;

    private static NgsiLdException NotKept(string contextId) => NgsiLdException.NotFound($"No @context {Unescaped(contextId)} is kept by this broker.");

    private static JsonObject Details(StoredLdContext entry)
    {
        var details = new JsonObject
        {
            ["URL"] = entry.Url,
            ["localId"] = entry.Id,
            ["kind"] = entry.Kind.ToString(),
            ["createdAt"] = entry.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
            ["numberOfHits"] = entry.NumberOfHits,
        };
        if (entry.LastUsage is { } lastUsage)
        {
            details["lastUsage"] = lastUsage.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        }
        return details;
    }

    private static bool BoolParameter(HttpRequest request, string name) => request.Query[name].ToString() switch
    {
        "" or "false" => false,
        "true" => true,
        var other => throw NgsiLdException.BadRequest($"{name} must be true or false, not '{other}'."),
    };

    private static async Task<JsonNode?> ReadDocumentAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            throw NgsiLdException.InvalidRequest($"The body is not valid JSON: {e.Message}");
        }
    }
}
