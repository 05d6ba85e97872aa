using System.Text.Json.Nodes;
using CityOS.Context.Model;
using Microsoft.AspNetCore.Http;

namespace CityOS.Context.Representation;

/// <summary>
/// Renders expanded entities into the representations of 4.5 (normalized, concise, simplified) and
/// the GeoJSON representation of 4.5.16, without @context: the caller adds it or the Link header.
/// On the retrieval hot path: one pass over the entity, no intermediate collections, values cloned once.
/// </summary>
public static class EntityRenderer
{
    public static JsonObject Render(Entity entity, RenderOptions options, ITermMapper terms)
    {
        var result = new JsonObject();
        RenderInto(result, entity, options, terms, includeId: true, inlining: null);
        return result;
    }

    /// <summary>
    /// The entities asked for with their linked entities (4.5.23): with join=inline each one with the entities its relationships
    /// point to inside them, with join=flat the entities and then every linked entity once (in the order they are reached);
    /// without join just the entities. <paramref name="linked"/> holds the linked entities the caller may see, by id.
    /// </summary>
    public static List<JsonObject> RenderAll(IReadOnlyList<Entity> entities, RenderOptions options, ITermMapper terms, IReadOnlyDictionary<string, Entity> linked)
    {
        var rendered = new List<JsonObject>(entities.Count);
        if (options.Join == JoinMode.Inline)
        {
            foreach (var entity in entities)
            {
                var result = new JsonObject();
                RenderInto(result, entity, options, terms, includeId: true, new Inlining(linked, options.JoinLevel, [entity.Id]));
                rendered.Add(result);
            }
            return rendered;
        }
        foreach (var entity in entities)
        {
            rendered.Add(Render(entity, options, terms));
        }
        if (options.Join == JoinMode.Flat)
        {
            var listed = new HashSet<string>(entities.Select(e => e.Id), StringComparer.Ordinal);
            foreach (var (entity, entityOptions, _) in Walk(entities, options, linked))
            {
                if (listed.Add(entity.Id))
                {
                    rendered.Add(Render(entity, entityOptions, terms));
                }
            }
        }
        return rendered;
    }

    /// <summary>
    /// The linked entities reached from <paramref name="entities"/> breadth first, up to joinLevel hops, each with the options it is
    /// rendered with and its number of hops; <paramref name="linked"/> resolves ids, and ids it does not know (or in containedBy) are not followed.
    /// </summary>
    public static IEnumerable<(Entity Entity, RenderOptions Options, int Hops)> Walk(IEnumerable<Entity> entities, RenderOptions options, IReadOnlyDictionary<string, Entity> linked)
    {
        var frontier = entities.Select(e => (Entity: e, Options: options)).ToList();
        var seen = new HashSet<(string, RenderOptions)>(frontier.Select(f => (f.Entity.Id, f.Options)));
        for (var level = 0; level < options.JoinLevel && frontier.Count > 0; level++)
        {
            var next = new List<(Entity, RenderOptions)>();
            foreach (var (entity, entityOptions) in frontier)
            {
                foreach (var (relationship, target) in LinkedIds(entity, entityOptions))
                {
                    if (options.ContainedBy?.Contains(target) == true || !linked.TryGetValue(target, out var found))
                    {
                        continue;
                    }
                    var targetOptions = entityOptions.ForLinked(relationship);
                    if (seen.Add((target, targetOptions)))
                    {
                        next.Add((found, targetOptions));
                        yield return (found, targetOptions, level + 1);
                    }
                }
            }
            frontier = next;
        }
    }

    /// <summary>The ids the rendered relationships of an entity point to (Relationship objects and ListRelationship objectLists), with the relationship's name.</summary>
    public static IEnumerable<(string Relationship, string Target)> LinkedIds(Entity entity, RenderOptions options)
    {
        foreach (var (name, instances) in entity.Attributes)
        {
            if ((options.Attrs is { } attrs && !attrs.Contains(name)) || !IsMemberIncluded(name, options))
            {
                continue;
            }
            foreach (var instance in instances)
            {
                if (options.DatasetIds is { } wanted && !wanted.Contains(instance.DatasetId ?? NgsiLdSyntax.NoneKey))
                {
                    continue;
                }
                foreach (var target in Targets(instance))
                {
                    yield return (name, target);
                }
            }
        }
    }

