using System.Text.Json.Nodes;
using CityOS.Context.Broker.Http;
using CityOS.Context.JsonLd;
using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Security;

namespace CityOS.Context.Broker;

/// <summary>The batch operations of 5.6.7 to 5.6.10 and 5.6.20.</summary>
public enum BatchKind { Create, Upsert, Update, Delete, Merge }

/// <summary>
/// Turns the elements of a batch (entities, or entity ids for delete) into the <see cref="BatchItem"/>s the broker runs:
/// an element that cannot be parsed becomes that element's error, the others go on. Shared by the NGSI-LD batch
/// endpoints and the context API.
/// </summary>
public static class BatchRequest
{
    /// <summary>The actions a caller needs some grant for to run a batch of this kind at all.</summary>
    public static AccessAction[] Actions(BatchKind kind) => kind switch
    {
        BatchKind.Create => [AccessAction.Create],
        BatchKind.Upsert => [AccessAction.Create, AccessAction.Update],
        BatchKind.Delete => [AccessAction.Delete],
        _ => [AccessAction.Update],
    };

    /// <param name="elements">Each element with the @context it is read under, or the error it was refused with already.</param>
    /// <param name="options">The options parameter: "update" (upsert updates), "noOverwrite" (update keeps existing attributes).</param>
    public static List<BatchItem> Items(BatchKind kind, IReadOnlyList<(JsonNode? Element, LdContext? Terms, NgsiLdException? Error)> elements,
        IReadOnlySet<string> options, DateTimeOffset now)
    {
        var batch = new List<BatchItem>(elements.Count);
        foreach (var (element, terms, error) in elements)
        {
            var id = ElementId(element);
            if (error is not null)
            {
                batch.Add(new BatchItem(id, null, error));
                continue;
            }
            try
            {
                batch.Add(new BatchItem(id, kind switch
                {
                    BatchKind.Delete => DeleteMutation(element!),
                    BatchKind.Merge => MergeMutation(EntityObject(element), terms!, now),
                    _ => EntityMutationFor(kind, EntityParser.ParseEntity(EntityObject(element), terms!, now), options, now),
                }, null));
            }
            catch (NgsiLdException parseError)
            {
                batch.Add(new BatchItem(id, null, parseError));
            }
        }
        return batch;
    }

    private static JsonObject EntityObject(JsonNode? element) =>
        element as JsonObject ?? throw NgsiLdException.BadRequest("Each element of this batch must be an entity object.");

    private static EntityMutation EntityMutationFor(BatchKind kind, Entity entity, IReadOnlySet<string> options, DateTimeOffset now) => kind switch
    {
        BatchKind.Create => new(entity.Id, EntityRules.Create(entity, now)),
        BatchKind.Upsert => new(entity.Id, EntityRules.Upsert(entity, options.Contains("update"), now)),
        _ => new(entity.Id, EntityRules.BatchUpdate(entity, options.Contains("noOverwrite"), now)),
    };

    private static EntityMutation DeleteMutation(JsonNode element)
    {
        var id = element is JsonValue v && v.TryGetValue<string>(out var text) ? text : ElementId(element);
        EntityIds.Validate(id);
        return new EntityMutation(id, EntityRules.Delete(id));
    }

    private static EntityMutation MergeMutation(JsonObject element, ITermMapper terms, DateTimeOffset now)
    {
        var id = ElementId(element);
        EntityIds.Validate(id);
        var types = EntityIds.FragmentTypes(element, id, terms);
        var fragment = EntityParser.ParseAttributes(element, terms, now, AttributeParseMode.Patch);
        return new EntityMutation(id, EntityRules.Merge(id, types, fragment, now, EntityParser.ParseExpiryChange(element)));
    }

    private static string ElementId(JsonNode? element) =>
        element is JsonObject obj && obj["id"] is JsonValue id && id.TryGetValue<string>(out var text) ? text
        : element is JsonValue value && value.TryGetValue<string>(out var bare) ? bare
        : "";
}
