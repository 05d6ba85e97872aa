using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace CityOS.Core.Http;

/// <summary>
/// Checks a JSON request body against <see cref="InputLimits"/> in one pass over its bytes, before any
/// object is built from it: nesting depth, finite numbers only, valid UTF-8 and UTF-16 (no lone surrogate),
/// string lengths, unique member names, and the size of every GeoJSON "coordinates" member. A body that
/// passes parses into a tree every later reader and writer handles; a hostile geometry is refused before
/// it costs memory.
/// </summary>
public static class JsonInput
{
    public static void Check(ReadOnlySpan<byte> utf8, InputLimits limits)
    {
        // One more level than allowed, so that the limit is reported by name rather than as a parser error.
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = limits.MaxJsonDepth + 1 });
        var state = new State(limits);
        try
        {
            while (reader.Read()) state.Take(ref reader);
        }
        catch (JsonException error)
        {
            throw NgsiLdException.InvalidRequest($"The request body is not valid JSON: {error.Message}");
        }
    }

    private sealed class State(InputLimits limits)
    {
        private readonly List<HashSet<string>> _namesByDepth = [];
        private readonly bool[] _numberSeen = new bool[limits.MaxJsonDepth + 2];
        private readonly int[] _children = new int[limits.MaxJsonDepth + 2];
        private int _depth;
        private bool _coordinatesNext;
        private int _coordinatesDepth = -1;
        private int _points;
        private int _rings;
        private int _pointsInBody;

        private bool InCoordinates => _coordinatesDepth > 0;

        public void Take(ref Utf8JsonReader reader)
        {
            var coordinatesStart = _coordinatesNext;
            _coordinatesNext = false;
            if (InCoordinates && reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.EndObject)) _children[_depth]++;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    Enter();
                    while (_namesByDepth.Count < _depth) _namesByDepth.Add(new HashSet<string>(StringComparer.Ordinal));
                    _namesByDepth[_depth - 1].Clear();
                    break;
                case JsonTokenType.StartArray:
                    if (coordinatesStart && !InCoordinates)
                    {
                        _coordinatesDepth = _depth + 1;
                        _points = 0;
                        _rings = 0;
                    }
                    Enter();
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    if (_depth == _coordinatesDepth) _coordinatesDepth = -1;
                    _depth--;
                    break;
                case JsonTokenType.PropertyName:
                    CheckText(ref reader, "member name");
                    var name = reader.GetString()!;
                    if (!_namesByDepth[_depth - 1].Add(name))
                    {
                        throw NgsiLdException.InvalidRequest($"The request body has the member \"{name}\" twice in one object; JSON member names must be unique.");
                    }
                    _coordinatesNext = !InCoordinates && name == "coordinates";
                    break;
                case JsonTokenType.String:
                    CheckText(ref reader, "string");
                    break;
                case JsonTokenType.Number:
                    if (!reader.TryGetDouble(out var number) || !double.IsFinite(number))
                    {
                        throw NgsiLdException.BadRequest($"The number {Encoding.UTF8.GetString(reader.ValueSpan)} in the request body is outside the range of a double (about ±1.7e308); numbers must be finite.");
                    }
                    if (InCoordinates) Position();
                    break;
            }
        }

        private void Enter()
        {
            _depth++;
            if (_depth > limits.MaxJsonDepth)
            {
                throw InputLimits.Exceeded(nameof(InputLimits.MaxJsonDepth), limits.MaxJsonDepth, $"The request body nests objects and arrays more than {limits.MaxJsonDepth} levels deep");
            }
            _numberSeen[_depth] = false;
            _children[_depth] = 0;
        }

        /// <summary>A number in a coordinates array: the first one of its array makes that array a position, and the first position of a list a ring or line.</summary>
        private void Position()
        {
            if (_numberSeen[_depth]) return;
            _numberSeen[_depth] = true;
            if (++_points > limits.MaxGeometryPoints)
            {
                throw InputLimits.Exceeded(nameof(InputLimits.MaxGeometryPoints), limits.MaxGeometryPoints, $"A geometry in the request body has more than {limits.MaxGeometryPoints} positions");
            }
            if (++_pointsInBody > limits.MaxGeometryPointsPerRequest)
            {
                throw InputLimits.Exceeded(nameof(InputLimits.MaxGeometryPointsPerRequest), limits.MaxGeometryPointsPerRequest, $"The geometries of the request body have more than {limits.MaxGeometryPointsPerRequest} positions together");
            }
            if (_depth > _coordinatesDepth && _children[_depth - 1] == 1 && ++_rings > limits.MaxGeometryRings)
            {
                throw InputLimits.Exceeded(nameof(InputLimits.MaxGeometryRings), limits.MaxGeometryRings, $"A geometry in the request body has more than {limits.MaxGeometryRings} rings or lines");
            }
        }

        private void CheckText(ref Utf8JsonReader reader, string what)
        {
            string? text = null;
            if (reader.ValueIsEscaped)
            {
                text = Decode(ref reader, what);
            }
            else if (!Utf8.IsValid(reader.ValueSpan))
            {
                throw NgsiLdException.InvalidRequest($"A {what} in the request body is not valid UTF-8.");
            }
            // Every UTF-16 code unit takes at least one byte, so only long byte spans need counting.
            if (reader.ValueSpan.Length <= limits.MaxStringLength) return;
            var length = text?.Length ?? Encoding.UTF8.GetCharCount(reader.ValueSpan);
            if (length > limits.MaxStringLength)
            {
                throw InputLimits.Exceeded(nameof(InputLimits.MaxStringLength), limits.MaxStringLength, $"A {what} in the request body is {length} characters long");
            }
        }

        private static string Decode(ref Utf8JsonReader reader, string what)
        {
            try
            {
                return reader.GetString()!;
            }
            catch (InvalidOperationException)
            {
                throw NgsiLdException.InvalidRequest($"A {what} in the request body is not valid Unicode (invalid UTF-8, or an escaped lone surrogate such as \\ud800).");
            }
        }
    }
}
