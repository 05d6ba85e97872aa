using System.Text.Json.Nodes;
using CityOS.Context.Access;
using CityOS.Context.Broker.Http;
using CityOS.Context.Geo;
using CityOS.Context.JsonLd;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Context;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Broker;

/// <summary>
/// The broker's side of the context API (<see cref="IContextReader"/>, <see cref="IContextWriter"/>): the same path as
/// the NGSI-LD endpoints without HTTP. Each call resolves the caller's access in the tenant (<see cref="AccessControl"/>),
/// admits its JSON within the same limits as a request body, expands it under the call's @context, runs it through the
/// <see cref="EntityBroker"/> and compacts what comes back; NGSI-LD errors leave it as <see cref="ContextException"/>s.
/// </summary>
public sealed class ContextApi(
    EntityBroker broker,
    IEntityStore store,
    AccessControl accessControl,
    ILdContextResolver resolver,
    IOptions<ContextOptions> options) : IContextReader, IContextWriter
{
    private readonly ContextOptions _settings = options.Value;

    public Task<JsonObject> RetrieveAsync(ContextCall call, string entityId, IReadOnlyList<string>? attrs, CancellationToken ct) =>
        Run(call, [AccessAction.Read], async (tenant, terms, access) =>
        {
            EntityIds.Validate(entityId);
            var entity = await broker.RetrieveAsync(tenant, entityId, access, ct);
            return EntityRenderer.Render(entity, Rendering(attrs, terms), terms);
        }, ct);

    public Task<ContextPage> QueryAsync(ContextCall call, ContextQuery query, CancellationToken ct) =>
        Run(call, [AccessAction.Read], async (tenant, terms, access) =>
        {
            foreach (var id in query.Ids ?? []) EntityIds.Validate(id);
            if (query.Offset < 0) throw NgsiLdException.BadRequest($"offset {query.Offset} is not a non-negative integer.");
            var request = new QueryRequest
            {
                Selectors = QueryParameters.Selectors(query.Ids, query.IdPattern, query.Type),
                Attrs = query.Attrs,
                Q = query.Q,
                ScopeQ = query.ScopeQ,
                RootScope = true,
                Geo = query.Geo is { } geo ? GeoQuery.FromQueryParameters(geo.Georel, geo.Geometry, geo.Coordinates, geo.GeoProperty) : null,
                Limit = query.Limit is { } limit ? QueryParameters.Limit(limit, _settings) : _settings.DefaultLimit,
                Offset = query.Offset,
                Count = query.Count,
                After = query.After,
            };
            QueryParameters.CheckLimit(request);
            var page = await broker.QueryAsync(tenant, request, terms, access, ct);
            var rendering = Rendering(query.Attrs, terms);
            return new ContextPage(page.Entities.Select(e => EntityRenderer.Render(e, rendering, terms)).ToList(), page.TotalCount, page.Next);
        }, ct);

    public Task<IReadOnlyList<string>> ListTypesAsync(ContextCall call, CancellationToken ct) =>
        Run(call, [AccessAction.Read], async (tenant, terms, access) =>
            (IReadOnlyList<string>)(await VisibleTypeCounts.CountAsync(store, tenant, null, 0, access, ct)).Select(t => terms.CompactIri(t.Type)).ToList(), ct);

    public Task<IReadOnlyList<ContextTypeCount>> CountTypesAsync(ContextCall call, string? type, int countUpTo, CancellationToken ct) =>
        Run(call, [AccessAction.Read], async (tenant, terms, access) =>
        {
            if (countUpTo < 0) throw NgsiLdException.BadRequest($"countUpTo {countUpTo} is not a non-negative integer.");
            var counts = await VisibleTypeCounts.CountAsync(store, tenant, type is null ? null : terms.ExpandTerm(type), countUpTo, access, ct);
            return (IReadOnlyList<ContextTypeCount>)counts.Select(c => c with { Type = terms.CompactIri(c.Type) }).ToList();
        }, ct);

    public Task CreateAsync(ContextCall call, JsonObject entity, CancellationToken ct) =>
        Run(call, [AccessAction.Create], async (tenant, terms, access) =>
        {
            await broker.CreateAsync(tenant, EntityParser.ParseEntity(Admit(entity), terms, broker.Now), access, ct);
        }, ct);

    public Task ReplaceAsync(ContextCall call, JsonObject entity, CancellationToken ct) =>
        Run(call, [AccessAction.Update], async (tenant, terms, access) =>
        {
            await broker.ReplaceAsync(tenant, EntityParser.ParseEntity(Admit(entity), terms, broker.Now), access, ct);
        }, ct);

    public Task<ContextUpdateResult> UpdateAttributesAsync(ContextCall call, string entityId, JsonObject attributes, CancellationToken ct) =>
        Run(call, [AccessAction.Update], async (tenant, terms, access) =>
        {
            EntityIds.Validate(entityId);
            var fragment = EntityPayload.Fragment(Admit(attributes), entityId, terms, broker.Now, AttributeParseMode.Update);
            return UpdateResult(await broker.UpdateAttributesAsync(tenant, entityId, fragment, access, ct), terms);
        }, ct);

    public Task<ContextUpdateResult> AppendAttributesAsync(ContextCall call, string entityId, JsonObject attributes, bool noOverwrite, CancellationToken ct) =>
        Run(call, [AccessAction.Update], async (tenant, terms, access) =>
        {
            EntityIds.Validate(entityId);
            var fragment = EntityPayload.Fragment(Admit(attributes), entityId, terms, broker.Now, AttributeParseMode.Strict);
            return UpdateResult(await broker.AppendAttributesAsync(tenant, entityId, fragment, noOverwrite, access, ct), terms);
        }, ct);

    public Task PartialAttributeUpdateAsync(ContextCall call, string entityId, string attribute, JsonObject fragment, CancellationToken ct) =>
        Run(call, [AccessAction.Update], async (tenant, terms, access) =>
        {
            EntityIds.Validate(entityId);
            var (name, instances) = EntityPayload.SingleAttribute(attribute, Admit(fragment), terms, broker.Now, AttributeParseMode.Patch);
            await broker.PartialAttributeUpdateAsync(tenant, entityId, name, instances, access, ct);
        }, ct);

    public Task DeleteEntityAsync(ContextCall call, string entityId, CancellationToken ct) =>
        Run(call, [AccessAction.Delete], async (tenant, terms, access) =>
        {
            EntityIds.Validate(entityId);
            await broker.DeleteAsync(tenant, entityId, access, ct);
        }, ct);

    public Task DeleteAttributeAsync(ContextCall call, string entityId, string attribute, string? datasetId, bool deleteAll, CancellationToken ct) =>
        Run(call, [AccessAction.Update], async (tenant, terms, access) =>
        {
            EntityIds.Validate(entityId);
            await broker.DeleteAttributeAsync(tenant, entityId, terms.ExpandTerm(attribute), string.IsNullOrEmpty(datasetId) ? null : datasetId, deleteAll, access, ct);
        }, ct);

    public Task<ContextBatchResult> CreateBatchAsync(ContextCall call, IReadOnlyList<JsonObject> entities, CancellationToken ct) =>
        BatchAsync(call, BatchKind.Create, entities, new HashSet<string>(), ct);

    public Task<ContextBatchResult> UpsertBatchAsync(ContextCall call, IReadOnlyList<JsonObject> entities, bool update, CancellationToken ct) =>
        BatchAsync(call, BatchKind.Upsert, entities, update ? new HashSet<string> { "update" } : new HashSet<string>(), ct);

    public Task<ContextBatchResult> DeleteBatchAsync(ContextCall call, IReadOnlyList<string> entityIds, CancellationToken ct) =>
        BatchAsync(call, BatchKind.Delete, entityIds.Select(id => (JsonNode)JsonValue.Create(id)).ToList(), new HashSet<string>(), ct);

    private Task<ContextBatchResult> BatchAsync(ContextCall call, BatchKind kind, IReadOnlyList<JsonNode> elements, IReadOnlySet<string> batchOptions, CancellationToken ct) =>
        Run(call, BatchRequest.Actions(kind), async (tenant, terms, access) =>
        {
            if (elements.Count == 0) throw NgsiLdException.BadRequest("The batch is empty: give at least one element.");
            var admitted = (JsonArray)JsonBody.Admit(elements, _settings.MaxBatchBytes, _settings.Limits);
            var items = admitted.Select(element => element is JsonObject o && o.ContainsKey("@context")
                ? (element, (LdContext?)null, NgsiLdException.BadRequest(ContextInBody))
                : (element, terms, (NgsiLdException?)null)).ToList();
            var outcome = await broker.BatchAsync(tenant, BatchRequest.Items(kind, items, batchOptions, broker.Now), access, ct);
            return new ContextBatchResult(outcome.Succeeded, outcome.Created,
                outcome.Errors.Select(e => new ContextBatchError(e.EntityId, e.Error.ToContextException().Error)).ToList());
        }, ct);

    private const string ContextInBody = "An entity given to the context API carries no @context: the call names it (ContextCall.LdContext).";

    private Task Run(ContextCall call, AccessAction[] actions, Func<string?, LdContext, EntityAccess, Task> operation, CancellationToken ct) =>
        Run(call, actions, async (tenant, terms, access) =>
        {
            await operation(tenant, terms, access);
            return true;
        }, ct);

    /// <summary>The call's tenant, access and @context, then the operation; an NGSI-LD or client's storage error becomes a <see cref="ContextException"/>.</summary>
    private async Task<T> Run<T>(ContextCall call, AccessAction[] actions, Func<string?, LdContext, EntityAccess, Task<T>> operation, CancellationToken ct)
    {
        try
        {
            var tenant = call.Tenant is null ? null : Tenancy.Normalize(call.Tenant);
            var access = await accessControl.RequireAsync(call.Caller, tenant, actions, ct);
            var terms = await resolver.ResolveAsync(ContextValue(call.LdContext), tenant, new ContextFetchBudget(), ct);
            return await operation(tenant, terms, access);
        }
        catch (NgsiLdException error)
        {
            throw error.ToContextException();
        }
        catch (StorageException error) when (StorageErrorMapping.ToNgsiLd(error) is { } mapped)
        {
            // The catalogue reads the store directly (not through the broker, which maps these itself).
            throw mapped.ToContextException();
        }
    }

    /// <summary>The @context as a request would carry it: none (the core context), one URL, or an array of URLs.</summary>
    private static JsonNode? ContextValue(IReadOnlyList<string>? urls)
    {
        if (urls is null || urls.Count == 0) return null;
        foreach (var url in urls)
        {
            if (!(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                throw NgsiLdException.BadRequest($"A @context must be an absolute http(s) URL, not '{url}'.");
            }
        }
        return urls.Count == 1 ? JsonValue.Create(urls[0]) : new JsonArray(urls.Select(u => (JsonNode)JsonValue.Create(u)).ToArray());
    }

    /// <summary>A copy of a caller's entity or fragment, held to the limits of a request body of one entity.</summary>
    private JsonObject Admit(JsonObject payload)
    {
        if (payload.ContainsKey("@context")) throw NgsiLdException.BadRequest(ContextInBody);
        return (JsonObject)JsonBody.Admit(payload, _settings.MaxEntityBytes, _settings.Limits);
    }

    private static RenderOptions Rendering(IReadOnlyList<string>? attrs, LdContext terms) =>
        attrs is null ? RenderOptions.Default : RenderOptions.Default with { Attrs = attrs.Select(terms.ExpandTerm).ToHashSet(StringComparer.Ordinal) };

    private static ContextUpdateResult UpdateResult(UpdateOutcome outcome, LdContext terms) =>
        new(outcome.Updated.Select(terms.CompactIri).ToList(),
            outcome.NotUpdated.Select(n => new ContextNotUpdated(terms.CompactIri(n.AttributeName), n.Reason)).ToList());
}