    private static IEnumerable<string> Targets(NgsiAttribute attribute)
    {
        if (attribute.Kind is not (AttributeKind.Relationship or AttributeKind.ListRelationship))
        {
            yield break;
        }
        var values = attribute.Value is JsonArray array ? (IEnumerable<JsonNode?>)array : [attribute.Value];
        foreach (var value in values)
        {
            var target = value is JsonObject o && o.TryGetPropertyValue("object", out var inner) ? inner : value;
            if (target is JsonValue v && v.TryGetValue<string>(out var id))
            {
                yield return id;
            }
        }
    }

    /// <summary>Inlining linked entities (join=inline): the entities by id, the hops left, and the ids on the path so far (never inlined again).</summary>
    private sealed record Inlining(IReadOnlyDictionary<string, Entity> Linked, int HopsLeft, IReadOnlyList<string> Path)
    {
        public JsonNode? Inline(string relationship, string target, RenderOptions options, ITermMapper terms)
        {
            if (HopsLeft <= 0 || options.ContainedBy?.Contains(target) == true || Path.Contains(target) || !Linked.TryGetValue(target, out var entity))
            {
                return null;
            }
            var result = new JsonObject();
            RenderInto(result, entity, options.ForLinked(relationship), terms, includeId: true, this with { HopsLeft = HopsLeft - 1, Path = [.. Path, target] });
            return result;
        }

        /// <summary>The linked entities of a relationship instance: one for a Relationship with one object, an array otherwise; null when none is found.</summary>
        public JsonNode? InlineAll(string relationship, NgsiAttribute attribute, RenderOptions options, ITermMapper terms)
        {
            var many = attribute.Kind == AttributeKind.ListRelationship || attribute.Value is JsonArray;
            JsonArray? list = null;
            foreach (var target in Targets(attribute))
            {
                if (Inline(relationship, target, options, terms) is not { } entity)
                {
                    continue;
                }
                if (!many)
                {
                    return entity;
                }
                (list ??= []).Add(entity);
            }
            return list;
        }
    }

    /// <summary>A GeoJSON Feature: the entity id, its geometry from <paramref name="geometryPropertyIri"/> (null when absent) and its other members as properties.</summary>
    public static JsonObject RenderFeature(Entity entity, RenderOptions options, string geometryPropertyIri, ITermMapper terms)
    {
        var feature = new JsonObject();
        if (IsMemberIncluded("id", options))
        {
            feature["id"] = entity.Id;
        }
        feature["type"] = "Feature";
        feature["geometry"] = Geometry(entity, geometryPropertyIri);
        var properties = new JsonObject();
        RenderInto(properties, entity, options, terms, includeId: false, inlining: null);
        feature["properties"] = properties;
        return feature;
    }

    public static JsonObject RenderFeatureCollection(IEnumerable<Entity> entities, RenderOptions options, string geometryPropertyIri, ITermMapper terms)
    {
        var features = new JsonArray();
        foreach (var entity in entities)
        {
            features.Add(RenderFeature(entity, options, geometryPropertyIri, terms));
        }
        return new JsonObject { ["type"] = "FeatureCollection", ["features"] = features };
    }

    /// <summary>Reads format, options, attrs, pick, omit, lang, datasetId and geometryProperty from the query string.</summary>
    public static RenderOptions ParseOptions(IQueryCollection query, ITermMapper terms) => RenderOptionsParser.Parse(query, terms);

