using System.Text.Json.Nodes;
using CityOS.Context.Access;
using CityOS.Context.JsonLd;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Broker.Http;

/// <summary>Reads what every broker request starts with: its tenant, what its caller may do there, its @context and its body.</summary>
public sealed class BrokerRequestReader(ILdContextResolver resolver, IOptions<ContextOptions> options, AccessControl access)
{
    public string? Tenant(HttpRequest request) => Tenancy.FromRequest(request);

    /// <summary>What the caller may do in the request's tenant; 401/403 at once when it may do none of <paramref name="actions"/>.</summary>
    public ValueTask<EntityAccess> AccessAsync(HttpRequest request, CancellationToken ct, params AccessAction[] actions) =>
        access.RequireAsync(request.HttpContext, Tenancy.FromRequest(request), actions, ct);

    public async Task<(string? Tenant, LdContext Terms)> ReadContextAsync(HttpRequest request, CancellationToken ct)
    {
        var tenant = Tenancy.FromRequest(request);
        return (tenant, await LdRequest.ForReadAsync(request, resolver, ct));
    }

    public async Task<(string? Tenant, LdContext Terms, JsonObject Body)> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        var tenant = Tenancy.FromRequest(request);
        LdRequest.RequireBodyMediaType(request);
        var body = await JsonBody.ReadAsync(request, options.Value.MaxEntityBytes, options.Value.Limits, ct) as JsonObject
            ?? throw NgsiLdException.BadRequest("The request body must be a JSON object.");
        var terms = await LdRequest.ForBodyAsync(request, body, resolver, ct);
        body.Remove("@context");
        return (tenant, terms, body);
    }

    /// <summary>
    /// A batch body: a non-empty array of objects. With application/ld+json every element carries its
    /// own @context; with application/json the Link header's context applies to all.
    /// </summary>
    public async Task<(string? Tenant, IReadOnlyList<(JsonNode? Element, LdContext? Terms, NgsiLdException? Error)> Items)> ReadBatchAsync(HttpRequest request, CancellationToken ct)
    {
        var tenant = Tenancy.FromRequest(request);
        var mediaType = LdRequest.RequireBodyMediaType(request);
        var body = await JsonBody.ReadAsync(request, options.Value.MaxBatchBytes, options.Value.Limits, ct) as JsonArray
            ?? throw NgsiLdException.BadRequest("The request body of a batch operation must be a JSON array.");
        if (body.Count == 0) throw NgsiLdException.BadRequest("The batch is empty: give at least one element.");
        // Faults of the request as a whole (not of one element) fail the whole batch with 400 (6.3.5, 5.5.4).
        if (body.Any(element => element is null)) throw NgsiLdException.BadRequest("The batch holds a null element: every element must be an entity (or an entity id for delete).");
        if (mediaType != LdRequest.Json && mediaType != LdRequest.MergePatchJson && LdRequest.LinkedContext(request) is not null)
        {
            throw NgsiLdException.BadRequest("An application/ld+json request carries its @context in the body and cannot also have a JSON-LD context Link header.");
        }
        var items = new List<(JsonNode?, LdContext?, NgsiLdException?)>(body.Count);
        foreach (var element in body)
        {
            try
            {
                if (element is JsonObject entity)
                {
                    var terms = await LdRequest.ForBodyAsync(request, entity, resolver, ct);
                    entity.Remove("@context");
                    items.Add((entity, terms, null));
                }
                else if (element is JsonValue value && value.TryGetValue<string>(out _))
                {
                    items.Add((element, await LdRequest.ForReadAsync(request, resolver, ct), null));
                }
                else
                {
                    items.Add((element, null, NgsiLdException.BadRequest("Each element of the batch must be a JSON object (or an entity id for delete).")));
                }
            }
            // An element whose own @context cannot be fetched fails alone, as an element with bad data does (5.6.7.4);
            // a Link header that cannot be fetched fails the whole request.
            catch (NgsiLdException error) when (error.Type is NgsiLdErrorType.BadRequestData or NgsiLdErrorType.InvalidRequest
                || error.Type == NgsiLdErrorType.LdContextNotAvailable && element is JsonObject own && own.ContainsKey("@context"))
            {
                items.Add((element, null, error));
            }
        }
        return (tenant, items);
    }
}

/// <summary>Entity ids as URLs and payloads carry them.</summary>
public static class EntityIds
{
    public static void Validate(string id)
    {
        if (!IsValid(id)) throw NgsiLdException.BadRequest($"'{id}' is not a valid entity id: an entity id must be an absolute URI (e.g. urn:ngsi-ld:Building:001).");
    }

    public static bool IsValid(string id) =>
        id.Length is > 0 and <= 2048 && !id.Any(char.IsWhiteSpace) && Uri.TryCreate(id, UriKind.Absolute, out _);

    /// <summary>PUT /entities/{id}: the body may repeat the id but not contradict it.</summary>
    public static void AdoptPathId(JsonObject body, string id)
    {
        if (body["id"] is { } given && given.GetValueKind() == System.Text.Json.JsonValueKind.String && given.GetValue<string>() != id)
        {
            throw NgsiLdException.BadRequest($"The body's id '{given.GetValue<string>()}' differs from the entity id in the URL '{id}'.");
        }
        body["id"] = id;
    }

    /// <summary>An attribute fragment may repeat the entity's id and give types; both are taken out of the attributes.</summary>
    public static IReadOnlyList<string>? FragmentTypes(JsonObject body, string id, Model.ITermMapper terms)
    {
        if (body["id"] is { } given)
        {
            if (given.GetValueKind() != System.Text.Json.JsonValueKind.String || given.GetValue<string>() != id)
            {
                throw NgsiLdException.BadRequest($"The body's id differs from the entity id in the URL '{id}'.");
            }
            body.Remove("id");
        }
        if (body["type"] is not { } type) return null;
        body.Remove("type");
        var names = type switch
        {
            JsonValue v when v.TryGetValue<string>(out var single) => [single],
            JsonArray a when a.All(t => t is JsonValue tv && tv.TryGetValue<string>(out _)) => a.Select(t => t!.GetValue<string>()).ToList(),
            _ => throw NgsiLdException.BadRequest("The entity type must be a string or an array of strings."),
        };
        return names.Select(terms.ExpandTerm).ToList();
    }
}
