using System.Text.Json.Nodes;

namespace CityOS.Core.Context;

/// <summary>
/// Reads context information (entities) for any block, without HTTP and without depending on the broker's internals.
/// Entities come back in the NGSI-LD normalized form, their names compacted under the call's @context
/// (<see cref="ContextCall.LdContext"/>); an entity or attribute the caller may not read does not exist for it.
/// Failures are <see cref="ContextException"/>s.
/// </summary>
public interface IContextReader
{
    /// <summary>One entity; <see cref="ContextErrorKind.NotFound"/> when it does not exist (or the caller may not read it).</summary>
    /// <param name="attrs">Only these attributes (short names or IRIs); null for all.</param>
    Task<JsonObject> RetrieveAsync(ContextCall call, string entityId, IReadOnlyList<string>? attrs, CancellationToken ct);

    /// <summary>One page of the entities that match <paramref name="query"/>, with the total count when asked.</summary>
    Task<ContextPage> QueryAsync(ContextCall call, ContextQuery query, CancellationToken ct);

    /// <summary>The entity types of the tenant's entities the caller may read, compacted under the call's @context.</summary>
    Task<IReadOnlyList<string>> ListTypesAsync(ContextCall call, CancellationToken ct);

    /// <summary>
    /// The entity types of the tenant's entities the caller may read (compacted under the call's @context), each with how
    /// many of those entities it has, counted up to <paramref name="countUpTo"/>: an answer whose cost does not grow with
    /// the size of a type, for a page that shows counts (a type with more is <see cref="ContextTypeCount.More"/>).
    /// </summary>
    /// <param name="type">Only this type (a short name or IRI); null for every type. A type without entities is not listed.</param>
    /// <param name="countUpTo">The highest count given (0 or more); more entities than that are only said to be more.</param>
    Task<IReadOnlyList<ContextTypeCount>> CountTypesAsync(ContextCall call, string? type, int countUpTo, CancellationToken ct);
}

/// <summary>An entity type and how many entities of it the caller may read: <see cref="Count"/>, or more than that when <see cref="More"/>.</summary>
public sealed record ContextTypeCount(string Type, long Count, bool More);

/// <summary>
/// A query of entities: every condition given must hold (the NGSI-LD query of 4.9 and 5.7.2). Names are short names
/// under the call's @context or IRIs.
/// </summary>
public sealed record ContextQuery
{
    /// <summary>An entity type selection ("Building", "Building,Shop", "(A;B)|C").</summary>
    public string? Type { get; init; }

    /// <summary>Entity ids, any of which may match.</summary>
    public IReadOnlyList<string>? Ids { get; init; }

    /// <summary>A regular expression the entity id must match.</summary>
    public string? IdPattern { get; init; }

    /// <summary>An NGSI-LD query language expression ("temperature>20;status==\"open\"").</summary>
    public string? Q { get; init; }

    /// <summary>A geo-query on a GeoProperty.</summary>
    public ContextGeoQuery? Geo { get; init; }

    /// <summary>
    /// A scope query (NGSI-LD 4.19, "/Madrid/Gardens", "/Madrid/#", "/A,/B") the entity's scope must match. Besides
    /// 4.19, the pattern "/" alone selects the entities without a scope (the root service path of NGSI-v2), e.g. "/,/A/#".
    /// </summary>
    public string? ScopeQ { get; init; }

    /// <summary>Only entities with one of these attributes, and only these attributes of them; null for all.</summary>
    public IReadOnlyList<string>? Attrs { get; init; }

    /// <summary>Page size: at most the broker's MaxLimit; null for its DefaultLimit. 0 only with <see cref="Count"/>.</summary>
    public int? Limit { get; init; }

    /// <summary>Entities to skip (in the broker's order, stable between pages).</summary>
    public int Offset { get; init; }

    /// <summary>
    /// A keyset cursor: only the entities after the page that gave it (<see cref="ContextPage.Next"/>), in the broker's
    /// order; null from the start. To read a whole selection, pass each page's Next until it is null: each page then
    /// costs only its own rows, where an <see cref="Offset"/> passes over every earlier row again. Every entity that
    /// matches from the first page to the last comes exactly once; one created, changed or deleted meanwhile at most
    /// once. <see cref="Offset"/> and <see cref="Count"/> count from the cursor. A cursor is the broker's own text,
    /// valid for the same query in the same tenant; one it did not give is refused (<see cref="ContextErrorKind.BadRequest"/>).
    /// </summary>
    public string? After { get; init; }

    /// <summary>Whether to count all matching entities (<see cref="ContextPage.TotalCount"/>).</summary>
    public bool Count { get; init; }
}

/// <summary>A geo-query (4.10): georel ("near;maxDistance==500", "within"...), a GeoJSON geometry type and its coordinates as JSON text.</summary>
public sealed record ContextGeoQuery(string Georel, string Geometry, string Coordinates, string? GeoProperty = null);

/// <summary>
/// One page of a query: the entities (normalized, compacted), when counted how many match in all, and the cursor of the
/// next page (<see cref="ContextQuery.After"/>), null when this page is the last.
/// </summary>
public sealed record ContextPage(IReadOnlyList<JsonObject> Entities, long? TotalCount, string? Next = null);
