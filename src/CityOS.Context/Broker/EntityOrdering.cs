using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Core;

namespace CityOS.Context.Broker;

/// <summary>One member of orderBy: a path (id, type, createdAt, modifiedAt, an attribute, attribute.subAttribute) and its direction.</summary>
public sealed record OrderKey(IReadOnlyList<string> Path, bool Descending);

/// <summary>
/// Ordering of query results (orderBy, 4.23 of V1.9.1): entities sort by each key in turn, an attribute by the value of its
/// default instance (or first), a path through a sub-attribute by the sub-attribute's value; numbers before strings before
/// other values, numbers numerically, strings by ordinal comparison; entities without the member come last in either direction.
/// The whole result (up to <see cref="Limit"/> entities) is sorted, then the page is cut from it.
/// </summary>
public static class EntityOrdering
{
    /// <summary>The most entities an ordered query sorts; beyond it the order holds within the first ones only.</summary>
    public const int Limit = 10_000;

    private static readonly HashSet<string> EntityMembers = new(StringComparer.Ordinal) { "id", "type", "createdAt", "modifiedAt" };
    private static readonly HashSet<string> AttributeMembers = new(StringComparer.Ordinal) { "createdAt", "modifiedAt", "observedAt", "unitCode", "datasetId" };

    public static IReadOnlyList<OrderKey> Parse(string text)
    {
        var keys = new List<OrderKey>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(';');
            var descending = parts.Length switch
            {
                1 => false,
                2 when parts[1] == "asc" => false,
                2 when parts[1] == "desc" => true,
                _ => throw NgsiLdException.BadRequest($"orderBy '{item}': a member is followed by ;asc or ;desc only."),
            };
            var path = parts[0].Split('.');
            if (path.Any(string.IsNullOrWhiteSpace) || path.Length > 2) throw NgsiLdException.BadRequest($"orderBy '{item}' is not an attribute path (name or name.subAttribute).");
            keys.Add(new OrderKey(path, descending));
        }
        return keys;
    }

    public static QueryPage Page(QueryPage page, IReadOnlyList<OrderKey> keys, QueryRequest request, ITermMapper terms)
    {
        var expanded = keys.Select(k => (Path: k.Path.Select((p, i) => i == 0 && EntityMembers.Contains(p) || i == 1 && AttributeMembers.Contains(p) ? p : terms.ExpandTerm(p)).ToList(), k.Descending)).ToList();
        var sorted = page.Entities
            .Select((entity, index) => (Entity: entity, Index: index, Values: expanded.Select(k => ValueOf(entity, k.Path)).ToList()))
            .ToList();
        sorted.Sort((a, b) =>
        {
            for (var i = 0; i < expanded.Count; i++)
            {
                var c = Compare(a.Values[i], b.Values[i], expanded[i].Descending);
                if (c != 0) return c;
            }
            return a.Index.CompareTo(b.Index);
        });
        var entities = sorted.Skip(request.Offset).Take(request.Limit).Select(s => s.Entity).ToList();
        return new QueryPage(entities, request.Count ? page.TotalCount : null);
    }

    private static JsonNode? ValueOf(Entity entity, List<string> path)
    {
        switch (path[0])
        {
            case "id" when path.Count == 1: return entity.Id;
            case "type" when path.Count == 1: return entity.Types.Count > 0 ? entity.Types[0] : null;
            case "createdAt" when path.Count == 1: return NgsiLdSyntax.FormatDateTime(entity.CreatedAt);
            case "modifiedAt" when path.Count == 1: return NgsiLdSyntax.FormatDateTime(entity.ModifiedAt);
        }
        if (!entity.Attributes.TryGetValue(path[0], out var instances) || instances.Count == 0) return null;
        var attribute = instances.Find(i => i.DatasetId is null) ?? instances[0];
        if (path.Count == 1) return attribute.Value;
        return path[1] switch
        {
            "createdAt" => NgsiLdSyntax.FormatDateTime(attribute.CreatedAt),
            "modifiedAt" => NgsiLdSyntax.FormatDateTime(attribute.ModifiedAt),
            "observedAt" => attribute.ObservedAt is { } observedAt ? NgsiLdSyntax.FormatDateTime(observedAt) : null,
            "unitCode" => attribute.UnitCode,
            "datasetId" => attribute.DatasetId,
            var sub => attribute.SubAttributes.TryGetValue(sub, out var subAttribute) ? subAttribute.Value : null,
        };
    }

    /// <summary>Missing values last whatever the direction; numbers, then strings, then booleans, then the rest (by their JSON text).</summary>
    private static int Compare(JsonNode? a, JsonNode? b, bool descending)
    {
        if (a is null || b is null) return a is null ? (b is null ? 0 : 1) : -1;
        var (rankA, rankB) = (Rank(a), Rank(b));
        var c = rankA != rankB ? rankA.CompareTo(rankB) : rankA switch
        {
            0 => Number(a).CompareTo(Number(b)),
            1 => string.CompareOrdinal(a.GetValue<string>(), b.GetValue<string>()),
            2 => a.GetValue<bool>().CompareTo(b.GetValue<bool>()),
            _ => string.CompareOrdinal(a.ToJsonString(), b.ToJsonString()),
        };
        return descending ? -c : c;
    }

    private static double Number(JsonNode node) => double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static int Rank(JsonNode node) => node is JsonValue v ? v.GetValueKind() switch
    {
        JsonValueKind.Number => 0,
        JsonValueKind.String => 1,
        JsonValueKind.True or JsonValueKind.False => 2,
        _ => 3,
    } : 3;
}
