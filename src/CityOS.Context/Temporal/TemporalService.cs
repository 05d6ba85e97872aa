using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityOS.Context.Broker;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Context.Temporal.Storage;
using CityOS.Context.Access;
using CityOS.Core;
using CityOS.Core.Security;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Temporal;

/// <summary>
/// A temporal response: the rendered entities, the total count when asked, the Content-Range when instances were cut,
/// and whether more entities match than this page (limit and offset) holds.
/// </summary>
public sealed record TemporalResult(IReadOnlyList<JsonObject> Entities, long? TotalCount, string? ContentRange, bool MoreEntities = false);

/// <summary>
/// The temporal operations (5.6.11–5.6.16, 5.7.3, 5.7.4): selects entities and instances (q and geo-queries on the
/// current entity, or on the history of an entity the broker does not hold, see <see cref="TemporalMatcher"/>), aggregates,
/// cuts responses to the instance limit (a partial response names its window in Content-Range, 6.3.10),
/// and writes instances given through the temporal API.
/// </summary>
public sealed class TemporalService(ITemporalStore store, IEntityStore entities, EntityQueryBuilder queries, IOptions<TemporalOptions> options,
    IOptions<ContextOptions> contextOptions, TimeProvider time, IChangeFeed feed, IOptions<ChangeFeedOptions> feedOptions)
{
    private static readonly TimeSpan CatchUpPoll = TimeSpan.FromMilliseconds(5);
    private readonly bool _recording = feedOptions.Value.Consumers.Contains(HistoryRecorder.Consumer);

    private readonly EntityLimits _limits = new(contextOptions.Value.Limits);
    private readonly QueryBudget _budget = new(contextOptions.Value.Limits, time);

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>
    /// Waits (at most <see cref="TemporalOptions.ReadYourWritesWait"/>) until the history recorder has recorded every core
    /// write the tenant acknowledged before this call, so that a temporal request sees the history of the writes that came
    /// before it — and a temporal delete is not followed by the late record of an earlier core delete, which would bring the
    /// entity's history back. Writes that arrive meanwhile are not waited for.
    /// </summary>
    private async Task CatchUpAsync(string? tenant, CancellationToken ct)
    {
        if (!_recording || options.Value.ReadYourWritesWait <= TimeSpan.Zero) return;
        // The common case, a recorder that has caught up, costs one query.
        if (!await feed.HasPendingAsync(tenant, HistoryRecorder.Consumer, ct)) return;
        var last = await feed.LastSequenceAsync(tenant, ct);
        var deadline = time.GetUtcNow() + options.Value.ReadYourWritesWait;
        while (await feed.HasPendingUpToAsync(tenant, HistoryRecorder.Consumer, last, ct) && time.GetUtcNow() < deadline)
        {
            await Task.Delay(CatchUpPoll, time, ct);
        }
    }

    /// <summary>One entity's temporal representation, read in one snapshot of the temporal store.</summary>
    public async Task<TemporalResult> RetrieveAsync(string? tenant, string id, IReadOnlyList<string>? attrs, string? type, TemporalQuery query, ITermMapper terms, EntityAccess access, CancellationToken ct)
    {
        await CatchUpAsync(tenant, ct);
        return await store.InSnapshotAsync(tenant, () => RetrieveInSnapshotAsync(tenant, id, attrs, type, query, terms, access, ct));
    }

    private async Task<TemporalResult> RetrieveInSnapshotAsync(string? tenant, string id, IReadOnlyList<string>? attrs, string? type, TemporalQuery query, ITermMapper terms, EntityAccess access, CancellationToken ct)
    {
        var head = await store.GetEntityAsync(tenant, id, ct);
        if (head is null || !access.Permits(AccessAction.Read, head.Types, head.Id)) throw NgsiLdException.NotFound($"Entity {id} has no temporal representation.");
        if (type is not null && !TypeSelector.Parse(type).Expand(terms.ExpandTerm).Matches(head.Types))
        {
            throw NgsiLdException.NotFound($"Entity {id} of type {type} has no temporal representation.");
        }
        var expanded = attrs?.Select(terms.ExpandTerm).ToList();
        if (expanded is not null && !(await store.AttributesAsync(tenant, id, ct)).Any(expanded.Contains))
        {
            throw NgsiLdException.NotFound($"Entity {id} has no temporal representation of the attributes {string.Join(", ", attrs!)}.");
        }
        var results = new List<EntityInstances> { await ReadAsync(tenant, head, expanded, query, access, ct) };
        return Finish(results, null, query, terms);
    }

    /// <summary>A temporal query, read in one snapshot of the temporal store.</summary>
    public async Task<TemporalResult> QueryAsync(string? tenant, QueryRequest request, TemporalQuery query, ITermMapper terms, EntityAccess access, CancellationToken ct)
    {
        await CatchUpAsync(tenant, ct);
        return await _budget.RunAsync(budget => new ValueTask<TemporalResult>(store.InSnapshotAsync(tenant, () => QueryInSnapshotAsync(tenant, request, query, terms, access, budget))), ct);
    }

    private async Task<TemporalResult> QueryInSnapshotAsync(string? tenant, QueryRequest request, TemporalQuery query, ITermMapper terms, EntityAccess access, CancellationToken ct)
    {
        var attrs = request.Attrs?.Select(terms.ExpandTerm).ToList();
        var ids = request.Selectors.Count == 1 ? request.Selectors[0].Ids : null;
        var candidates = await store.FindEntitiesAsync(tenant, ids, attrs, query.Time, ct);
        var selectors = request.Selectors.Select(s => new Selector(s, terms)).ToList();
        var scope = request.ScopeQ is null ? null : ScopeQuery.Parse(request.ScopeQ);
        var current = request.Q is null && request.Geo is null ? null : new EntityMatcher(queries.Build(new QueryRequest { Q = request.Q, Geo = request.Geo }, terms, access));
        var currentExists = current is not null && await entities.TenantExistsAsync(tenant, ct);
        var restricted = !access.IsUnrestricted(AccessAction.Read);
        var matching = new List<TemporalEntityHead>();
        foreach (var head in candidates)
        {
            ct.ThrowIfCancellationRequested();
            if (!access.Permits(AccessAction.Read, head.Types, head.Id)) continue;
            if (restricted && !await HasReadableInstancesAsync(tenant, head, attrs, query.Time, access, ct)) continue;
            if (selectors.Count > 0 && !selectors.Any(s => s.Matches(head))) continue;
            if (scope is not null && !scope.Matches(head.Scopes)) continue;
            if (current is not null)
            {
                var entity = currentExists ? await entities.GetAsync(tenant, head.Id, ct) : null;
                var matches = entity is null ? await HistoryMatchesAsync(tenant, head, query, current.Matches, ct) : current.Matches(entity);
                if (!matches) continue;
            }
            matching.Add(head);
        }
        if (query.OrderByIdDescending is { } descending)
        {
            matching.Sort((a, b) => descending ? string.CompareOrdinal(b.Id, a.Id) : string.CompareOrdinal(a.Id, b.Id));
        }
        var page = matching.Skip(request.Offset).Take(request.Limit);
        var results = new List<EntityInstances>();
        foreach (var head in page)
        {
            ct.ThrowIfCancellationRequested();
            results.Add(await ReadAsync(tenant, head, attrs, query, access, ct));
        }
        return Finish(results, request.Count ? matching.Count : null, query, terms) with { MoreEntities = matching.Count > request.Offset + results.Count };
    }

    /// <summary>
    /// Whether the entity has instances in the time window of attributes the caller may read (of attrs, when given).
    /// The store's candidates match attrs and the window on every attribute; for a caller that may not read them all,
    /// this applies both to what it may read only.
    /// </summary>
    private async Task<bool> HasReadableInstancesAsync(string? tenant, TemporalEntityHead head, IReadOnlyList<string>? attrs, TimeFilter window, EntityAccess access, CancellationToken ct)
    {
        var readable = access.Readable(head.Types, head.Id, await store.AttributesAsync(tenant, head.Id, ct));
        var selected = attrs is null ? readable : readable.Where(attrs.Contains).ToList();
        return selected.Count > 0 && (await store.FindEntitiesAsync(tenant, [head.Id], selected, window, ct)).Count > 0;
    }

    /// <summary>q and geo-queries on an entity the broker does not hold: evaluated on its instances in the queried window.</summary>
    private async Task<bool> HistoryMatchesAsync(string? tenant, TemporalEntityHead head, TemporalQuery query, Func<Entity, bool> predicate, CancellationToken ct)
    {
        var slices = new List<InstanceSlice>();
        foreach (var name in await store.AttributesAsync(tenant, head.Id, ct))
        {
            slices.Add(await store.ReadInstancesAsync(tenant, head.Id, name, query.Time, options.Value.MaxInstancesPerAttribute, newestFirst: false, ct));
        }
        return TemporalMatcher.MatchesAtSomeInstant(head, slices, query.Time.Property, predicate);
    }

    /// <summary>One period longer than any stored history: the whole range aggregates as one.</summary>
    private static readonly TimeSpan WholeRange = TimeSpan.FromDays(1_000_000);

    private sealed record EntityInstances(TemporalEntityHead Head, List<TemporalAttribute> Attributes, List<InstanceSlice> Slices);

    private async Task<EntityInstances> ReadAsync(string? tenant, TemporalEntityHead head, IReadOnlyList<string>? attrs, TemporalQuery query, EntityAccess access, CancellationToken ct)
    {
        var names = access.Readable(head.Types, head.Id, await store.AttributesAsync(tenant, head.Id, ct));
        if (attrs is not null) names = names.Where(attrs.Contains).ToList();
        names = names.Where(n => EntityRenderer.IsMemberIncluded(n, query.Projection)).ToList();
        var attributes = new List<TemporalAttribute>();
        var slices = new List<InstanceSlice>();
        foreach (var name in names)
        {
            if (query.Format == TemporalFormat.Aggregated && query.Period is { Years: 0, Months: 0 })
            {
                var start = query.Time.Relation is TimeRelation.After or TimeRelation.Between
                    ? query.Time.At
                    : await store.FirstTimeAsync(tenant, head.Id, name, query.Time, ct);
                if (start is null) continue;
                var period = query.Period.IsZero ? WholeRange : TimeSpan.FromDays(query.Period.Days) + query.Period.Time;
                var sums = await store.SumPeriodsAsync(tenant, head.Id, name, query.Time, start.Value, period, query.Methods.Contains(AggregationMethod.DistinctCount), ct);
                if (sums.Count > 0) attributes.Add(new TemporalAttribute(name, [], Aggregator.FromSums(sums, start.Value, period, query)));
                continue;
            }
            if (query.Format == TemporalFormat.Aggregated)
            {
                var values = await store.ReadValuesAsync(tenant, head.Id, name, query.Time, ct);
                var groups = values.GroupBy(v => v.DatasetId)
                    .Select(g => (g.Key, g.First().Kind, Aggregator.Aggregate(g.ToList(), query)))
                    .Where(g => g.Item3.Count > 0)
                    .ToList();
                if (groups.Count > 0) attributes.Add(new TemporalAttribute(name, [], groups));
                continue;
            }
            var max = options.Value.MaxInstancesPerAttribute;
            var slice = await store.ReadInstancesAsync(tenant, head.Id, name, query.Time, Math.Min(query.LastN ?? int.MaxValue, max), newestFirst: query.LastN is not null, ct);
            if (slice.Instances.Count == 0) continue;
            // A slice cut by the client's lastN is complete; only the broker's own limit makes the response partial (206).
            slices.Add(query.LastN <= max ? slice with { Truncated = false } : slice);
        }
        return new EntityInstances(head, attributes, slices);
    }

    /// <summary>
    /// Cuts and renders. Without lastN a cut attribute ends the whole response at its last instance (every
    /// attribute then covers the same window, and the client continues with timerel=after and the range end);
    /// with lastN the response holds the most recent instances, newest first, and the range runs backwards: a cut
    /// attribute starts the window at its oldest instance. An attribute the window leaves without instances is an empty list.
    /// </summary>
    private TemporalResult Finish(List<EntityInstances> results, long? total, TemporalQuery query, ITermMapper terms)
    {
        var property = query.Time.Property;
        var truncated = results.SelectMany(r => r.Slices).Where(s => s.Truncated).ToList();
        DateTimeOffset? cut = null;
        var backwards = query.LastN is not null;
        if (truncated.Count > 0)
        {
            cut = backwards ? truncated.Max(s => s.Instances[^1].TimeOf(property)) : truncated.Min(s => s.Instances[^1].TimeOf(property));
        }
        DateTimeOffset? least = null, most = null;
        var rendered = new List<JsonObject>(results.Count);
        foreach (var result in results)
        {
            foreach (var slice in result.Slices)
            {
                var kept = cut is { } c ? slice.Instances.Where(i => backwards ? i.TimeOf(property) >= c : i.TimeOf(property) <= c).ToList() : slice.Instances;
                foreach (var instance in kept)
                {
                    var t = instance.TimeOf(property);
                    if (least is null || t < least) least = t;
                    if (most is null || t > most) most = t;
                }
                result.Attributes.Add(new TemporalAttribute(slice.Attribute, kept, Kind: slice.Instances[0].Data.Kind));
            }
            rendered.Add(TemporalRenderer.Render(result.Head, result.Attributes, query, terms));
        }
        string? range = null;
        if (truncated.Count > 0 && least is not null)
        {
            var filter = query.Time;
            if (query.LastN is { } lastN)
            {
                var start = filter.Relation switch { TimeRelation.Before => filter.At!.Value, TimeRelation.Between => filter.EndAt!.Value, _ => most!.Value };
                range = $"date-time {NgsiLdSyntax.FormatDateTime(start)}-{NgsiLdSyntax.FormatDateTime(least.Value)}/{lastN.ToString(CultureInfo.InvariantCulture)}";
            }
            else
            {
                var start = filter.Relation is TimeRelation.After or TimeRelation.Between ? filter.At!.Value : least.Value;
                range = $"date-time {NgsiLdSyntax.FormatDateTime(start)}-{NgsiLdSyntax.FormatDateTime(cut!.Value)}/*";
            }
        }
        return new TemporalResult(rendered, total, range);
    }

    /// <summary>Create or update the temporal evolution of an entity (5.6.11): true when the entity was new.</summary>
    public async Task<bool> CreateOrAppendAsync(string? tenant, string id, IReadOnlyList<string> types, IReadOnlyList<string>? scopes,
        Dictionary<string, List<NgsiAttribute>> attributes, EntityAccess access, CancellationToken ct)
    {
        if (_limits.Check(id, types, attributes) is { } refusal) throw refusal;
        await CatchUpAsync(tenant, ct);
        var existing = await store.GetEntityAsync(tenant, id, ct);
        if (existing is null) access.Require(AccessAction.Create, types, id, attributes.Keys);
        else
        {
            access.Require(AccessAction.Update, existing.Types, id, attributes.Keys);
            access.Require(AccessAction.Update, types, id, attributes.Keys);
        }
        var write = new TemporalWrite(id, types, scopes, Now, Instances(attributes));
        return await store.AppendAsync(tenant, write, ct);
    }

    /// <summary>Add attributes to the temporal representation of an existing entity (5.6.12).</summary>
    public async Task AddAttributesAsync(string? tenant, string id, Dictionary<string, List<NgsiAttribute>> attributes, EntityAccess access, CancellationToken ct)
    {
        var head = await HeadAsync(tenant, id, access, ct);
        access.Require(AccessAction.Update, head.Types, id, attributes.Keys);
        if (_limits.Check(id, head.Types, attributes) is { } refusal) throw refusal;
        await store.AppendAsync(tenant, new TemporalWrite(id, head.Types, null, Now, Instances(attributes)), ct);
    }

    private static List<(string, StoredInstance)> Instances(Dictionary<string, List<NgsiAttribute>> attributes) =>
        attributes.SelectMany(kv => kv.Value.Select(data => (kv.Key, new StoredInstance(StoredInstance.NewId(), data)))).ToList();

    public async Task DeleteEntityAsync(string? tenant, string id, EntityAccess access, CancellationToken ct)
    {
        var head = await HeadAsync(tenant, id, access, ct);
        access.Require(AccessAction.Delete, head.Types, id, []);
        if (!await store.DeleteEntityAsync(tenant, id, Now, ct)) throw NgsiLdException.NotFound($"Entity {id} has no temporal representation.");
    }

    public async Task DeleteAttributeAsync(string? tenant, string id, string attribute, string? datasetId, bool deleteAll, EntityAccess access, CancellationToken ct)
    {
        var head = await HeadAsync(tenant, id, access, ct);
        access.Require(AccessAction.Update, head.Types, id, [attribute]);
        if (await store.DeleteAttributeAsync(tenant, id, attribute, datasetId, deleteAll, ct) == 0)
        {
            throw NgsiLdException.NotFound(datasetId is null
                ? $"Entity {id} has no instances of attribute {attribute}" + (deleteAll ? "." : " without a datasetId.")
                : $"Entity {id} has no instances of attribute {attribute} with datasetId {datasetId}.");
        }
    }

    public async Task DeleteInstanceAsync(string? tenant, string id, string attribute, string instanceId, EntityAccess access, CancellationToken ct)
    {
        var head = await HeadAsync(tenant, id, access, ct);
        access.Require(AccessAction.Update, head.Types, id, [attribute]);
        if (!await store.DeleteInstanceAsync(tenant, id, attribute, instanceId, ct))
        {
            throw NgsiLdException.NotFound($"Entity {id} has no instance {instanceId} of attribute {attribute}.");
        }
    }

    public async Task ModifyInstanceAsync(string? tenant, string id, string attribute, string instanceId, NgsiAttribute replacement, EntityAccess access, CancellationToken ct)
    {
        var head = await HeadAsync(tenant, id, access, ct);
        access.Require(AccessAction.Update, head.Types, id, [attribute]);
        replacement.ModifiedAt = Now;
        if (!await store.ReplaceInstanceAsync(tenant, id, attribute, instanceId, replacement, ct))
        {
            throw NgsiLdException.NotFound($"Entity {id} has no instance {instanceId} of attribute {attribute}.");
        }
    }

    /// <summary>The stored entity of a temporal write; one the caller may not even read does not exist for it.</summary>
    private async Task<TemporalEntityHead> HeadAsync(string? tenant, string id, EntityAccess access, CancellationToken ct)
    {
        await CatchUpAsync(tenant, ct);
        var head = await store.GetEntityAsync(tenant, id, ct);
        if (head is null || !access.Permits(AccessAction.Read, head.Types, id) && !access.Permits(AccessAction.Update, head.Types, id) && !access.Permits(AccessAction.Delete, head.Types, id))
        {
            throw NgsiLdException.NotFound($"Entity {id} has no temporal representation.");
        }
        return head;
    }

    private sealed class Selector(EntitySelector selector, ITermMapper terms)
    {
        private readonly HashSet<string>? _ids = selector.Ids is null ? null : new(selector.Ids, StringComparer.Ordinal);
        private readonly Regex? _pattern = selector.IdPattern is null ? null : ClientRegex.Compile(selector.IdPattern, "idPattern");
        private readonly TypeSelector? _type = selector.Type is null ? null : TypeSelector.Parse(selector.Type).Expand(terms.ExpandTerm);

        public bool Matches(TemporalEntityHead head) =>
            (_ids is null || _ids.Contains(head.Id)) && (_pattern is null || _pattern.IsMatch(head.Id)) && (_type is null || _type.Matches(head.Types));
    }
}
