using System.Text.Json.Nodes;

namespace CityOS.NgsiV2;

/// <summary>How entities leave: normalized, keyValues or values, with the attrs selection in its order.</summary>
public sealed record V2Rendering(bool KeyValues, bool Values, bool Unique, IReadOnlyList<string>? Attrs)
{
    public static V2Rendering Of(HashSet<string> options, IReadOnlyList<string>? attrs) => new(
        options.Contains("keyValues"), options.Contains("values") || options.Contains("unique"), options.Contains("unique"),
        attrs is null || attrs.Contains("*") ? null : attrs);

    /// <summary>One entity (NGSI-LD form) as v2 JSON.</summary>
    public JsonNode Entity(JsonObject ld, bool withIdAndType = true)
    {
        var v2 = V2Mapping.FromLdEntity(ld);
        var names = Attrs is null ? v2.Select(p => p.Key).Where(k => k is not ("id" or "type")).ToList() : Attrs.Where(n => n is not ("id" or "type") && v2.ContainsKey(n)).ToList();
        if (Values) return new JsonArray([.. names.Select(n => v2[n]!["value"]?.DeepClone())]);
        var result = new JsonObject();
        if (withIdAndType)
        {
            result["id"] = v2["id"]!.DeepClone();
            result["type"] = v2["type"]!.DeepClone();
        }
        foreach (var name in names) result[name] = KeyValues ? v2[name]!["value"]?.DeepClone() : v2[name]!.DeepClone();
        return result;
    }

    public JsonArray Entities(IEnumerable<JsonObject> ld)
    {
        var rendered = ld.Select(e => Entity(e)).ToList();
        if (Unique) rendered = rendered.DistinctBy(r => r.ToJsonString()).ToList();
        return new JsonArray([.. rendered]);
    }
}
