using CityOS.Context.Access;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Core;

namespace CityOS.Context.Broker;

/// <summary>One entity's outcome in a batch (BatchEntityError, 5.2.17); the id as the client sent it.</summary>
public sealed record BatchEntityError(string EntityId, NgsiLdException Error);

/// <summary>One element of a batch: the mutation to run, or why the element was refused before running.</summary>
public sealed record BatchItem(string EntityId, EntityMutation? Mutation, NgsiLdException? Error);

public sealed record BatchOutcome(IReadOnlyList<string> Succeeded, IReadOnlyList<string> Created, IReadOnlyList<BatchEntityError> Errors);

/// <summary>
/// The broker's operations on the store: each runs its rule (<see cref="EntityRules"/>) as one
/// atomic, durable mutation and turns the store's answer into the operation's result or error
/// (storage errors as NGSI-LD errors, <see cref="StorageErrorMapping"/>).
/// Every operation runs as the caller's <see cref="EntityAccess"/> allows: reads see only what it may
/// read (the read scope goes to the store as part of the query), writes outside its grants fail and change
/// nothing (the write grants go to the store with each mutation); every write is held to the <see cref="EntityLimits"/>.
/// </summary>
public sealed class EntityBroker(IEntityStore store, EntityQueryBuilder queries, TimeProvider time, Microsoft.Extensions.Options.IOptions<ContextOptions> options)
{
    private readonly EntityLimits _limits = new(options.Value.Limits);
    private readonly QueryBudget _budget = new(options.Value.Limits, time);

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>When the entities written with an expiresAt next expire, for the <see cref="TransientReaper"/>.</summary>
    public ExpirySchedule Expiries { get; } = new();

    /// <summary>The entity as the caller may see it; one it may not read does not exist for it.</summary>
    public async Task<Entity> RetrieveAsync(string? tenant, string id, EntityAccess access, CancellationToken ct) =>
        await VisibleAsync(tenant, id, access, ct) ?? throw NgsiLdException.NotFound($"Entity {id} does not exist.");

    private async Task<Entity?> VisibleAsync(string? tenant, string id, EntityAccess access, CancellationToken ct)
    {
        Entity? entity;
        try
        {
            entity = await store.GetAsync(tenant, id, ct);
        }
        catch (StorageException error) when (StorageErrorMapping.ToNgsiLd(error) is { } mapped)
        {
            throw mapped;
        }
        return Transience.Live(entity, Now) is { } live ? access.Visible(live) : null;
    }

    public async Task<QueryPage> QueryAsync(string? tenant, QueryRequest request, ITermMapper terms, EntityAccess access, CancellationToken ct)
    {
        var query = queries.Build(request, terms, access);
        QueryPage page;
        try
        {
            page = await _budget.RunAsync(budget => EntityMatcher.QueryAsync(store, tenant, query, budget), ct);
        }
        catch (StorageException error) when (StorageErrorMapping.ToNgsiLd(error) is { } mapped)
        {
            throw mapped;
        }
        if (request.OrderBy is { } orderBy) page = EntityOrdering.Page(page, orderBy, request, terms);
        page = LiveOnly(page);
        return access.IsUnrestricted(Core.Security.AccessAction.Read) ? page : page with { Entities = page.Entities.Select(e => access.Visible(e)!).ToList() };
    }

    /// <summary>The page without what expired (4.22) and the reaper has not deleted yet; the page itself when nothing did.</summary>
    private QueryPage LiveOnly(QueryPage page)
    {
        var now = Now;
        List<Entity>? live = null;
        for (var i = 0; i < page.Entities.Count; i++)
        {
            var entity = page.Entities[i];
            var shown = Transience.Live(entity, now);
            if (live is null && ReferenceEquals(shown, entity)) continue;
            live ??= [.. page.Entities.Take(i)];
            if (shown is not null) live.Add(shown);
        }
        return live is null ? page : page with { Entities = live };
    }

    /// <summary>
    /// The entities and the linked entities (4.5.23) reached from them that the caller may see, by id: fetched one hop at a time,
    /// up to joinLevel hops, following the relationships the options render. Without join, just the entities.
    /// </summary>
    public Task<IReadOnlyDictionary<string, Entity>> LinkedAsync(string? tenant, IReadOnlyList<Entity> entities, RenderOptions options, EntityAccess access, CancellationToken ct) =>
        LinkedAsync(entities, options, id => VisibleAsync(tenant, id, access, ct));

