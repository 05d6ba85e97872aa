using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.Model;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Storage;

/// <summary>
/// The index rows an entity contributes: attribute names with their kinds, scalar values of
/// Properties and Relationship objects (for q prefilters), and the bounding boxes of
/// GeoProperties (for geo prefilters). Any store engine indexes the same facts.
/// </summary>
public static class EntityIndexEntries
{
    public readonly record struct ScalarValue(string Attribute, double? Number, string? Text);

    /// <summary>
    /// Finds, fed the <see cref="Scalars"/> of an entity in their order, the attributes holding more than one distinct
    /// number (an array, several instances): two q comparisons on such an attribute may be met by two of its numbers.
    /// </summary>
    public struct SeveralNumbers
    {
        private string? _attribute;
        private double _first;
        private bool _reported;

        /// <summary>The attribute, once, when this scalar makes it hold several numbers; null otherwise.</summary>
        public string? Add(ScalarValue scalar)
        {
            if (scalar.Number is not { } number) return null;
            if (!string.Equals(scalar.Attribute, _attribute, StringComparison.Ordinal))
            {
                _attribute = scalar.Attribute;
                _first = number;
                _reported = false;
                return null;
            }
            if (_reported || number == _first) return null;
            _reported = true;
            return _attribute;
        }
    }

    /// <summary>The bounding box of one GeoProperty instance; a Point's exact position is its box.</summary>
    public readonly record struct GeoBox(string Attribute, Envelope Box, bool IsPoint);

    public static IEnumerable<(string Attribute, AttributeKind Kind)> Attributes(Entity entity)
    {
        foreach (var (name, instances) in entity.Attributes)
        {
            if (instances.Count > 0) yield return (name, instances[0].Kind);
        }
    }

    /// <summary>
    /// Every scalar a q comparison can be made against: the value (or object) of each instance, the
    /// elements when it is an array, and the strings of a language map. An index must never miss a
    /// value the exact evaluation would compare, so it covers all of them.
    /// </summary>
    public static IEnumerable<ScalarValue> Scalars(Entity entity)
    {
        foreach (var (name, instances) in entity.Attributes)
        {
            foreach (var instance in instances)
            {
                if (instance.Kind == AttributeKind.GeoProperty || instance.Value is null) continue;
                IEnumerable<JsonNode?> candidates = instance.Value switch
                {
                    JsonArray array => array,
                    JsonObject map when instance.Kind == AttributeKind.LanguageProperty => map.Select(p => p.Value),
                    _ => [instance.Value],
                };
                foreach (var candidate in candidates)
                {
                    if (candidate is not JsonValue value) continue;
                    switch (value.GetValueKind())
                    {
                        case JsonValueKind.Number when TryGetNumber(value, out var number):
                            yield return new ScalarValue(name, number, null);
                            break;
                        case JsonValueKind.String:
                            yield return new ScalarValue(name, null, value.GetValue<string>());
                            break;
                    }
                }
            }
        }
    }

    private static bool TryGetNumber(JsonValue value, out double number)
    {
        if (value.TryGetValue<double>(out number)) return true;
        if (value.TryGetValue<long>(out var integer))
        {
            number = integer;
            return true;
        }
        // A value built in code (an int, a decimal) rather than parsed: its JSON text is the number the evaluator compares.
        return value.GetValueKind() == JsonValueKind.Number && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }

    public static IEnumerable<GeoBox> GeoBoxes(Entity entity)
    {
        foreach (var (name, instances) in entity.Attributes)
        {
            foreach (var instance in instances)
            {
                if (instance.Kind != AttributeKind.GeoProperty || instance.Value is not JsonObject geometry) continue;
                var box = new Envelope();
                if (geometry["coordinates"] is { } coordinates) Extend(box, coordinates);
                if (geometry["geometries"] is JsonArray members)
                {
                    foreach (var member in members)
                    {
                        if (member?["coordinates"] is { } memberCoordinates) Extend(box, memberCoordinates);
                    }
                }
                if (!box.IsNull) yield return new GeoBox(name, box, geometry["type"] is JsonValue type && type.TryGetValue<string>(out var kind) && kind == "Point");
            }
        }
    }

    private static void Extend(Envelope box, JsonNode coordinates)
    {
        if (coordinates is not JsonArray array || array.Count == 0) return;
        if (array[0] is JsonValue && array.Count >= 2 && array[1] is JsonValue)
        {
            if (array[0] is JsonValue x && TryGetNumber(x, out var lon) && array[1] is JsonValue y && TryGetNumber(y, out var lat)) box.ExpandToInclude(lon, lat);
            return;
        }
        foreach (var item in array)
        {
            if (item is not null) Extend(box, item);
        }
    }
}
