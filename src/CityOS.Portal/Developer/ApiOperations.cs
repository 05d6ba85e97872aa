using System.Text.Json.Nodes;

namespace CityOS.Portal.Developer;

/// <summary>One operation of the OpenAPI document.</summary>
public sealed record ApiOperation(string Method, string Path, string Summary, string Tag);

/// <summary>The operations of an OpenAPI document, and the search of the API list.</summary>
public static class ApiOperations
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    public static IReadOnlyList<ApiOperation> Of(JsonObject document)
    {
        var list = new List<ApiOperation>();
        if (document["paths"] is not JsonObject paths) return list;
        foreach (var (path, item) in paths)
        {
            if (item is not JsonObject operations) continue;
            foreach (var method in Methods)
            {
                if (operations[method] is not JsonObject operation) continue;
                var tag = operation["tags"] is JsonArray { Count: > 0 } tags ? tags[0]?.ToString() ?? "" : "";
                list.Add(new ApiOperation(method.ToUpperInvariant(), path, operation["summary"]?.ToString() ?? "", tag));
            }
        }
        return list;
    }

    /// <summary>The operations whose path, summary or tag contain every word of <paramref name="search"/> (any case).</summary>
    public static IEnumerable<ApiOperation> Matching(IEnumerable<ApiOperation> operations, string? search)
    {
        var words = (search ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return operations.Where(o => words.All(w => $"{o.Method} {o.Path} {o.Summary} {o.Tag}".Contains(w, StringComparison.OrdinalIgnoreCase)));
    }
}
