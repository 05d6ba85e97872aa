using System.Text.RegularExpressions;
using CityOS.Context.Access;
using CityOS.Context.Geo;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Core.Security;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Storage;

/// <summary>
/// Where entities live. The broker's rules (validation, merge semantics, query language) stay outside: a store
/// offers atomic read-modify-write of one entity, durable group commits, and queries given as data
/// (<see cref="EntityQuery"/>) of which it applies what it can and declares the rest (<see cref="Applies"/>).
/// </summary>
/// <remarks>
/// <para>
/// Asynchrony: every method may complete asynchronously, and a caller must not assume either way. An engine on a
/// network database (PostgreSQL) completes them asynchronously; the embedded SQLite engine completes reads
/// synchronously on the calling thread (Microsoft.Data.Sqlite's async methods are synchronous underneath, so
/// wrapping them would only cost throughput) and writes when its group commit is durable.
/// </para>
/// <para>
/// Errors: an engine throws <see cref="StorageException"/>s (<see cref="TenantNotFoundException"/>,
/// <see cref="StorageUnavailableException"/>, <see cref="StorageBusyException"/>,
/// <see cref="UnreadableDocumentException"/>) and <see cref="OperationCanceledException"/>; the errors of the
/// rules travel through <see cref="MutationOutcome.Fail"/> to <see cref="MutationResult.Error"/> untouched.
/// </para>
/// </remarks>
public interface IEntityStore
{
    /// <summary>Whether a tenant has ever been written to. <c>null</c> is the default tenant, which always exists.</summary>
    ValueTask<bool> TenantExistsAsync(string? tenant, CancellationToken ct);

    ValueTask<IReadOnlyList<string>> ListTenantsAsync(CancellationToken ct);

    /// <summary>The entity, null when absent; <see cref="TenantNotFoundException"/> for a tenant that does not exist.</summary>
    ValueTask<Entity?> GetAsync(string? tenant, string id, CancellationToken ct);

    /// <summary>
    /// The parts of this query the engine applies exactly (pushed down to its indexes), whatever the data; the
    /// rest is the residual, decided for each candidate by the filter given to <see cref="QueryAsync"/>. An engine
    /// that applies <see cref="QueryParts.Attributes"/>, <see cref="QueryParts.Q"/> or <see cref="QueryParts.Geo"/>
    /// of a query whose <see cref="EntityQuery.Readable"/> is restricted must apply them to what that scope lets the
    /// caller read (and so apply <see cref="QueryParts.Access"/> too): a condition on a hidden attribute must neither
    /// select nor exclude.
    /// </summary>
    QueryParts Applies(EntityQuery query);

    /// <summary>
    /// The page of entities (as stored, whole) that match the query, in its order, and their total when asked.
    /// Candidates that pass the applied parts are given to <paramref name="residual"/> (when the query has a
    /// residual) before ordering, offset, limit and count, so that these are exact. An engine that applies every
    /// part never calls the filter and may count and skip without reading documents; one with a residual reads
    /// documents only of candidates it must check, and only until the page is full unless a count is asked.
    /// <see cref="TenantNotFoundException"/> for a tenant that does not exist.
    /// </summary>
    ValueTask<QueryPage> QueryAsync(string? tenant, EntityQuery query, IResidualFilter? residual, CancellationToken ct);

