using System.Text;

namespace CityOS.Robustness.Tests;

/// <summary>Building blocks of hostile request bodies, written as text so that they can be what no serializer would write.</summary>
public static class Hostile
{
    public static string NestedArray(int depth) => new string('[', depth) + "1" + new string(']', depth);

    public static string NestedObject(int depth) => string.Concat(Enumerable.Repeat("{\"a\": ", depth)) + "1" + new string('}', depth);

    public static string Property(string valueJson) => $$$$"""{"type": "Property", "value": {{{{valueJson}}}}}""";

    public static string Entity(string id, string type, string attributesJson = "") =>
        $"{{\"id\": \"{id}\", \"type\": \"{type}\"{(attributesJson.Length > 0 ? ", " + attributesJson : "")}}}";

    /// <summary>A GeoJSON LineString of <paramref name="points"/> distinct points around Tokyo (about 18 bytes a point).</summary>
    public static string LineString(int points) => $"{{\"type\": \"LineString\", \"coordinates\": {Coordinates(points)}}}";

    public static string Coordinates(int points)
    {
        var text = new StringBuilder(points * 20 + 2).Append('[');
        for (var i = 0; i < points; i++)
        {
            if (i > 0) text.Append(',');
            text.Append("[139.").Append(i.ToString("D7")).Append(",35.").Append((points - i).ToString("D7")).Append(']');
        }
        return text.Append(']').ToString();
    }

    public static string Escape(string value) => Uri.EscapeDataString(value);
}
