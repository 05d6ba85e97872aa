using System.Text.Json.Nodes;

namespace CityOS.NgsiV2;

/// <summary>
/// Orion's syntax restrictions: ids, types, attribute and metadata names are 1 to 256 characters without whitespace,
/// control characters or any of <c>&lt;&gt;"'=;()</c> and, as they appear in URLs, <c>&amp;?/#</c>; string values
/// (also inside structured values) do not contain <c>&lt;&gt;"'=;()</c>.
/// </summary>
public static class V2Syntax
{
    public const int MaxNameLength = 256;
    private const string ForbiddenInValues = "<>\"'=;()";
    private const string ForbiddenInNames = "<>\"'=;()&?/#";

    /// <summary>Throws Orion's BadRequest for an invalid identifier ("entity id", "entity type", "attribute name", "metadata name").</summary>
    public static void CheckName(string? name, string what)
    {
        if (string.IsNullOrEmpty(name)) throw V2Exception.BadRequest($"{what} length: 0, min length supported: 1");
        if (name.Length > MaxNameLength) throw V2Exception.BadRequest($"{what} length: {name.Length}, max length supported: {MaxNameLength}");
        if (name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || ForbiddenInNames.Contains(c)))
        {
            throw V2Exception.BadRequest($"Invalid characters in {what}");
        }
    }

    /// <summary>Throws Orion's BadRequest when a string of the value (at any depth) holds a forbidden character.</summary>
    public static void CheckValue(JsonNode? value, string what = "attribute value")
    {
        switch (value)
        {
            case JsonValue v when v.TryGetValue<string>(out var s) && s.Any(c => ForbiddenInValues.Contains(c)):
                throw V2Exception.BadRequest($"Invalid characters in {what}");
            case JsonObject o:
                foreach (var (_, child) in o) CheckValue(child, what);
                break;
            case JsonArray a:
                foreach (var child in a) CheckValue(child, what);
                break;
        }
    }

    /// <summary>The comma-separated list of a query parameter (empty items dropped), or null when absent.</summary>
    public static IReadOnlyList<string>? List(string? parameter) =>
        string.IsNullOrEmpty(parameter) ? null : parameter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