    /// <summary>
    /// Applies each mutation atomically and independently of the others (one failing never blocks the rest), all
    /// in one durable commit: when this returns, every successful mutation survives a crash. The tenant is created
    /// by the first write that changes something.
    /// </summary>
    /// <remarks>
    /// What an engine must guarantee for each mutation: it reads the entity's committed state and holds it against
    /// concurrent writers of the same entity until its commit (SQLite's single writer; PostgreSQL
    /// <c>SELECT … FOR UPDATE</c>); it calls <see cref="EntityMutation.Decide"/> with a private copy of that state
    /// (null when absent) and writes the outcome of its last call (it may call it again on the same state, as SQLite
    /// does for the first write to a new tenant: a mutator depends only on the state it is given); Decide runs the
    /// mutator and then checks the caller's write grants
    /// (<see cref="EntityMutation.Authorization"/>) on its outcome; it writes a <see cref="MutationOutcome.Save"/> or
    /// <see cref="MutationOutcome.Delete"/> outcome with every index entry, and nothing for
    /// <see cref="MutationOutcome.Unchanged"/> or <see cref="MutationOutcome.Fail"/>, whose error it returns
    /// without looking into it. An exception thrown by the mutator is a bug of the rules: the engine fails the
    /// whole call with it.
    /// </remarks>
    ValueTask<IReadOnlyList<MutationResult>> MutateAsync(string? tenant, IReadOnlyList<EntityMutation> mutations, CancellationToken ct);

    ValueTask<IReadOnlyList<TypeSummary>> ListTypesAsync(string? tenant, CancellationToken ct);

    ValueTask<IReadOnlyList<AttributeSummary>> ListAttributesAsync(string? tenant, CancellationToken ct);

    /// <summary>
    /// The entity types in use (expanded IRIs, in ordinal order; only <paramref name="type"/> when given), each with its
    /// number of entities counted up to <paramref name="countUpTo"/>: it costs the number of types and the entries
    /// counted, never a whole type (<see cref="ListTypesAsync"/> reads every entity's types and attributes).
    /// </summary>
    ValueTask<IReadOnlyList<CityOS.Core.Context.ContextTypeCount>> CountTypesAsync(string? tenant, string? type, int countUpTo, CancellationToken ct);

    /// <summary>Whether the storage engine answers; for the readiness probe.</summary>
    ValueTask<bool> PingAsync(CancellationToken ct);
}

/// <summary>Computes the next state of one entity from its current state (null when absent).</summary>
public delegate MutationOutcome EntityMutator(Entity? current);

/// <summary>One entity's read-modify-write: the rule's mutator and the write grants it runs under.</summary>
public sealed record EntityMutation(string EntityId, EntityMutator Apply)
{
    /// <summary>The caller's write grants, as data; null when it may write everything.</summary>
    public WriteAuthorization? Authorization { get; init; }

    /// <summary>The outcome for this current state: the mutator's, or a failure when the caller may not write it.</summary>
    public MutationOutcome Decide(Entity? current) => Authorization is null ? Apply(current) : Authorization.Decide(current, Apply);
}

/// <summary>What a mutator decided. <see cref="Fail"/> carries the rule's error, which the engine hands back unread.</summary>
public abstract record MutationOutcome
{
    public sealed record Save(Entity Entity) : MutationOutcome;
    public sealed record Delete : MutationOutcome;
    public sealed record Unchanged : MutationOutcome;
    public sealed record Fail(Exception Error) : MutationOutcome;

    public static readonly MutationOutcome DeleteEntity = new Delete();
    public static readonly MutationOutcome NoChange = new Unchanged();
}

