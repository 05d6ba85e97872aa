using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CityOS.Core;

namespace CityOS.Context.Query;

/// <summary>
/// Recursive-descent parser for the NGSI-LD Query Language (ETSI GS CIM 009 clause 4.9). Single pass over
/// the text without a separate lexer or regular expressions, because it runs on every request.
/// Beyond the ABNF it accepts what real clients send: nested parentheses (the spec's own example 6),
/// <c>!attr</c> for non-existence, <c>attr[a][b]</c> as well as <c>attr[a.b]</c>, <c>=~</c>/<c>!~</c> as
/// spellings of <c>~=</c>/<c>!~=</c>, blanks between tokens, and a blank where URL decoding turned the
/// <c>+</c> of a time-zone offset into a space.
/// </summary>
internal sealed class QParser
{
    public const int MaxLength = 8192;
    public const int MaxDepth = 32;
    public const int MaxTerms = 256;
    public const int MaxListItems = 1000;
    public const int MaxPathSegments = 16;
    public const int MaxPatternLength = 1024;

    /// <summary>
    /// A backstop only: NonBacktracking already matches in time linear in the input. It stays generous because the
    /// first match also builds the automaton lazily, which on a busy machine took longer than 250 ms.
    /// </summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    private readonly string _text;
    private int _pos;
    private int _terms;

    private QParser(string text) => _text = text;

    public static QNode Parse(string q)
    {
        if (string.IsNullOrWhiteSpace(q))
        {
            throw NgsiLdException.BadRequest("Invalid q: the query is empty");
        }

        if (q.Length > MaxLength)
        {
            throw TooComplex($"the query is {q.Length} characters long, the limit is {MaxLength}");
        }

        var parser = new QParser(q);
        var root = parser.ParseOr(0);
        parser.SkipBlanks();
        if (!parser.AtEnd)
        {
            throw parser.Error(parser.Current == ')' ? "unbalanced ')'" : $"unexpected '{parser.Current}'");
        }

        return root;
    }

    private bool AtEnd => _pos >= _text.Length;
    private char Current => _text[_pos];
    private char Peek(int ahead) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private QNode ParseOr(int depth)
    {
        var first = ParseAnd(depth);
        SkipBlanks();
        if (AtEnd || Current != '|')
        {
            return first;
        }

        var children = new List<QNode> { first };
        while (!AtEnd && Current == '|')
        {
            _pos++;
            children.Add(ParseAnd(depth));
            SkipBlanks();
        }

        return new QOr([.. children]);
    }

    private QNode ParseAnd(int depth)
    {
        var first = ParsePrimary(depth);
        SkipBlanks();
        if (AtEnd || Current != ';')
        {
            return first;
        }

        var children = new List<QNode> { first };
        while (!AtEnd && Current == ';')
        {
            _pos++;
            children.Add(ParsePrimary(depth));
            SkipBlanks();
        }

        return new QAnd([.. children]);
    }

    private QNode ParsePrimary(int depth)
    {
        SkipBlanks();
        if (AtEnd)
        {
            throw Error("expected a query term");
        }

        if (Current != '(')
        {
            return ParseTerm();
        }

        if (depth + 1 > MaxDepth)
        {
            throw TooComplex($"parentheses are nested deeper than {MaxDepth} levels");
        }

        var open = _pos;
        _pos++;
        var inner = ParseOr(depth + 1);
        SkipBlanks();
        if (AtEnd || Current != ')')
        {
            throw ErrorAt(open, "'(' is not closed");
        }

        _pos++;
        return inner;
    }

    private QTerm ParseTerm()
    {
        if (++_terms > MaxTerms)
        {
            throw TooComplex($"the query has more than {MaxTerms} terms");
        }

        var negated = Current == '!';
        if (negated)
        {
            _pos++;
        }

        var path = ParsePath();
        SkipBlanks();
        if (AtEndOfTerm())
        {
            return new QTerm(path, negated ? QOperator.NotExists : QOperator.Exists, null);
        }

        if (negated)
        {
            throw Error("'!' (non-existence) takes an attribute path alone, without an operator");
        }

        var operatorPosition = _pos;
        var op = ParseOperator();
        SkipBlanks();
        var value = op switch
        {
            QOperator.Match or QOperator.NotMatch => ParsePattern(),
            QOperator.Equal or QOperator.NotEqual => ParseEqualityValue(),
            _ => new QSingle(ParseComparable(op, operatorPosition)),
        };
        SkipBlanks();
        if (!AtEndOfTerm())
        {
            throw Error($"unexpected '{Current}' after the value of '{path.Text}'");
        }

        return new QTerm(path, op, value);
    }