    /// <summary>The linked entities reached from <paramref name="entities"/>, each fetched (as the reader may see it, or null) by <paramref name="fetch"/>.</summary>
    public static async Task<IReadOnlyDictionary<string, Entity>> LinkedAsync(IReadOnlyList<Entity> entities, RenderOptions options, Func<string, Task<Entity?>> fetch)
    {
        var found = new Dictionary<string, Entity>(StringComparer.Ordinal);
        foreach (var entity in entities)
        {
            found.TryAdd(entity.Id, entity);
        }
        if (options.Join == JoinMode.None)
        {
            return found;
        }
        var absent = new HashSet<string>(StringComparer.Ordinal);
        for (var hop = 0; hop < options.JoinLevel; hop++)
        {
            var reached = entities.Select(e => (Entity: e, Options: options))
                .Concat(EntityRenderer.Walk(entities, options, found).Where(w => w.Hops < options.JoinLevel).Select(w => (w.Entity, w.Options)));
            var wanted = reached.SelectMany(r => EntityRenderer.LinkedIds(r.Entity, r.Options))
                .Select(l => l.Target)
                .Where(id => !found.ContainsKey(id) && !absent.Contains(id) && options.ContainedBy?.Contains(id) != true)
                .ToHashSet(StringComparer.Ordinal);
            if (wanted.Count == 0)
            {
                break;
            }
            foreach (var id in wanted)
            {
                if (await fetch(id) is { } linked)
                {
                    found[id] = linked;
                }
                else
                {
                    absent.Add(id);
                }
            }
        }
        return found;
    }

    public Task CreateAsync(string? tenant, Entity entity, EntityAccess access, CancellationToken ct) =>
        RunAsync(tenant, access, entity.Id, EntityRules.Create(entity, Now), ct);

    public Task ReplaceAsync(string? tenant, Entity entity, EntityAccess access, CancellationToken ct) =>
        RunAsync(tenant, access, entity.Id, EntityRules.Replace(entity, Now, createIfMissing: false), ct);

    // The operations on one entity take the type parameter (4.17) as an optional type selector: an entity it does not match is not found.

    public Task DeleteAsync(string? tenant, string id, EntityAccess access, CancellationToken ct, TypeSelector? type = null) =>
        RunAsync(tenant, access, id, EntityRules.OfType(id, type, EntityRules.Delete(id)), ct);

    public async Task<UpdateOutcome> UpdateAttributesAsync(string? tenant, string id, EntityFragment fragment, EntityAccess access, CancellationToken ct, TypeSelector? type = null)
    {
        var outcome = new UpdateOutcome();
        await RunAsync(tenant, access, id, EntityRules.OfType(id, type, EntityRules.UpdateAttributes(id, fragment, Now, outcome)), ct);
        return outcome;
    }

    public async Task<UpdateOutcome> AppendAttributesAsync(string? tenant, string id, EntityFragment fragment, bool noOverwrite, EntityAccess access, CancellationToken ct,
        TypeSelector? type = null)
    {
        var outcome = new UpdateOutcome();
        await RunAsync(tenant, access, id, EntityRules.OfType(id, type, EntityRules.AppendAttributes(id, fragment, noOverwrite, Now, outcome)), ct);
        return outcome;
    }

    public Task PartialAttributeUpdateAsync(string? tenant, string id, string attribute, List<NgsiAttribute> instances, EntityAccess access, CancellationToken ct,
        TypeSelector? type = null) =>
        RunAsync(tenant, access, id, EntityRules.OfType(id, type, EntityRules.PartialAttributeUpdate(id, attribute, instances, Now)), ct);

    public Task ReplaceAttributeAsync(string? tenant, string id, string attribute, List<NgsiAttribute> instances, EntityAccess access, CancellationToken ct,
        TypeSelector? type = null) =>
        RunAsync(tenant, access, id, EntityRules.OfType(id, type, EntityRules.ReplaceAttribute(id, attribute, instances, Now)), ct);

    public Task DeleteAttributeAsync(string? tenant, string id, string attribute, string? datasetId, bool deleteAll, EntityAccess access, CancellationToken ct,
        TypeSelector? type = null) =>
        RunAsync(tenant, access, id, EntityRules.OfType(id, type, EntityRules.DeleteAttribute(id, attribute, datasetId, deleteAll, Now)), ct);

    public Task DeleteScopeAsync(string? tenant, string id, EntityAccess access, CancellationToken ct, TypeSelector? type = null) =>
        RunAsync(tenant, access, id, EntityRules.OfType(id, type, EntityRules.DeleteScope(id, Now)), ct);

    public Task MergeAsync(string? tenant, string id, IReadOnlyList<string>? types, Dictionary<string, List<NgsiAttribute>> fragment, EntityAccess access, CancellationToken ct,
        ExpiryChange? expiry = null) =>
        RunAsync(tenant, access, id, EntityRules.Merge(id, types, fragment, Now, expiry), ct);

