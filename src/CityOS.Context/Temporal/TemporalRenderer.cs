using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Context.Temporal.Storage;

namespace CityOS.Context.Temporal;

/// <summary>What one attribute of a temporal entity holds in a response: instances, or aggregated periods per datasetId.</summary>
public sealed record TemporalAttribute(string Name, IReadOnlyList<StoredInstance> Instances, IReadOnlyList<(string? DatasetId, AttributeKind Kind, IReadOnlyList<AggregatedPeriod> Periods)>? Aggregated = null,
    AttributeKind Kind = AttributeKind.Property);

/// <summary>Renders temporal entities (4.5.8 normalized, 4.5.9 temporalValues, 4.5.19 aggregated) without @context.</summary>
public static class TemporalRenderer
{
    public static JsonObject Render(TemporalEntityHead head, IReadOnlyList<TemporalAttribute> attributes, TemporalQuery query, ITermMapper terms)
    {
        var projection = query.Projection;
        var result = new JsonObject();
        if (EntityRenderer.IsMemberIncluded("id", projection)) result["id"] = head.Id;
        if (EntityRenderer.IsMemberIncluded("type", projection))
        {
            result["type"] = head.Types.Count == 1 ? JsonValue.Create(terms.CompactIri(head.Types[0])) : new JsonArray(head.Types.Select(t => (JsonNode)terms.CompactIri(t)).ToArray());
        }
        if (head.Scopes is { Count: > 0 } scopes && EntityRenderer.IsMemberIncluded("scope", projection))
        {
            result["scope"] = scopes.Count == 1 ? JsonValue.Create(scopes[0]) : new JsonArray(scopes.Select(s => (JsonNode)s).ToArray());
        }
        foreach (var attribute in attributes.Where(a => EntityRenderer.IsMemberIncluded(a.Name, projection)))
        {
            JsonNode? rendered = query.Format switch
            {
                TemporalFormat.Aggregated => Aggregated(attribute),
                TemporalFormat.TemporalValues => TemporalValues(attribute, query.Time.Property, terms),
                _ => Normalized(attribute, query.SysAttrs, terms),
            };
            if (rendered is not null) result[terms.CompactIri(attribute.Name)] = rendered;
        }
        if (query.SysAttrs)
        {
            result["createdAt"] = NgsiLdSyntax.FormatDateTime(head.CreatedAt);
            result["modifiedAt"] = NgsiLdSyntax.FormatDateTime(head.ModifiedAt);
        }
        if (head.DeletedAt is { } deletedAt) result["deletedAt"] = NgsiLdSyntax.FormatDateTime(deletedAt);
        return result;
    }

    /// <summary>The instances of an attribute; an attribute is only rendered without instances when a partial response's window left it none.</summary>
    private static JsonArray Normalized(TemporalAttribute attribute, bool sysAttrs, ITermMapper terms)
    {
        var array = new JsonArray();
        foreach (var instance in attribute.Instances)
        {
            var rendered = Instance(instance.Data, sysAttrs, terms);
            if (instance.DeletedAt is { } deletedAt) rendered["deletedAt"] = NgsiLdSyntax.FormatDateTime(deletedAt);
            rendered["instanceId"] = instance.InstanceId;
            array.Add(rendered);
        }
        return array;
    }

    private static JsonObject Instance(NgsiAttribute data, bool sysAttrs, ITermMapper terms)
    {
        var o = new JsonObject { ["type"] = NgsiLdSyntax.KindName(data.Kind) };
        if (data.Value is not null) o[NgsiLdSyntax.ValueMember(data.Kind)] = Value(data, terms);
        if (data.ObjectType is { } objectType)
        {
            o["objectType"] = objectType is JsonArray a
                ? new JsonArray(a.Select(t => (JsonNode?)(t is JsonValue v && v.TryGetValue<string>(out var s) ? terms.CompactIri(s) : t?.DeepClone())).ToArray())
                : objectType is JsonValue ov && ov.TryGetValue<string>(out var single) ? terms.CompactIri(single) : objectType.DeepClone();
        }
        if (data.DatasetId is { } datasetId) o["datasetId"] = datasetId;
        if (data.ObservedAt is { } observedAt) o["observedAt"] = NgsiLdSyntax.FormatObservedDateTime(observedAt);
        if (data.UnitCode is { } unitCode) o["unitCode"] = unitCode;
        foreach (var (name, sub) in data.SubAttributes) o[terms.CompactIri(name)] = Instance(sub, sysAttrs, terms);
        if (sysAttrs)
        {
            o["createdAt"] = NgsiLdSyntax.FormatDateTime(data.CreatedAt);
            o["modifiedAt"] = NgsiLdSyntax.FormatDateTime(data.ModifiedAt);
        }
        return o;
    }