    private bool AtEndOfTerm() => AtEnd || Current is ';' or '|' or ')';

    private QPath ParsePath()
    {
        var start = _pos;
        var names = new List<string> { ParseName("an attribute name") };
        while (!AtEnd && Current == '.')
        {
            _pos++;
            if (names.Count == MaxPathSegments)
            {
                throw TooComplex($"an attribute path has more than {MaxPathSegments} names");
            }

            names.Add(ParseName("a sub-attribute name after '.'"));
        }

        List<string>? trailing = null;
        while (!AtEnd && Current == '[')
        {
            trailing ??= [];
            do
            {
                _pos++;
                if (trailing.Count == MaxPathSegments)
                {
                    throw TooComplex($"an attribute path has more than {MaxPathSegments} names");
                }

                trailing.Add(ParseMemberName());
            }
            while (!AtEnd && Current == '.');

            if (AtEnd || Current != ']')
            {
                throw Error("expected ']' to close the compound value path");
            }

            _pos++;
        }

        if (!AtEnd && Current == '{')
        {
            throw new NgsiLdException(NgsiLdErrorType.OperationNotSupported,
                $"q: linked entity queries ('{_text[start.._pos]}{{...}}') are not supported (position {_pos + 1})");
        }

        var text = _text[start.._pos];
        var member = SpecialMemberOf(names[^1]);
        if (names.Count == 1)
        {
            // createdAt/modifiedAt alone designate the entity's own timestamps; any other name is an attribute.
            if (member is SpecialMember.CreatedAt or SpecialMember.ModifiedAt)
            {
                RejectTrailing(trailing, text, start);
                return new QPath([], member, null, text);
            }

            member = SpecialMember.None;
        }

        if (member != SpecialMember.None)
        {
            RejectTrailing(trailing, text, start);
            names.RemoveAt(names.Count - 1);
        }

        return new QPath([.. names], member, trailing?.ToArray(), text);
    }

    private void RejectTrailing(List<string>? trailing, string text, int start)
    {
        if (trailing is not null)
        {
            throw new NgsiLdException(NgsiLdErrorType.BadRequestData,
                $"Invalid q at position {start + 1}: '{text}' has no compound value to index with '[...]'");
        }
    }

    private static SpecialMember SpecialMemberOf(string name) => name switch
    {
        "observedAt" => SpecialMember.ObservedAt,
        "createdAt" => SpecialMember.CreatedAt,
        "modifiedAt" => SpecialMember.ModifiedAt,
        "unitCode" => SpecialMember.UnitCode,
        "datasetId" => SpecialMember.DatasetId,
        _ => SpecialMember.None,
    };

    /// <summary>
    /// AttrName of 4.9 (a letter, then letters, digits, '_'), plus ':' so that prefixed names
    /// (prefix:name, 4.6.2) can be queried as they are written elsewhere.
    /// </summary>
    private string ParseName(string expected)
    {
        var start = _pos;
        if (AtEnd || !char.IsLetter(Current))
        {
            throw Error($"expected {expected}");
        }

        _pos++;
        while (!AtEnd && (char.IsLetterOrDigit(Current) || char.IsNumber(Current) || Current == '_' ||
                          (Current == ':' && char.IsLetterOrDigit(Peek(1)))))
        {
            _pos++;
        }

        return _text[start.._pos];
    }