    private static void RenderInto(JsonObject target, Entity entity, RenderOptions options, ITermMapper terms, bool includeId, Inlining? inlining)
    {
        if (includeId && IsMemberIncluded("id", options))
        {
            target["id"] = entity.Id;
        }
        if (IsMemberIncluded("type", options))
        {
            target["type"] = Types(entity.Types, terms);
        }
        if (entity.Scopes is { Count: > 0 } scopes && IsMemberIncluded("scope", options))
        {
            target["scope"] = scopes.Count == 1 ? JsonValue.Create(scopes[0]) : StringArray(scopes);
        }
        foreach (var (name, instances) in entity.Attributes)
        {
            if ((options.Attrs is { } attrs && !attrs.Contains(name)) || !IsMemberIncluded(name, options))
            {
                continue;
            }
            if (RenderAttribute(name, instances, options, terms, inlining) is { } rendered)
            {
                target[terms.CompactIri(name)] = rendered;
            }
        }
        if (options.SysAttrs)
        {
            target["createdAt"] = NgsiLdSyntax.FormatDateTime(entity.CreatedAt);
            target["modifiedAt"] = NgsiLdSyntax.FormatDateTime(entity.ModifiedAt);
            // expiresAt is a system attribute too (6.3.11): shown with sysAttrs only.
            if (entity.ExpiresAt is { } expiresAt) target["expiresAt"] = NgsiLdSyntax.FormatObservedDateTime(expiresAt);
        }
    }

    /// <summary>Whether pick and omit (4.21, 4.22) keep an entity member: "id", "type", "scope" or an expanded attribute name.</summary>
    internal static bool IsMemberIncluded(string name, RenderOptions options) =>
        (options.Pick is null || options.Pick.Contains(name)) && (options.Omit is null || !options.Omit.Contains(name));

    private static JsonNode Types(List<string> types, ITermMapper terms)
    {
        if (types.Count == 1)
        {
            return JsonValue.Create(terms.CompactIri(types[0]));
        }
        var array = new JsonArray();
        foreach (var type in types)
        {
            array.Add(terms.CompactIri(type));
        }
        return array;
    }

    private static JsonArray StringArray(List<string> values)
    {
        var array = new JsonArray();
        foreach (var value in values)
        {
            array.Add(value);
        }
        return array;
    }

    /// <summary>
    /// One instance renders as itself; several (datasetIds, 4.5.5) as an array, whose concise members keep
    /// their object form so that the array cannot be read as a Property value. Null when the datasetId filter leaves none.
    /// </summary>
    private static JsonNode? RenderAttribute(string name, List<NgsiAttribute> instances, RenderOptions options, ITermMapper terms, Inlining? inlining)
    {
        var wanted = options.DatasetIds;
        var count = instances.Count;
        if (wanted is not null)
        {
            count = 0;
            foreach (var instance in instances)
            {
                if (wanted.Contains(instance.DatasetId ?? NgsiLdSyntax.NoneKey))
                {
                    count++;
                }
            }
        }
        if (count == 0)
        {
            return null;
        }
        // 4.5.4: the simplified representation of several instances is a "dataset" map from datasetId ("@none" for the default) to each value.
        var simplified = options.Format == RepresentationFormat.Simplified;
        JsonArray? many = count > 1 && !simplified ? new JsonArray() : null;
        JsonObject? dataset = count > 1 && simplified ? new JsonObject() : null;
        foreach (var instance in instances)
        {
            if (wanted is not null && !wanted.Contains(instance.DatasetId ?? NgsiLdSyntax.NoneKey))
            {
                continue;
            }
            var linked = inlining?.InlineAll(name, instance, options, terms);
            var rendered = linked is not null && options.Format == RepresentationFormat.Simplified
                ? linked
                : RenderInstance(instance, options, terms, bareValueAllowed: many is null);
            if (linked is not null && rendered is JsonObject relationship && !ReferenceEquals(rendered, linked))
            {
                relationship[instance.Kind == AttributeKind.ListRelationship ? "entityList" : "entity"] = linked;
            }
            if (dataset is not null)
            {
                dataset[instance.DatasetId ?? NgsiLdSyntax.NoneKey] = rendered;
                continue;
            }
            if (many is null)
            {
                return rendered;
            }
            many.Add(rendered);
        }
        return dataset is not null ? new JsonObject { ["dataset"] = dataset } : many;
    }

