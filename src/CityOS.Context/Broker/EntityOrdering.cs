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
            .Select((entity, index) => (Entity: entity, Index: index, Values: expanded.Select(k => SortValue.Of(ValueOf(entity, k.Path))).ToArray()))
            .ToList();
        sorted.Sort((a, b) =>
        {
            for (var i = 0; i < expanded.Count; i++)
            {
                var c = SortValue.Compare(a.Values[i], b.Values[i], expanded[i].Descending);
                if (c != 0) return c;
            }
            return a.Index.CompareTo(b.Index);
        });
        var entities = sorted.Skip(request.Offset).Take(request.Limit).Select(s => s.Entity).ToList();
        return new QueryPage(entities, page.TotalCount);
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

    /// <summary>
    /// A member's value as it sorts, read once per entity rather than at each comparison: its rank (numbers, then strings,
    /// then booleans, then the rest) and the number, string, boolean or JSON text it compares by; null when the member is missing.
    /// </summary>
    private sealed record SortValue(int Rank, double Number, string? Text, bool Boolean)
    {
        public static SortValue? Of(JsonNode? node) => node switch
        {
            null => null,
            JsonValue v => v.GetValueKind() switch
            {
                JsonValueKind.Number => new(0, double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture), null, false),
                JsonValueKind.String => new(1, 0, v.GetValue<string>(), false),
                JsonValueKind.True or JsonValueKind.False => new(2, 0, null, v.GetValue<bool>()),
                _ => new(3, 0, v.ToJsonString(), false),
            },
            _ => new(3, 0, node.ToJsonString(), false),
        };

        /// <summary>Missing values last whatever the direction; numbers numerically, strings and the rest by ordinal comparison.</summary>
        public static int Compare(SortValue? a, SortValue? b, bool descending)
        {
            if (a is null || b is null) return a is null ? (b is null ? 0 : 1) : -1;
            var c = a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank) : a.Rank switch
            {
                0 => a.Number.CompareTo(b.Number),
                2 => a.Boolean.CompareTo(b.Boolean),
                _ => string.CompareOrdinal(a.Text, b.Text),
            };
            return descending ? -c : c;
        }
    }
}