    /// <summary>
    /// A member of a compound value, or a language tag of a LanguageProperty (which needs '-', as in en-GB),
    /// or '*' for any language.
    /// </summary>
    private string ParseMemberName()
    {
        var start = _pos;
        if (!AtEnd && Current == '*')
        {
            _pos++;
            return "*";
        }

        while (!AtEnd && (char.IsLetterOrDigit(Current) || char.IsNumber(Current) || Current is '_' or '-' or '@' or ':'))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw Error("expected a member name inside '[...]'");
        }

        return _text[start.._pos];
    }

    private QOperator ParseOperator()
    {
        var (op, length) = (Current, Peek(1), Peek(2)) switch
        {
            ('=', '=', _) => (QOperator.Equal, 2),
            ('=', '~', _) => (QOperator.Match, 2),
            ('!', '=', _) => (QOperator.NotEqual, 2),
            ('!', '~', '=') => (QOperator.NotMatch, 3),
            ('!', '~', _) => (QOperator.NotMatch, 2),
            ('~', '=', _) => (QOperator.Match, 2),
            ('>', '=', _) => (QOperator.GreaterOrEqual, 2),
            ('>', _, _) => (QOperator.Greater, 1),
            ('<', '=', _) => (QOperator.LessOrEqual, 2),
            ('<', _, _) => (QOperator.Less, 1),
            ('=', _, _) => throw Error("'=' is not an operator; equality is '=='"),
            _ => throw Error($"expected an operator (== != > >= < <= ~= !~=) or ';' '|' ')' after the attribute path, found '{Current}'"),
        };
        _pos += length;
        return op;
    }

    private QValue ParseEqualityValue()
    {
        var firstPosition = _pos;
        var first = ParseLiteral();
        SkipBlanks();
        if (!AtEnd && Current == '.' && Peek(1) == '.')
        {
            _pos += 2;
            SkipBlanks();
            var highPosition = _pos;
            var high = ParseLiteral();
            if (!first.IsComparable)
            {
                throw ErrorAt(firstPosition, "a range needs numbers, quoted strings, dates, times or date-times as bounds");
            }

            if (high.Kind != first.Kind)
            {
                throw ErrorAt(highPosition, "both bounds of a range must be of the same kind");
            }

            return new QRange(first, high);
        }

        if (AtEnd || Current != ',')
        {
            return new QSingle(first);
        }

        var items = new List<QLiteral> { first };
        while (!AtEnd && Current == ',')
        {
            _pos++;
            SkipBlanks();
            if (items.Count == MaxListItems)
            {
                throw TooComplex($"a value list has more than {MaxListItems} values");
            }

            items.Add(ParseLiteral());
            SkipBlanks();
        }

        return new QList([.. items]);
    }

    private QLiteral ParseComparable(QOperator op, int operatorPosition)
    {
        var literal = ParseLiteral();
        var symbol = op switch
        {
            QOperator.Less => "<",
            QOperator.LessOrEqual => "<=",
            QOperator.Greater => ">",
            _ => ">=",
        };
        return literal.IsComparable
            ? literal
            : throw ErrorAt(operatorPosition, $"'{symbol}' compares with a number, a quoted string, a date, a time or a date-time, not '{literal.Text}'");
    }

    private QLiteral ParseLiteral()
    {
        if (AtEnd)
        {
            throw Error("expected a value");
        }

        var c = Current;
        if (c == '"')
        {
            return QLiteral.OfString(ParseQuotedString());
        }

        if (char.IsAsciiDigit(c) || c == '-')
        {
            return ParseNumberOrTemporal();
        }

        if (char.IsLetter(c))
        {
            return ParseWord();
        }

        throw Error($"expected a value, found '{c}'");
    }

    /// <summary>A JSON string (RFC 8259 section 7) including its escapes.</summary>
    private string ParseQuotedString()
    {
        var open = _pos;
        _pos++;
        StringBuilder? escaped = null;
        var runStart = _pos;
        while (true)
        {
            if (AtEnd)
            {
                throw ErrorAt(open, "the string is not terminated by '\"'");
            }

            var c = Current;
            if (c == '"')
            {
                var result = escaped is null ? _text[runStart.._pos] : escaped.Append(_text, runStart, _pos - runStart).ToString();
                _pos++;
                return result;
            }

            if (c < ' ')
            {
                throw Error("control characters must be escaped inside a string");
            }

            if (c != '\\')
            {
                _pos++;
                continue;
            }

            escaped ??= new StringBuilder();
            escaped.Append(_text, runStart, _pos - runStart);
            escaped.Append(ParseEscape());
            runStart = _pos;
        }
    }

    private char ParseEscape()
    {
        var at = _pos;
        var c = Peek(1);
        _pos += 2;
        switch (c)
        {
            case '"': return '"';
            case '\\': return '\\';
            case '/': return '/';
            case 'b': return '\b';
            case 'f': return '\f';
            case 'n': return '\n';
            case 'r': return '\r';
            case 't': return '\t';
            case 'u':
                if (_pos + 4 <= _text.Length &&
                    ushort.TryParse(_text.AsSpan(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                {
                    _pos += 4;
                    return (char)code;
                }

                throw ErrorAt(at, "'\\u' must be followed by four hexadecimal digits");
            default:
                throw ErrorAt(at, $"unknown escape '\\{c}' in a string");
        }
    }

    private QLiteral ParseNumberOrTemporal()
    {
        var start = _pos;
        if (IsDigits(start, 4) && CharAt(start + 4) == '-' && IsDigits(start + 5, 2) && CharAt(start + 7) == '-' && IsDigits(start + 8, 2))
        {
            return ParseDateOrDateTime(start);
        }

        if (IsDigits(start, 2) && CharAt(start + 2) == ':')
        {
            _pos = ScanClock(start);
            var text = _text[start.._pos];
            return Temporal.TryParseTime(text, out var time) ? QLiteral.OfTime(time, text) : throw ErrorAt(start, $"'{text}' is not a valid time");
        }

        return ParseNumber(start);
    }

    private QLiteral ParseDateOrDateTime(int start)
    {
        _pos = start + 10;
        if (AtEnd || (Current != 'T' && Current != 't'))
        {
            var dateText = _text[start.._pos];
            return Temporal.TryParseDate(dateText, out var date) ? QLiteral.OfDate(date, dateText) : throw ErrorAt(start, $"'{dateText}' is not a valid date");
        }

        _pos = ScanClock(_pos + 1);
        var text = _text[start.._pos].Replace(' ', '+');
        return Temporal.TryParseDateTime(text, out var instant)
            ? QLiteral.OfDateTime(instant, text)
            : throw ErrorAt(start, $"'{text}' is not a valid date-time");
    }

    /// <summary>Scans hh:mm[:ss[.fff]] and an optional zone; returns the position after it.</summary>
    private int ScanClock(int from)
    {
        var p = from;
        while (p < _text.Length && (char.IsAsciiDigit(_text[p]) || _text[p] is ':' or '.' or ','))
        {
            // A '..' after a time is the range operator, not a fraction separator.
            if (_text[p] == '.' && CharAt(p + 1) == '.')
            {
                return p;
            }

            p++;
        }

        var zone = CharAt(p);
        if (zone is 'Z' or 'z')
        {
            return p + 1;
        }

        // ' ' stands for a '+' that URL form-decoding turned into a space.
        if (zone is '+' or '-' or ' ' && IsDigits(p + 1, 2) && CharAt(p + 3) == ':' && IsDigits(p + 4, 2))
        {
            return p + 6;
        }

        return p;
    }

    /// <summary>A JSON number (RFC 8259 section 6).</summary>
    private QLiteral ParseNumber(int start)
    {
        var p = start;
        if (CharAt(p) == '-')
        {
            p++;
        }

        var digitsStart = p;
        while (char.IsAsciiDigit(CharAt(p)))
        {
            p++;
        }

        if (p == digitsStart)
        {
            throw ErrorAt(start, "expected a number");
        }

        if (CharAt(p) == '.' && char.IsAsciiDigit(CharAt(p + 1)))
        {
            p++;
            while (char.IsAsciiDigit(CharAt(p)))
            {
                p++;
            }
        }

        if (CharAt(p) is 'e' or 'E')
        {
            var exponent = p + 1;
            if (CharAt(exponent) is '+' or '-')
            {
                exponent++;
            }

            if (!char.IsAsciiDigit(CharAt(exponent)))
            {
                throw ErrorAt(p, "expected digits in the exponent of the number");
            }

            p = exponent;
            while (char.IsAsciiDigit(CharAt(p)))
            {
                p++;
            }
        }

        if (p < _text.Length && (char.IsLetterOrDigit(_text[p]) || _text[p] is '_' or ':' or '-' or '+'))
        {
            throw ErrorAt(start, $"'{_text[start..(p + 1)]}' is not a valid number, date or time");
        }

        _pos = p;
        var text = _text[start..p];
        var value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsFinite(value) ? QLiteral.OfNumber(value, text) : throw ErrorAt(start, $"the number {text} is out of range");
    }

    /// <summary>true, false, or an unquoted URI / term, which ends where the term ends.</summary>
    private QLiteral ParseWord()
    {
        var start = _pos;
        while (!AtEnd && Current is not (';' or '|' or ',' or '(' or ')' or '"') && !char.IsWhiteSpace(Current))
        {
            _pos++;
        }

        var word = _text[start.._pos];
        foreach (var boolean in (ReadOnlySpan<bool>)[true, false])
        {
            var keyword = boolean ? "true" : "false";
            // "true..false" is a (rejected) range of booleans, not a URI.
            if (word == keyword || word.StartsWith(keyword + "..", StringComparison.Ordinal))
            {
                _pos = start + keyword.Length;
                return QLiteral.OfBoolean(boolean);
            }
        }

        return QLiteral.OfUri(word);
    }

    /// <summary>
    /// A regular expression: either a JSON string (the safe form when the pattern needs '|', ';' or ')' at its
    /// top level) or the raw text up to the end of the term, where parentheses and character classes nest.
    /// </summary>
    private QPattern ParsePattern()
    {
        var start = _pos;
        string pattern;
        if (!AtEnd && Current == '"')
        {
            pattern = ParseQuotedString();
        }
        else
        {
            var depth = 0;
            var inClass = false;
            while (!AtEnd)
            {
                var c = Current;
                if (c == '\\')
                {
                    _pos = Math.Min(_pos + 2, _text.Length);
                    continue;
                }

                if (inClass)
                {
                    inClass = c != ']';
                }
                else if (c == '[')
                {
                    inClass = true;
                }
                else if (c == '(')
                {
                    depth++;
                }
                else if (c == ')')
                {
                    if (depth == 0)
                    {
                        break;
                    }

                    depth--;
                }
                else if (depth == 0 && c is ';' or '|')
                {
                    break;
                }

                _pos++;
            }

            pattern = _text[start.._pos];
        }

        if (pattern.Length == 0)
        {
            throw ErrorAt(start, "expected a regular expression");
        }

        if (pattern.Length > MaxPatternLength)
        {
            throw TooComplex($"a regular expression is longer than {MaxPatternLength} characters");
        }

        try
        {
            // NonBacktracking runs in time linear in the input, so a hostile pattern cannot stall the broker (ReDoS).
            return new QPattern(new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, RegexTimeout));
        }
        catch (NotSupportedException e)
        {
            throw ErrorAt(start, $"the regular expression uses an unsupported construct: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw ErrorAt(start, $"invalid regular expression: {e.Message}");
        }
    }

    private char CharAt(int p) => p < _text.Length ? _text[p] : '\0';

    private bool IsDigits(int from, int count)
    {
        if (from + count > _text.Length)
        {
            return false;
        }

        for (var i = from; i < from + count; i++)
        {
            if (!char.IsAsciiDigit(_text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private void SkipBlanks()
    {
        while (!AtEnd && char.IsWhiteSpace(Current))
        {
            _pos++;
        }
    }

    private NgsiLdException Error(string what) => ErrorAt(_pos, what);

    private static NgsiLdException ErrorAt(int position, string what) =>
        new(NgsiLdErrorType.BadRequestData, $"Invalid q at position {position + 1}: {what}");

    private static NgsiLdException TooComplex(string what) =>
        new(NgsiLdErrorType.TooComplexQuery, $"q is too complex: {what}");
}
