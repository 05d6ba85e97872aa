using System.Text.Json.Nodes;

namespace CityOS.Core.Context;

/// <summary>
/// Creates, changes and deletes context information (entities) for any block, with the same rules, limits, history and
/// notifications as the NGSI-LD API. Entities and attribute fragments are NGSI-LD JSON (normalized, or values the broker
/// accepts over HTTP) whose names are short names under the call's @context (<see cref="ContextCall.LdContext"/>) or
/// IRIs; they carry no @context member of their own. A write outside the caller's grants fails with
/// <see cref="ContextErrorKind.Forbidden"/> (Unauthorized for an anonymous caller) and changes nothing. Failures are
/// <see cref="ContextException"/>s; a failed single-entity operation changed nothing.
/// </summary>
public interface IContextWriter
{
    /// <summary>Creates the entity (id and type required); <see cref="ContextErrorKind.AlreadyExists"/> when its id is taken.</summary>
    Task CreateAsync(ContextCall call, JsonObject entity, CancellationToken ct);

    /// <summary>Replaces the whole entity of that id (5.6.18); <see cref="ContextErrorKind.NotFound"/> when there is none.</summary>
    Task ReplaceAsync(ContextCall call, JsonObject entity, CancellationToken ct);

    /// <summary>Updates attributes the entity has (5.6.2); the others are reported as not updated.</summary>
    Task<ContextUpdateResult> UpdateAttributesAsync(ContextCall call, string entityId, JsonObject attributes, CancellationToken ct);

    /// <summary>Adds attributes to the entity (5.6.3), overwriting existing ones unless <paramref name="noOverwrite"/>.</summary>
    Task<ContextUpdateResult> AppendAttributesAsync(ContextCall call, string entityId, JsonObject attributes, bool noOverwrite, CancellationToken ct);

    /// <summary>Changes some members of one attribute (5.6.4), e.g. <c>{"value": 3}</c>.</summary>
    Task PartialAttributeUpdateAsync(ContextCall call, string entityId, string attribute, JsonObject fragment, CancellationToken ct);

    Task DeleteEntityAsync(ContextCall call, string entityId, CancellationToken ct);

    /// <summary>Deletes one attribute (its default instance, the one of <paramref name="datasetId"/>, or every instance).</summary>
    Task DeleteAttributeAsync(ContextCall call, string entityId, string attribute, string? datasetId, bool deleteAll, CancellationToken ct);

    /// <summary>Creates the entities in one durable commit, each on its own (5.6.7).</summary>
    Task<ContextBatchResult> CreateBatchAsync(ContextCall call, IReadOnlyList<JsonObject> entities, CancellationToken ct);

    /// <summary>Creates the entities that do not exist and replaces (or, with <paramref name="update"/>, updates) those that do (5.6.8).</summary>
    Task<ContextBatchResult> UpsertBatchAsync(ContextCall call, IReadOnlyList<JsonObject> entities, bool update, CancellationToken ct);

    /// <summary>Deletes the entities of these ids, each on its own (5.6.10).</summary>
    Task<ContextBatchResult> DeleteBatchAsync(ContextCall call, IReadOnlyList<string> entityIds, CancellationToken ct);
}

/// <summary>The outcome of an attribute update or append: the attributes changed and those left as they were, with why.</summary>
public sealed record ContextUpdateResult(IReadOnlyList<string> Updated, IReadOnlyList<ContextNotUpdated> NotUpdated);

/// <summary>An attribute an update did not change (compacted name) and the reason.</summary>
public sealed record ContextNotUpdated(string Attribute, string Reason);

/// <summary>The outcome of a batch, in the order of its elements: the ids that succeeded (those created among them) and the errors per entity.</summary>
public sealed record ContextBatchResult(IReadOnlyList<string> Succeeded, IReadOnlyList<string> Created, IReadOnlyList<ContextBatchError> Errors);

/// <summary>Why one entity of a batch failed; the others were not affected.</summary>
public sealed record ContextBatchError(string EntityId, ContextError Error);