    private static JsonNode? RenderInstance(NgsiAttribute attribute, RenderOptions options, ITermMapper terms, bool bareValueAllowed)
    {
        if (options.Format == RepresentationFormat.Simplified)
        {
            return SimplifiedValue(attribute, options, terms);
        }
        var concise = options.Format == RepresentationFormat.Concise;
        var o = new JsonObject();
        var kind = attribute.Kind;
        string? chosenLanguage = null;
        JsonNode? value;
        if (kind == AttributeKind.LanguageProperty && options.Languages is { } languages && attribute.Value is JsonObject map)
        {
            kind = AttributeKind.Property;
            value = SelectLanguage(map, languages, out chosenLanguage);
        }
        else
        {
            value = RenderValue(attribute, terms);
        }
        if (!concise)
        {
            o["type"] = NgsiLdSyntax.KindName(kind);
        }
        if (value is not null)
        {
            o[NgsiLdSyntax.ValueMember(kind)] = value;
        }
        if (chosenLanguage is not null)
        {
            o["lang"] = chosenLanguage;
        }
        if (attribute.ObjectType is { } objectType)
        {
            o["objectType"] = CompactNames(objectType, terms);
        }
        if (attribute.DatasetId is { } datasetId)
        {
            o["datasetId"] = datasetId;
        }
        if (attribute.ObservedAt is { } observedAt)
        {
            o["observedAt"] = NgsiLdSyntax.FormatObservedDateTime(observedAt, attribute.ObservedAtFraction);
        }
        if (attribute.UnitCode is { } unitCode)
        {
            o["unitCode"] = unitCode;
        }
        foreach (var (name, sub) in attribute.SubAttributes)
        {
            o[terms.CompactIri(name)] = RenderInstance(sub, options, terms, bareValueAllowed: true);
        }
        if (options.SysAttrs)
        {
            o["createdAt"] = NgsiLdSyntax.FormatDateTime(attribute.CreatedAt);
            o["modifiedAt"] = NgsiLdSyntax.FormatDateTime(attribute.ModifiedAt);
            if (attribute.ExpiresAt is { } expiresAt) o["expiresAt"] = NgsiLdSyntax.FormatObservedDateTime(expiresAt);
        }
        if (concise && bareValueAllowed && o.Count == 1 && value is not null && CanStandAlone(kind, value))
        {
            o.Remove(NgsiLdSyntax.ValueMember(kind));
            return value;
        }
        return o;
    }

    /// <summary>
    /// Whether a concise attribute may be written as its bare value and still be read back as the same
    /// kind: a Property whose value is not an object (an object could be mistaken for an attribute) and
    /// not an array of objects (mistaken for datasetId instances); a GeoProperty, whose bare geometry is inferred.
    /// </summary>
    private static bool CanStandAlone(AttributeKind kind, JsonNode value)
    {
        if (kind == AttributeKind.GeoProperty)
        {
            return true;
        }
        if (kind != AttributeKind.Property || value is JsonObject)
        {
            return false;
        }
        if (value is JsonArray array && array.Count > 0)
        {
            foreach (var element in array)
            {
                if (element is not JsonObject)
                {
                    return true;
                }
            }
            return false;
        }
        return true;
    }

    /// <summary>The value member of one instance as the normalized form writes it (vocab values compacted), e.g. for a previous value.</summary>
    public static JsonNode? RenderValueOf(NgsiAttribute attribute, ITermMapper terms) => RenderValue(attribute, terms);

    private static JsonNode? RenderValue(NgsiAttribute attribute, ITermMapper terms) => attribute.Kind == AttributeKind.VocabProperty
        ? CompactVocab(attribute.Value, terms)
        : attribute.Value?.DeepClone();