/// <summary>What a mutation did: the entity before and after (null when absent), or the rule's error.</summary>
public sealed record MutationResult(string EntityId, Entity? Before, Entity? After, Exception? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>The parts of an <see cref="EntityQuery"/>, to say which an engine applies and which are left over.</summary>
[Flags]
public enum QueryParts
{
    None = 0,

    /// <summary><see cref="EntityQuery.Entities"/>: ids, id pattern, type selector.</summary>
    Entities = 1,

    /// <summary><see cref="EntityQuery.Attributes"/>.</summary>
    Attributes = 2,

    /// <summary><see cref="EntityQuery.Q"/>.</summary>
    Q = 4,

    /// <summary><see cref="EntityQuery.Scope"/>.</summary>
    Scope = 8,

    /// <summary><see cref="EntityQuery.Geo"/>.</summary>
    Geo = 16,

    /// <summary><see cref="EntityQuery.Readable"/>: only entities the caller may read, every condition on what it may read of them.</summary>
    Access = 32,
}

/// <summary>Decides the residual of a query (the parts the engine does not apply) for one candidate, as stored.</summary>
public interface IResidualFilter
{
    bool Matches(Entity stored);
}

/// <summary>One entity selector: all given conditions hold (ids: any of them). Type names and patterns are expanded.</summary>
public sealed record EntitySelection(IReadOnlyList<string>? Ids, Regex? IdPattern, TypeSelector? Type);

/// <summary>A geo-query on one GeoProperty (its expanded IRI).</summary>
public sealed record GeoFilter(GeoQuery Query, string PropertyIri);

/// <summary>The order of a query's results.</summary>
public enum EntityOrder
{
    /// <summary>The order in which entities were created (stable for paging).</summary>
    Insertion,

    /// <summary>Nearest first: by the geodesic distance of the entity's nearest <see cref="EntityQuery.Geo"/> geometry to its reference geometry; ties in insertion order.</summary>
    Distance,
}

/// <summary>
/// A query as data, every term expanded: the entities must match any of <see cref="Entities"/> (when given),
/// hold one of <see cref="Attributes"/>, match <see cref="Q"/>, <see cref="Scope"/> and <see cref="Geo"/>, and be
/// readable under <see cref="Readable"/>, with every condition evaluated on the part of the entity the caller may
/// read (so that neither results nor counts reveal the rest).
/// </summary>
public sealed class EntityQuery
{
    public IReadOnlyList<EntitySelection> Entities { get; init; } = [];

    /// <summary>attrs: an entity holding at least one of these attributes; null for any.</summary>
    public IReadOnlyList<string>? Attributes { get; init; }

    public QExpression? Q { get; init; }

    public ScopeQuery? Scope { get; init; }

    public GeoFilter? Geo { get; init; }

    /// <summary>What the caller may read (<see cref="EntityAccess.Scope"/> of Read).</summary>
    public AccessScope Readable { get; init; } = AccessScope.Everything;

    public EntityOrder Order { get; init; }

    public int Offset { get; init; }
    public int Limit { get; init; } = 20;
    public bool Count { get; init; }

    /// <summary>
    /// A keyset cursor (<see cref="QueryPage.Next"/> of the previous page of this query): only the matches after that
    /// page, in the query's order, found through the indexes without passing over the earlier rows. Offset, limit and
    /// count apply to what follows it. Its text is the engine's own; one it did not give is an <see cref="InvalidCursorException"/>.
    /// </summary>
    public string? After { get; init; }

    /// <summary>The parts this query has.</summary>
    public QueryParts Parts =>
        (Entities.Count > 0 ? QueryParts.Entities : 0) | (Attributes is not null ? QueryParts.Attributes : 0)
        | (Q is not null ? QueryParts.Q : 0) | (Scope is not null ? QueryParts.Scope : 0) | (Geo is not null ? QueryParts.Geo : 0)
        | (Readable.Unrestricted ? 0 : QueryParts.Access);

    /// <summary>With <see cref="EntityOrder.Distance"/> from a Point: that point (lon/lat).</summary>
    public Coordinate? NearPoint => Order == EntityOrder.Distance && Geo?.Query.Geometry is Point point ? point.Coordinate : null;
}

/// <summary>A page of a query, its total when asked, and the cursor after its last entity when the page is full (null when no match follows).</summary>
public sealed record QueryPage(IReadOnlyList<Entity> Entities, long? TotalCount, string? Next = null);

public sealed record TypeSummary(string Type, long EntityCount, IReadOnlyList<AttributeUse> Attributes);

public sealed record AttributeUse(string Attribute, IReadOnlyList<AttributeKind> Kinds);

public sealed record AttributeSummary(string Attribute, long EntityCount, IReadOnlyList<string> Types, IReadOnlyList<AttributeKind> Kinds);
