using CityOS.Core;

namespace CityOS.Context.Query;

/// <summary>AND/OR tree over leaves of type <typeparamref name="T"/>: the shape shared by the Entity Type Selection (4.17) and Scope Query (4.19) languages.</summary>
internal abstract class Selector<T>
{
    public abstract bool Evaluate(Func<T, bool> leafHolds);
    public abstract Selector<T> Map(Func<T, T> map);
}

internal sealed class SelectorLeaf<T>(T value) : Selector<T>
{
    public T Value { get; } = value;
    public override bool Evaluate(Func<T, bool> leafHolds) => leafHolds(Value);
    public override Selector<T> Map(Func<T, T> map) => new SelectorLeaf<T>(map(Value));
}

internal sealed class SelectorAnd<T>(Selector<T>[] children) : Selector<T>
{
    public Selector<T>[] Children { get; } = children;
    public override bool Evaluate(Func<T, bool> leafHolds) => Children.All(c => c.Evaluate(leafHolds));
    public override Selector<T> Map(Func<T, T> map) => new SelectorAnd<T>(Children.Select(c => c.Map(map)).ToArray());
}

internal sealed class SelectorOr<T>(Selector<T>[] children) : Selector<T>
{
    public Selector<T>[] Children { get; } = children;
    public override bool Evaluate(Func<T, bool> leafHolds) => Children.Any(c => c.Evaluate(leafHolds));
    public override Selector<T> Map(Func<T, T> map) => new SelectorOr<T>(Children.Select(c => c.Map(map)).ToArray());
}

/// <summary>
/// Parses <c>Or := And (('|' | ',') And)*</c>, <c>And := Primary (';' Primary)*</c>,
/// <c>Primary := '(' Or ')' | leaf</c>. The ABNF of 4.17 and 4.19 only allows one level of parentheses
/// around an AND; this accepts any nesting (bounded), which is a superset with the same meaning.
/// A leaf is a maximal run of characters other than <c>, | ; ( )</c> and blanks.
/// </summary>
internal sealed class SelectorParser<T>
{
    public const int MaxDepth = 16;
    public const int MaxLeaves = 256;

    private readonly string _text;
    private readonly string _parameter;
    private readonly Func<string, int, T> _leaf;
    private int _pos;
    private int _leaves;

    private SelectorParser(string text, string parameter, Func<string, int, T> leaf)
    {
        _text = text;
        _parameter = parameter;
        _leaf = leaf;
    }

    /// <param name="leaf">Validates and converts a leaf; receives its 0-based position for error messages.</param>
    public static Selector<T> Parse(string text, string parameter, Func<string, int, T> leaf)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw NgsiLdException.BadRequest($"Invalid {parameter}: it is empty");
        }

        if (text.Length > 8192)
        {
            throw new NgsiLdException(NgsiLdErrorType.TooComplexQuery, $"{parameter} is too complex: it is {text.Length} characters long");
        }

        var parser = new SelectorParser<T>(text, parameter, leaf);
        var root = parser.ParseOr(0);
        parser.SkipBlanks();
        return parser._pos == text.Length ? root : throw parser.Error($"unexpected '{text[parser._pos]}'");
    }

    public static NgsiLdException ErrorAt(string parameter, int position, string what) =>
        new(NgsiLdErrorType.BadRequestData, $"Invalid {parameter} at position {position + 1}: {what}");

    private Selector<T> ParseOr(int depth)
    {
        var children = new List<Selector<T>> { ParseAnd(depth) };
        SkipBlanks();
        while (_pos < _text.Length && _text[_pos] is '|' or ',')
        {
            _pos++;
            children.Add(ParseAnd(depth));
            SkipBlanks();
        }

        return children.Count == 1 ? children[0] : new SelectorOr<T>([.. children]);
    }

    private Selector<T> ParseAnd(int depth)
    {
        var children = new List<Selector<T>> { ParsePrimary(depth) };
        SkipBlanks();
        while (_pos < _text.Length && _text[_pos] == ';')
        {
            _pos++;
            children.Add(ParsePrimary(depth));
            SkipBlanks();
        }

        return children.Count == 1 ? children[0] : new SelectorAnd<T>([.. children]);
    }

    private Selector<T> ParsePrimary(int depth)
    {
        SkipBlanks();
        if (_pos < _text.Length && _text[_pos] == '(')
        {
            if (depth + 1 > MaxDepth)
            {
                throw new NgsiLdException(NgsiLdErrorType.TooComplexQuery, $"{_parameter} is too complex: parentheses are nested deeper than {MaxDepth} levels");
            }

            var open = _pos++;
            var inner = ParseOr(depth + 1);
            SkipBlanks();
            if (_pos >= _text.Length || _text[_pos] != ')')
            {
                throw ErrorAt(_parameter, open, "'(' is not closed");
            }

            _pos++;
            return inner;
        }

        var start = _pos;
        while (_pos < _text.Length && _text[_pos] is not (',' or '|' or ';' or '(' or ')') && !char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw Error(_pos < _text.Length ? $"unexpected '{_text[_pos]}'" : "unexpected end");
        }

        if (++_leaves > MaxLeaves)
        {
            throw new NgsiLdException(NgsiLdErrorType.TooComplexQuery, $"{_parameter} is too complex: more than {MaxLeaves} elements");
        }

        return new SelectorLeaf<T>(_leaf(_text[start.._pos], start));
    }

    private void SkipBlanks()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private NgsiLdException Error(string what) => ErrorAt(_parameter, _pos, what);
}