    /// <summary>
    /// The value of a temporalValues pair (4.5.9), in the simplified form of its kind (4.5.4): a LanguageProperty's, JsonProperty's
    /// or VocabProperty's wrapped in its value member ({"languageMap": …}), a ListRelationship's as the bare list of entity ids.
    /// </summary>
    private static JsonNode? PairValue(NgsiAttribute data, ITermMapper terms)
    {
        var value = Value(data, terms);
        return data.Kind switch
        {
            AttributeKind.LanguageProperty or AttributeKind.JsonProperty or AttributeKind.VocabProperty => new JsonObject { [NgsiLdSyntax.ValueMember(data.Kind)] = value },
            AttributeKind.ListRelationship when value is JsonArray list =>
                new JsonArray(list.Select(e => e is JsonObject o && o.TryGetPropertyValue("object", out var target) ? target?.DeepClone() : e?.DeepClone()).ToArray()),
            _ => value,
        };
    }

    private static JsonNode? Value(NgsiAttribute data, ITermMapper terms)
    {
        if (NgsiLdSyntax.IsNgsiNullString(data.Value)) return NgsiLdSyntax.NullValue(data.Kind);
        if (data.Kind != AttributeKind.VocabProperty) return data.Value?.DeepClone();
        return data.Value switch
        {
            JsonValue v when v.TryGetValue<string>(out var iri) => terms.CompactVocabValue(iri),
            JsonArray a => new JsonArray(a.Select(e => (JsonNode?)(e is JsonValue ev && ev.TryGetValue<string>(out var s) ? terms.CompactVocabValue(s) : e?.DeepClone())).ToArray()),
            var other => other?.DeepClone(),
        };
    }

    /// <summary>The member holding [value, time] pairs in the simplified temporal representation (4.5.9).</summary>
    public static string ValuesMember(AttributeKind kind) => kind switch
    {
        AttributeKind.Relationship => "objects",
        AttributeKind.LanguageProperty => "languageMaps",
        AttributeKind.ListProperty => "valueLists",
        AttributeKind.ListRelationship => "objectLists",
        AttributeKind.VocabProperty => "vocabs",
        AttributeKind.JsonProperty => "jsons",
        _ => "values",
    };

    /// <summary>The time of a temporalValues pair: a client's observedAt in its own form, a system time with milliseconds.</summary>
    private static string PairTime(StoredInstance instance, TimeProperty timeProperty) =>
        timeProperty == TimeProperty.ObservedAt && instance.Data.ObservedAt is { } observedAt
            ? NgsiLdSyntax.FormatObservedDateTime(observedAt)
            : NgsiLdSyntax.FormatDateTime(instance.TimeOf(timeProperty));

    private static JsonNode? TemporalValues(TemporalAttribute attribute, TimeProperty timeProperty, ITermMapper terms)
    {
        if (attribute.Instances.Count == 0) return new JsonObject { ["type"] = NgsiLdSyntax.KindName(attribute.Kind), [ValuesMember(attribute.Kind)] = new JsonArray() };
        var groups = new List<(string? DatasetId, AttributeKind Kind, JsonArray Pairs)>();
        foreach (var instance in attribute.Instances)
        {
            var index = groups.FindIndex(g => g.DatasetId == instance.Data.DatasetId);
            if (index < 0)
            {
                groups.Add((instance.Data.DatasetId, instance.Data.Kind, new JsonArray()));
                index = groups.Count - 1;
            }
            groups[index].Pairs.Add(new JsonArray(PairValue(instance.Data, terms), PairTime(instance, timeProperty)));
        }
        return Grouped(groups.Select(g =>
        {
            var o = new JsonObject { ["type"] = NgsiLdSyntax.KindName(g.Kind), [ValuesMember(g.Kind)] = g.Pairs };
            if (g.DatasetId is not null) o["datasetId"] = g.DatasetId;
            return o;
        }).ToList());
    }

    private static JsonNode? Aggregated(TemporalAttribute attribute)
    {
        if (attribute.Aggregated is not { Count: > 0 } groups) return null;
        return Grouped(groups.Select(g =>
        {
            var o = new JsonObject { ["type"] = NgsiLdSyntax.KindName(g.Kind) };
            if (g.DatasetId is not null) o["datasetId"] = g.DatasetId;
            var methods = g.Periods.Count > 0 ? g.Periods[0].Values.Keys : [];
            foreach (var method in methods)
            {
                o[TemporalQuery.MethodName(method)] = new JsonArray(g.Periods.Select(p => (JsonNode)new JsonArray(
                    p.Values[method] is { } v ? AggregateValue(method, v) : null,
                    NgsiLdSyntax.FormatObservedDateTime(p.Start),
                    NgsiLdSyntax.FormatObservedDateTime(p.End))).ToArray());
            }
            return o;
        }).ToList());
    }

    /// <summary>
    /// An aggregated value: the counts as integers, the other methods as real numbers written with a fraction (67.0), so a
    /// client reads the same number type for every period whatever the values were.
    /// </summary>
    private static JsonValue AggregateValue(AggregationMethod method, double value)
    {
        if (method is AggregationMethod.TotalCount or AggregationMethod.DistinctCount) return JsonValue.Create((long)value);
        if (Math.Abs(value) < 1e15 && value == Math.Floor(value)) return JsonValue.Create((decimal)value + 0.0m);
        return JsonValue.Create(value);
    }

    private static JsonNode Grouped(List<JsonObject> groups) => groups.Count == 1 ? groups[0] : new JsonArray(groups.Select(g => (JsonNode)g).ToArray());
}
