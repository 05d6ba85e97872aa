using System.Text.Json.Nodes;
using CityOS.Context.Broker.Http;
using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Core;

namespace CityOS.Context.Broker;

/// <summary>
/// An update or append fragment (5.6.2, 5.6.3): the entity types it adds (4.16, expanded; null when it names none), the scopes it
/// sets (4.18; null when it has no scope member) and its attributes.
/// </summary>
public sealed record EntityFragment(IReadOnlyList<string>? Types, IReadOnlyList<string>? Scopes, Dictionary<string, List<NgsiAttribute>> Attributes)
{
    public static EntityFragment Of(Dictionary<string, List<NgsiAttribute>> attributes) => new(null, null, attributes);

    public bool IsEmpty => Types is null && Scopes is null && Attributes.Count == 0;
}

/// <summary>The attribute payloads of the entity operations, as the NGSI-LD endpoints and the context API both read them.</summary>
public static class EntityPayload
{
    /// <summary>
    /// An update or append fragment (5.6.2, 5.6.3), which may repeat the entity's id, and may name types and scopes;
    /// <see cref="AttributeParseMode.Update"/> for an update, where the NGSI-LD null deletes, <see cref="AttributeParseMode.Strict"/> for an append.
    /// </summary>
    public static EntityFragment Fragment(JsonObject body, string entityId, ITermMapper terms, DateTimeOffset now, AttributeParseMode mode)
    {
        var types = EntityIds.FragmentTypes(body, entityId, terms);
        var scopes = body.TryGetPropertyValue("scope", out var scope) ? EntityParser.ParseScopes(scope) : null;
        return new EntityFragment(types, scopes, EntityParser.ParseAttributes(body, terms, now, mode));
    }

    /// <summary>An update fragment names at least one attribute, type or scope (5.6.2): an empty one ({} or only id, @context) is BadRequestData.</summary>
    public static void RequireContent(EntityFragment fragment)
    {
        if (fragment.IsEmpty) throw NgsiLdException.BadRequest("The update fragment is empty: give at least one attribute.");
    }

    /// <summary>A partial attribute update names at least one member of the attribute (5.6.4): {} is BadRequestData.</summary>
    public static void RequireMembers(JsonObject body)
    {
        if (!body.Any(member => member.Key != "@context"))
            throw NgsiLdException.BadRequest("The attribute fragment is empty: give at least one member of the attribute.");
    }

    /// <summary>The one attribute of a /attrs/{attrId} body: the body is the attribute itself (one instance or an array of instances).</summary>
    public static (string Name, List<NgsiAttribute> Instances) SingleAttribute(string attrId, JsonObject body, ITermMapper terms, DateTimeOffset now, AttributeParseMode mode)
    {
        var wrapped = new JsonObject { [attrId] = body.DeepClone() };
        var parsed = EntityParser.ParseAttributes(wrapped, terms, now, mode);
        var (name, instances) = parsed.Single();
        return (name, instances);
    }
}
