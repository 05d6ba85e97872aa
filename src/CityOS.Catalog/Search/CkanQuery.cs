namespace CityOS.Catalog.Search;

/// <summary>A node of a parsed CKAN/Solr query (<see cref="CkanQuery.Parse"/>).</summary>
public abstract record QueryNode;

/// <summary>Words or a phrase to find in the title, description and tags.</summary>
public sealed record TextNode(string Text) : QueryNode;

/// <summary><c>field:value</c> (tags:river, organization:kobe, res_format:CSV).</summary>
public sealed record FieldNode(string Field, string Value) : QueryNode;

/// <summary><c>metadata_modified:[2024-01-01 TO *]</c>: a date range (a null end is open), each end inclusive or not; ends as stored (yyyy-MM-ddTHH:mm:ss.ffffff, UTC).</summary>
public sealed record RangeNode(string Field, string? From, string? To, bool FromInclusive, bool ToInclusive) : QueryNode;

public sealed record AndNode(IReadOnlyList<QueryNode> Parts) : QueryNode;

public sealed record OrNode(IReadOnlyList<QueryNode> Parts) : QueryNode;

public sealed record NotNode(QueryNode Part) : QueryNode;

/// <summary>Matches every dataset (<c>*:*</c>, an empty q).</summary>
public sealed record AllNode : QueryNode
{
    public static readonly AllNode Instance = new();
}

/// <summary>
/// The common cases of CKAN's Solr query syntax (q and fq): words, "phrases", field:value, field:"a phrase", AND/OR/NOT, a
/// leading '-' or '+', and parentheses. Juxtaposed terms must all match (CKAN's default q.op of AND).
/// </summary>
public static class CkanQuery
{
    /// <summary>The fields a query may name.</summary>
    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
    {
        "id", "name", "title", "notes", "text", "tags", "organization", "owner_org", "license_id", "res_format", "state", "groups",
    };

    /// <summary>Throws <see cref="FormatException"/> with the reason when the query is not understood.</summary>
    public static QueryNode Parse(string? query)
    {
        if (string.IsNullOrWhiteSpace(query) || query.Trim() == "*:*") return AllNode.Instance;
        var parser = new Parser(query);
        var node = parser.ParseOr();
        if (!parser.AtEnd) throw new FormatException($"Unexpected '{parser.Rest}' in the query.");
        return node;
    }

    private sealed class Parser(string text)
    {
        private int _at;

        public bool AtEnd
        {
            get
            {
                SkipSpace();
                return _at >= text.Length;
            }
        }

        public string Rest => text[_at..];

        public QueryNode ParseOr()
        {
            var parts = new List<QueryNode> { ParseAnd() };
            while (TakeKeyword("OR") || Take("||")) parts.Add(ParseAnd());
            return parts.Count == 1 ? parts[0] : new OrNode(parts);
        }

        private QueryNode ParseAnd()
        {
            var parts = new List<QueryNode> { ParseUnary() };
            while (true)
            {
                SkipSpace();
                if (_at >= text.Length || text[_at] == ')' || PeekKeyword("OR") || Peek("||")) break;
                if (!TakeKeyword("AND")) Take("&&");
                parts.Add(ParseUnary());
            }
            return parts.Count == 1 ? parts[0] : new AndNode(parts);
        }

        private QueryNode ParseUnary()
        {
            SkipSpace();
            if (TakeKeyword("NOT") || Take("-") || Take("!")) return new NotNode(ParseUnary());
            Take("+");
            return ParsePrimary();
        }

        private QueryNode ParsePrimary()
        {
            SkipSpace();
            if (_at >= text.Length) throw new FormatException("The query ends where a term was expected.");
            if (Take("("))
            {
                var inner = ParseOr();
                SkipSpace();
                if (!Take(")")) throw new FormatException("A '(' of the query is not closed.");
                return inner;
            }
            if (text[_at] == '"') return new TextNode(ReadPhrase());
            foreach (var field in RangeFields)
            {
                var next = _at + field.Length + 1;
                if (next < text.Length && string.CompareOrdinal(text, _at, field + ":", 0, field.Length + 1) == 0 && text[next] is '[' or '{') return ReadRange(field, next);
            }
            var word = ReadWord();
            var colon = word.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && CkanQuery.Fields.Contains(word[..colon]))
            {
                var field = word[..colon];
                var value = colon == word.Length - 1 && _at < text.Length && text[_at] == '"' ? ReadPhrase() : word[(colon + 1)..];
                if (value.Length == 0) throw new FormatException($"The field '{field}' has no value.");
                if (value == "*") return AllNode.Instance;
                return field is "text" ? new TextNode(value) : new FieldNode(field, value);
            }
            if (colon > 0) throw new FormatException($"Unknown field '{word[..colon]}' in the query.");
            return new TextNode(word);
        }

        private static readonly string[] RangeFields = ["metadata_modified", "metadata_created"];

        /// <summary>Solr's range <c>[from TO to]</c> (inclusive) or <c>{from TO to}</c> (exclusive); <c>*</c> and <c>NOW</c> leave an end open.</summary>
        private RangeNode ReadRange(string field, int open)
        {
            var close = text.IndexOfAny([']', '}'], open);
            if (close < 0) throw new FormatException($"The range of '{field}' is not closed.");
            var ends = text[(open + 1)..close].Split(" TO ", StringSplitOptions.TrimEntries);
            if (ends.Length != 2) throw new FormatException($"The range of '{field}' must be '[from TO to]'.");
            _at = close + 1;
            return new RangeNode(field, End(ends[0]), End(ends[1]), text[open] == '[', text[close] == ']');

            string? End(string value)
            {
                if (value is "*" or "NOW") return null;
                if (!DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
                {
                    throw new FormatException($"'{value}' in the range of '{field}' is not a date.");
                }
                return at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        private string ReadPhrase()
        {
            var end = text.IndexOf('"', _at + 1);
            if (end < 0) throw new FormatException("A '\"' of the query is not closed.");
            var phrase = text[(_at + 1)..end];
            _at = end + 1;
            if (phrase.Trim().Length == 0) throw new FormatException("The query has an empty phrase.");
            return phrase;
        }

        private string ReadWord()
        {
            var start = _at;
            while (_at < text.Length && !char.IsWhiteSpace(text[_at]) && text[_at] is not ('(' or ')'))
            {
                _at++;
                if (text[_at - 1] == ':' && _at < text.Length && text[_at] == '"') break;
            }
            return text[start.._at];
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        private bool Peek(string token)
        {
            SkipSpace();
            return string.CompareOrdinal(text, _at, token, 0, token.Length) == 0;
        }

        private bool Take(string token)
        {
            if (!Peek(token)) return false;
            _at += token.Length;
            return true;
        }

        private bool PeekKeyword(string keyword) =>
            Peek(keyword) && (_at + keyword.Length == text.Length || char.IsWhiteSpace(text[_at + keyword.Length]) || text[_at + keyword.Length] == '(');

        private bool TakeKeyword(string keyword)
        {
            if (!PeekKeyword(keyword)) return false;
            _at += keyword.Length;
            return true;
        }
    }
}