    /// <summary>
    /// Purge Entities (5.6.21): every entity the query selects (as the caller may see and write it) is deleted, or loses
    /// the attributes not in <paramref name="keep"/> or those in <paramref name="drop"/> (expanded names). The matches are
    /// all read first, then changed in one durable commit.
    /// </summary>
    public async Task PurgeAsync(string? tenant, QueryRequest request, IReadOnlyCollection<string>? keep, IReadOnlyCollection<string>? drop,
        ITermMapper terms, EntityAccess access, CancellationToken ct)
    {
        var ids = new List<string>();
        for (string? after = null; ;)
        {
            var page = await QueryAsync(tenant, new QueryRequest
            {
                Selectors = request.Selectors, Attrs = request.Attrs, Q = request.Q, ScopeQ = request.ScopeQ, Geo = request.Geo,
                Limit = request.Limit, After = after,
            }, terms, access, ct);
            ids.AddRange(page.Entities.Select(e => e.Id));
            if (page.Next is null) break;
            after = page.Next;
        }
        if (ids.Count == 0) return;
        var rule = EntityRules.Purge(keep, drop, Now);
        var results = await MutateAsync(tenant, ids.Distinct(StringComparer.Ordinal).Select(id => Prepare(new EntityMutation(id, rule), access)).ToList(), ct);
        if (results.FirstOrDefault(r => r.Error is not null)?.Error is { } error) throw error;
    }

    /// <summary>
    /// Runs a batch: every entity on its own, all in one durable commit. Elements that could not be
    /// parsed come as errors already; the outcome lists successes and errors in the request's order.
    /// </summary>
    public async Task<BatchOutcome> BatchAsync(string? tenant, IReadOnlyList<BatchItem> items, EntityAccess access, CancellationToken ct)
    {
        var mutations = items.Where(i => i.Mutation is not null).Select(i => Prepare(i.Mutation!, access)).ToList();
        var results = mutations.Count > 0 ? await MutateAsync(tenant, mutations, ct) : [];
        var succeeded = new List<string>();
        var created = new List<string>();
        var errors = new List<BatchEntityError>();
        var next = 0;
        foreach (var item in items)
        {
            if (item.Mutation is null)
            {
                errors.Add(new BatchEntityError(item.EntityId, item.Error!));
                continue;
            }
            var result = results[next++];
            if (result.Error is { } error)
            {
                errors.Add(new BatchEntityError(result.EntityId, error as NgsiLdException ?? throw error));
                continue;
            }
            succeeded.Add(result.EntityId);
            if (result.Before is null && result.After is not null) created.Add(result.EntityId);
        }
        return new BatchOutcome(succeeded, created, errors);
    }

    private async Task RunAsync(string? tenant, EntityAccess access, string id, EntityMutator mutator, CancellationToken ct)
    {
        var results = await MutateAsync(tenant, [Prepare(new EntityMutation(id, mutator), access)], ct);
        if (results[0].Error is { } error) throw error;
    }

    /// <summary>Writes exact copies of the entities into a tenant, their timestamps as they are (a snapshot's frozen copy, 5.16).</summary>
    public async Task CopyAsync(string tenant, IReadOnlyList<Entity> entities, CancellationToken ct)
    {
        if (entities.Count == 0) return;
        var results = await MutateAsync(tenant, entities.Select(e => new EntityMutation(e.Id, _ => new MutationOutcome.Save(e.Clone()))).ToList(), ct);
        if (results.FirstOrDefault(r => r.Error is not null)?.Error is { } error) throw error;
    }

    /// <summary>Reaps one entity whose expiry is due (4.22): deleted once it expired, else its expired attribute instances removed.</summary>
    public async Task ReapAsync(string? tenant, string id, CancellationToken ct) =>
        await MutateAsync(tenant, [new EntityMutation(id, Transience.Reap(Now))], ct);

    private async Task<IReadOnlyList<MutationResult>> MutateAsync(string? tenant, IReadOnlyList<EntityMutation> mutations, CancellationToken ct)
    {
        IReadOnlyList<MutationResult> results;
        try
        {
            results = await store.MutateAsync(tenant, mutations, ct);
        }
        catch (StorageException error) when (StorageErrorMapping.ToNgsiLd(error) is { } mapped)
        {
            throw mapped;
        }
        foreach (var result in results)
        {
            if (result.Succeeded && result.After is { } after && Transience.NextExpiry(after) is { } at) Expiries.Add(tenant, after.Id, at);
        }
        return results;
    }

    /// <summary>
    /// The mutation as the store runs it: a rule's NGSI-LD error (returned or thrown) fails it, the entity it would
    /// save is held to the limits, and the caller's write grants go with it.
    /// </summary>
    private EntityMutation Prepare(EntityMutation mutation, EntityAccess access)
    {
        var rule = mutation.Apply;
        return access.Guard(mutation with
        {
            Apply = current =>
            {
                MutationOutcome outcome;
                try
                {
                    // What expired (4.22) is gone for every operation, whether or not the reaper deleted it yet.
                    outcome = rule(Transience.Live(current, Now));
                }
                catch (NgsiLdException error)
                {
                    return new MutationOutcome.Fail(error);
                }
                return outcome is MutationOutcome.Save save && _limits.Check(save.Entity.Id, save.Entity.Types, save.Entity.Attributes) is { } refusal
                    ? new MutationOutcome.Fail(refusal)
                    : outcome;
            },
        });
    }
}
