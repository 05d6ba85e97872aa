using System.Globalization;
using System.Text.Json.Nodes;

namespace CityOS.Devices.Rules;

/// <summary>One group of measures of a device, with the time it was taken if the device sent one.</summary>
public sealed record MeasureGroup(IReadOnlyDictionary<string, JsonNode?> Values, DateTimeOffset? ObservedAt);

/// <summary>
/// UltraLight 2.0 measure payloads: <c>key|value|key|value</c>, groups separated by <c>#</c>; a group may begin with its
/// timestamp (<c>2024-06-13T00:35:30Z|t|25</c>). Values stay text: the attribute's mapping decides their type.
/// </summary>
public static class UltraLight
{
    public static IReadOnlyList<MeasureGroup> Parse(string payload)
    {
        var groups = new List<MeasureGroup>();
        var offset = 0;
        foreach (var raw in payload.Split('#'))
        {
            var group = raw.Trim('\r', '\n', ' ');
            if (group.Length > 0) groups.Add(ParseGroup(group, offset));
            offset += raw.Length + 1;
        }
        if (groups.Count == 0) throw IotAgentException.BadMeasure("The UltraLight payload has no measures.");
        return groups;
    }

    private static MeasureGroup ParseGroup(string group, int offset)
    {
        var fields = group.Split('|');
        DateTimeOffset? observedAt = null;
        var start = 0;
        if (fields.Length % 2 == 1)
        {
            if (!DateTimeOffset.TryParse(fields[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            {
                throw IotAgentException.BadMeasure(
                    $"UltraLight measure group at character {offset} ('{group}') has a key '{fields[^1]}' without a value.");
            }
            observedAt = time;
            start = 1;
        }
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        for (var i = start; i < fields.Length; i += 2)
        {
            if (fields[i].Length == 0) throw IotAgentException.BadMeasure($"UltraLight measure group at character {offset} ('{group}') has an empty key.");
            values[fields[i]] = JsonValue.Create(fields[i + 1]);
        }
        return new MeasureGroup(values, observedAt);
    }
}