    private static JsonNode? SimplifiedValue(NgsiAttribute attribute, RenderOptions options, ITermMapper terms)
    {
        switch (attribute.Kind)
        {
            case AttributeKind.LanguageProperty when options.Languages is { } languages && attribute.Value is JsonObject map:
                return SelectLanguage(map, languages, out _);
            // 4.5.4: a LanguageProperty, JsonProperty or VocabProperty keeps its value member's name ({"languageMap": …}),
            // so that its value cannot be read as a Property's.
            case AttributeKind.LanguageProperty or AttributeKind.JsonProperty or AttributeKind.VocabProperty:
                return new JsonObject { [NgsiLdSyntax.ValueMember(attribute.Kind)] = RenderValue(attribute, terms) };
            case AttributeKind.ListRelationship when attribute.Value is JsonArray list:
                var objects = new JsonArray();
                foreach (var element in list)
                {
                    objects.Add(element is JsonObject o && o.TryGetPropertyValue("object", out var target) ? target?.DeepClone() : element?.DeepClone());
                }
                return objects;
            default:
                return RenderValue(attribute, terms);
        }
    }

    private static JsonNode? CompactVocab(JsonNode? vocab, ITermMapper terms)
    {
        switch (vocab)
        {
            case JsonValue v when v.TryGetValue<string>(out var iri):
                return JsonValue.Create(terms.CompactVocabValue(iri));
            case JsonArray a:
                var compacted = new JsonArray();
                foreach (var element in a)
                {
                    compacted.Add(element is JsonValue ev && ev.TryGetValue<string>(out var e) ? terms.CompactVocabValue(e) : element?.DeepClone());
                }
                return compacted;
            default:
                return vocab?.DeepClone();
        }
    }

    private static JsonNode CompactNames(JsonNode names, ITermMapper terms)
    {
        if (names is JsonValue v && v.TryGetValue<string>(out var iri))
        {
            return JsonValue.Create(terms.CompactIri(iri));
        }
        if (names is JsonArray a)
        {
            var compacted = new JsonArray();
            foreach (var element in a)
            {
                compacted.Add(element is JsonValue ev && ev.TryGetValue<string>(out var e) ? terms.CompactIri(e) : element?.DeepClone());
            }
            return compacted;
        }
        return names.DeepClone();
    }

    /// <summary>
    /// The languageMap entry best matching the preferred ranges (4.15): an exact tag, then the same primary
    /// language ("en" for "en-GB" and back); "*" takes the first entry. With no match the "@none" entry, else
    /// the first, so the client always gets a string.
    /// </summary>
    private static JsonNode? SelectLanguage(JsonObject map, string[] languages, out string chosen)
    {
        foreach (var range in languages)
        {
            if (range == "*")
            {
                return First(map, out chosen);
            }
            foreach (var (tag, text) in map)
            {
                if (string.Equals(tag, range, StringComparison.OrdinalIgnoreCase))
                {
                    chosen = tag;
                    return text?.DeepClone();
                }
            }
            var primary = PrimarySubtag(range);
            foreach (var (tag, text) in map)
            {
                if (primary.Equals(PrimarySubtag(tag), StringComparison.OrdinalIgnoreCase))
                {
                    chosen = tag;
                    return text?.DeepClone();
                }
            }
        }
        if (map.TryGetPropertyValue(NgsiLdSyntax.NoneKey, out var fallback))
        {
            chosen = NgsiLdSyntax.NoneKey;
            return fallback?.DeepClone();
        }
        return First(map, out chosen);
    }

    private static JsonNode? First(JsonObject map, out string chosen)
    {
        foreach (var (tag, text) in map)
        {
            chosen = tag;
            return text?.DeepClone();
        }
        chosen = NgsiLdSyntax.NoneKey;
        return null;
    }

    private static ReadOnlySpan<char> PrimarySubtag(string tag)
    {
        var hyphen = tag.IndexOf('-');
        return hyphen < 0 ? tag : tag.AsSpan(0, hyphen);
    }

    /// <summary>The geometry of a Feature: the default instance of the GeoProperty (else its first one), null when the entity has none.</summary>
    private static JsonNode? Geometry(Entity entity, string geometryPropertyIri)
    {
        if (!entity.Attributes.TryGetValue(geometryPropertyIri, out var instances) || instances.Count == 0)
        {
            return null;
        }
        var chosen = instances[0];
        foreach (var instance in instances)
        {
            if (instance.DatasetId is null)
            {
                chosen = instance;
                break;
            }
        }
        return chosen.Kind == AttributeKind.GeoProperty ? chosen.Value?.DeepClone() : null;
    }
}
