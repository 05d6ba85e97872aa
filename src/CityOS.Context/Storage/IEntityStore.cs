using CityOS.Context.Model;
using CityOS.Core;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Storage;

/// <summary>
/// Where entities live. The broker's rules (validation, merge semantics, query language) stay
/// outside: a store offers atomic read-modify-write of one entity, durable group commits, and
/// index prefilters that narrow candidates before the exact <see cref="EntityQuery.Predicate"/>.
/// </summary>
public interface IEntityStore
{
    /// <summary>Whether a tenant has ever been written to. <c>null</c> is the default tenant, which always exists.</summary>
    ValueTask<bool> TenantExistsAsync(string? tenant, CancellationToken ct);

    ValueTask<IReadOnlyList<string>> ListTenantsAsync(CancellationToken ct);

    ValueTask<Entity?> GetAsync(string? tenant, string id, CancellationToken ct);

    ValueTask<QueryPage> QueryAsync(string? tenant, EntityQuery query, CancellationToken ct);

    /// <summary>
    /// Applies each mutation atomically and independently of the others (one failing never
    /// blocks the rest), all in one durable commit: when this returns, every successful
    /// mutation survives a crash. The tenant is created by the first write that changes something.
    /// </summary>
    ValueTask<IReadOnlyList<MutationResult>> MutateAsync(string? tenant, IReadOnlyList<EntityMutation> mutations, CancellationToken ct);

    ValueTask<IReadOnlyList<TypeSummary>> ListTypesAsync(string? tenant, CancellationToken ct);

    ValueTask<IReadOnlyList<AttributeSummary>> ListAttributesAsync(string? tenant, CancellationToken ct);

    /// <summary>Whether the storage engine answers; for the readiness probe.</summary>
    ValueTask<bool> PingAsync(CancellationToken ct);
}

/// <summary>Computes the next state of one entity from its current state (null when absent).</summary>
public delegate MutationOutcome EntityMutator(Entity? current);

public sealed record EntityMutation(string EntityId, EntityMutator Apply);

public abstract record MutationOutcome
{
    public sealed record Save(Entity Entity) : MutationOutcome;
    public sealed record Delete : MutationOutcome;
    public sealed record Unchanged : MutationOutcome;
    public sealed record Fail(NgsiLdException Error) : MutationOutcome;

    public static readonly MutationOutcome DeleteEntity = new Delete();
    public static readonly MutationOutcome NoChange = new Unchanged();
}

/// <summary>What a mutation did: the entity before and after (null when absent), or the error.</summary>
public sealed record MutationResult(string EntityId, Entity? Before, Entity? After, NgsiLdException? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// A query as the store sees it: index prefilters (any may be null) that must never exclude a
/// match, and the exact predicate that decides.
/// </summary>
public sealed class EntityQuery
{
    public IReadOnlyList<string>? Ids { get; init; }
    public IReadOnlyList<string>? TypeAnyOf { get; init; }
    public string? GeoPropertyIri { get; init; }
    public Envelope? GeoEnvelope { get; init; }
    public IReadOnlyList<ValueFilter> ValueFilters { get; init; } = [];
    public IReadOnlyList<string>? HasAnyAttribute { get; init; }
    public Func<Entity, bool>? Predicate { get; init; }

    /// <summary>Order of results; insertion order when null (stable for paging).</summary>
    public Func<Entity, double>? OrderBy { get; init; }

    /// <summary>
    /// With <see cref="OrderBy"/> the geodesic distance from this point (lon/lat): the store may order
    /// candidates whose geometry is a Point by their indexed position, and load only the page's documents.
    /// </summary>
    public Coordinate? NearPoint { get; init; }

    public int Offset { get; init; }
    public int Limit { get; init; } = 20;
    public bool Count { get; init; }
}

/// <summary>An index prefilter on the value of a top-level Property (any instance).</summary>
public sealed record ValueFilter(string AttributeIri)
{
    public double? Min { get; init; }
    public bool MinInclusive { get; init; } = true;
    public double? Max { get; init; }
    public bool MaxInclusive { get; init; } = true;
    public IReadOnlyList<double>? NumberAnyOf { get; init; }
    public IReadOnlyList<string>? TextAnyOf { get; init; }
}

public sealed record QueryPage(IReadOnlyList<Entity> Entities, long? TotalCount);

public sealed record TypeSummary(string Type, long EntityCount, IReadOnlyList<AttributeUse> Attributes);

public sealed record AttributeUse(string Attribute, IReadOnlyList<AttributeKind> Kinds);

public sealed record AttributeSummary(string Attribute, long EntityCount, IReadOnlyList<string> Types, IReadOnlyList<AttributeKind> Kinds);
