using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityOS.NgsiV2;

/// <summary>orderBy: comma-separated keys (an attribute, id or type), each ascending or, with a leading '!', descending.</summary>
public static class V2Order
{
    public static List<JsonObject> Sort(List<JsonObject> entities, string orderBy)
    {
        var keys = orderBy.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(k => k.StartsWith('!') ? (Name: k[1..], Descending: true) : (Name: k, Descending: false)).ToList();
        if (keys.Count == 0) throw V2Exception.BadRequest("Empty right-hand-side for URI param /orderBy/");
        foreach (var key in keys)
        {
            if (key.Name == "geo:distance") throw new V2Exception(501, "NotImplemented", "orderBy geo:distance is not supported");
            V2Syntax.CheckName(key.Name, "attribute name");
        }
        var sorted = entities.ToList();
        sorted.Sort((a, b) =>
        {
            foreach (var (name, descending) in keys)
            {
                var order = Compare(Key(a, name), Key(b, name));
                if (order != 0) return descending ? -order : order;
            }
            return 0;
        });
        return sorted;
    }

    private static JsonNode? Key(JsonObject ld, string name) => name switch
    {
        "id" => V2Mapping.FromLdId(ld["id"]!.GetValue<string>()),
        "type" => V2Mapping.EntityType(ld),
        _ => ld[name] is JsonObject attr ? V2Mapping.ValueOf(attr) : null,
    };

    /// <summary>Missing values last; numbers before strings before the rest; each kind in its natural order.</summary>
    private static int Compare(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null) return a is null ? (b is null ? 0 : 1) : -1;
        var (ra, rb) = (Rank(a), Rank(b));
        if (ra != rb) return ra.CompareTo(rb);
        return ra switch
        {
            0 => a.GetValue<double>().CompareTo(b.GetValue<double>()),
            1 => string.CompareOrdinal(a.GetValue<string>(), b.GetValue<string>()),
            _ => string.CompareOrdinal(a.ToJsonString(), b.ToJsonString()),
        };
    }

    private static int Rank(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.Number => 0,
        JsonValueKind.String => 1,
        _ => 2,
    };
}
