using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityOS.Context.Model;
using CityOS.Core;

namespace CityOS.Context.Query;

/// <summary>How the value a path designates takes part in comparisons (4.9, after example 8).</summary>
internal enum TargetShape
{
    /// <summary>A Property, JsonProperty or ListProperty value, or a member of a compound value: an array matches through any element.</summary>
    Value,

    /// <summary>A Relationship object (an IRI or an array of IRIs): only == and != apply.</summary>
    Reference,

    /// <summary>A ListRelationship objectList: only == and != apply.</summary>
    ListReference,

    /// <summary>A VocabProperty vocab (expanded IRIs): compared with the expanded form of unquoted terms.</summary>
    Vocab,

    /// <summary>A languageMap: the values of all languages or of the selected one.</summary>
    LanguageMap,

    /// <summary>A GeoProperty geometry: it exists, but is not comparable (geo-queries are for that).</summary>
    Geo,

    /// <summary>observedAt, createdAt or modifiedAt: compared as an instant.</summary>
    Instant,
}

internal readonly record struct Target(TargetShape Shape, JsonNode? Node, DateTimeOffset Instant = default, string? Language = null);

/// <summary>Evaluates a parsed q expression against an entity in expanded form.</summary>
internal static class QEvaluator
{
    public static bool Matches(QNode node, Entity entity) => node switch
    {
        QAnd conjunction => conjunction.Children.All(child => Matches(child, entity)),
        QOr disjunction => disjunction.Children.Any(child => Matches(child, entity)),
        QTerm term => MatchesTerm(term, entity),
        _ => throw new InvalidOperationException($"Unknown q node {node.GetType().Name}"),
    };

    private static bool MatchesTerm(QTerm term, Entity entity)
    {
        var path = term.Path;
        if (path.IsEntityMember)
        {
            var instant = path.Member == SpecialMember.CreatedAt ? entity.CreatedAt : entity.ModifiedAt;
            return instant == default
                ? term.Operator == QOperator.NotExists
                : Holds(term, new Target(TargetShape.Instant, null, instant));
        }

        if (!entity.Attributes.TryGetValue(path.Names[0], out var instances))
        {
            return term.Operator == QOperator.NotExists;
        }

        // A multi-instance attribute (one instance per datasetId) matches when any instance does.
        foreach (var instance in instances)
        {
            if (Resolve(instance, path) is not { } target)
            {
                continue;
            }

            if (term.Operator == QOperator.NotExists)
            {
                return false;
            }

            if (Holds(term, target))
            {
                return true;
            }
        }

        return term.Operator == QOperator.NotExists;
    }

    /// <summary>The target of the path within one instance of the top-level attribute; null when it does not exist.</summary>
    private static Target? Resolve(NgsiAttribute instance, QPath path)
    {
        var element = instance;
        for (var i = 1; i < path.Names.Length; i++)
        {
            if (!element.SubAttributes.TryGetValue(path.Names[i], out element))
            {
                return null;
            }
        }

        switch (path.Member)
        {
            case SpecialMember.ObservedAt:
                return element.ObservedAt is { } observedAt ? new Target(TargetShape.Instant, null, observedAt) : null;
            case SpecialMember.CreatedAt:
                return element.CreatedAt == default ? null : new Target(TargetShape.Instant, null, element.CreatedAt);
            case SpecialMember.ModifiedAt:
                return element.ModifiedAt == default ? null : new Target(TargetShape.Instant, null, element.ModifiedAt);
            case SpecialMember.UnitCode:
                return element.UnitCode is { } unitCode ? new Target(TargetShape.Value, JsonValue.Create(unitCode)) : null;
            case SpecialMember.DatasetId:
                return element.DatasetId is { } datasetId ? new Target(TargetShape.Value, JsonValue.Create(datasetId)) : null;
        }

        if (path.Trailing is null)
        {
            return element.Kind switch
            {
                AttributeKind.Relationship => new Target(TargetShape.Reference, element.Value),
                AttributeKind.ListRelationship => new Target(TargetShape.ListReference, element.Value),
                AttributeKind.VocabProperty => new Target(TargetShape.Vocab, element.Value),
                AttributeKind.LanguageProperty => new Target(TargetShape.LanguageMap, element.Value),
                AttributeKind.GeoProperty => new Target(TargetShape.Geo, element.Value),
                _ => new Target(TargetShape.Value, element.Value),
            };
        }

        if (element.Kind == AttributeKind.LanguageProperty)
        {
            // attr[en] selects a language, attr[*] any language (4.9, equal operator).
            if (path.Trailing.Length != 1)
            {
                return null;
            }

            var language = path.Trailing[0];
            return language == "*" || HasLanguage(element.Value, language)
                ? new Target(TargetShape.LanguageMap, element.Value, Language: language == "*" ? null : language)
                : null;
        }

        if (element.Kind is AttributeKind.Relationship or AttributeKind.ListRelationship or AttributeKind.VocabProperty)
        {
            return null;
        }

        // The trailing path is an ECMA-262 member expression on the value; an undefined result means "does not exist".
        var node = element.Value;
        foreach (var member in path.Trailing)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(member, out node))
            {
                return null;
            }
        }

        return new Target(TargetShape.Value, node);
    }

    private static bool HasLanguage(JsonNode? languageMap, string language) => languageMap switch
    {
        JsonObject map => map.ContainsKey(language),
        JsonArray tagged => tagged.Any(item => IsTaggedWith(item, language)),
        _ => false,
    };

    private static bool IsTaggedWith(JsonNode? item, string language) =>
        item is JsonObject obj && obj.TryGetPropertyValue("@language", out var tag) && TryGetString(tag, out var text) &&
        string.Equals(text, language, StringComparison.OrdinalIgnoreCase);

    private static bool Holds(QTerm term, Target target)
    {
        switch (term.Operator)
        {
            case QOperator.Exists:
                return true;
            case QOperator.NotExists:
                return false;
            case QOperator.Equal:
                return IsEqual(term.Value!, target);
            case QOperator.NotEqual:
                // "If the data type of the target value and of the Query Term value are different, they shall be considered unequal",
                // so != is the plain negation of ==, except for geometries, which are not comparable at all.
                return target.Shape != TargetShape.Geo && !IsEqual(term.Value!, target);
            case QOperator.Match:
            case QOperator.NotMatch:
                return MatchesPattern(((QPattern)term.Value!).Regex, target, term.Operator == QOperator.Match);
        }

        if (!IsOrdered(target.Shape))
        {
            return false;
        }

        var literal = ((QSingle)term.Value!).Literal;
        foreach (var element in Elements(target))
        {
            if (Compare(target, element, literal) is not { } order)
            {
                continue;
            }

            var holds = term.Operator switch
            {
                QOperator.Less => order < 0,
                QOperator.LessOrEqual => order <= 0,
                QOperator.Greater => order > 0,
                _ => order >= 0,
            };
            if (holds)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>4.9: a Relationship or ListRelationship combined with any operator other than == and != does not match.</summary>
    private static bool IsOrdered(TargetShape shape) => shape is not (TargetShape.Reference or TargetShape.ListReference or TargetShape.Geo);

    private static bool IsEqual(QValue value, Target target)
    {
        if (target.Shape == TargetShape.Geo)
        {
            return false;
        }

        foreach (var element in Elements(target))
        {
            var equal = value switch
            {
                QSingle single => Compare(target, element, single.Literal) == 0,
                QList list => list.Items.Any(item => Compare(target, element, item) == 0),
                QRange range => IsOrdered(target.Shape) && Compare(target, element, range.Low) >= 0 && Compare(target, element, range.High) <= 0,
                _ => false,
            };
            if (equal)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// ~= holds when some string of the target contains a match ("search" semantics, as Orion-LD's regexec);
    /// !~= holds when the target has strings and none matches. Other data types never match (4.9).
    /// </summary>
    private static bool MatchesPattern(Regex regex, Target target, bool wanted)
    {
        if (!IsOrdered(target.Shape) || target.Shape == TargetShape.Instant)
        {
            return false;
        }

        var sawString = false;
        foreach (var element in Elements(target))
        {
            if (!TryGetString(element, out var text))
            {
                continue;
            }

            sawString = true;
            bool isMatch;
            try
            {
                isMatch = regex.IsMatch(text);
            }
            catch (RegexMatchTimeoutException)
            {
                throw new NgsiLdException(NgsiLdErrorType.TooComplexQuery, $"q: the regular expression '{regex}' took too long to evaluate");
            }

            if (isMatch)
            {
                return wanted;
            }
        }

        return sawString && !wanted;
    }

    /// <summary>The scalar values a target offers to a comparison; an array target offers each element.</summary>
    private static IEnumerable<JsonNode?> Elements(Target target)
    {
        switch (target.Shape)
        {
            case TargetShape.Instant:
                yield return null;
                yield break;
            case TargetShape.LanguageMap:
                foreach (var text in LanguageValues(target.Node, target.Language))
                {
                    yield return text;
                }

                yield break;
        }

        var node = Unwrap(target.Node, target.Shape);
        if (node is JsonObject list && list.TryGetPropertyValue("@list", out var items))
        {
            node = items;
        }

        if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                yield return Unwrap(item, target.Shape);
            }
        }
        else
        {
            yield return node;
        }
    }

    private static IEnumerable<JsonNode?> LanguageValues(JsonNode? languageMap, string? language)
    {
        if (languageMap is JsonObject map)
        {
            foreach (var (tag, value) in map)
            {
                if (language is not null && !string.Equals(tag, language, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (value is JsonArray texts)
                {
                    foreach (var text in texts)
                    {
                        yield return text;
                    }
                }
                else
                {
                    yield return value;
                }
            }
        }
        else if (languageMap is JsonArray tagged)
        {
            // Expanded JSON-LD form: [{"@value": "...", "@language": "en"}, ...].
            foreach (var item in tagged)
            {
                if (item is JsonObject obj && (language is null || IsTaggedWith(obj, language)) && obj.TryGetPropertyValue("@value", out var text))
                {
                    yield return text;
                }
            }
        }
    }

    /// <summary>Values in expanded JSON-LD form ({"@value": ...}, {"@id": ...}) and objectList items ({"object": ...}) compare as what they hold.</summary>
    private static JsonNode? Unwrap(JsonNode? node, TargetShape shape)
    {
        if (node is JsonObject obj &&
            (obj.TryGetPropertyValue("@value", out var inner) || obj.TryGetPropertyValue("@id", out inner) ||
             (shape == TargetShape.ListReference && obj.TryGetPropertyValue("object", out inner))))
        {
            return inner;
        }

        return node;
    }

    /// <summary>
    /// Orders one target element against a literal: negative, zero or positive; null when their data types differ
    /// (which makes every comparison except != false).
    /// </summary>
    private static int? Compare(Target target, JsonNode? element, QLiteral literal)
    {
        if (target.Shape == TargetShape.Instant)
        {
            return CompareInstant(target.Instant, literal);
        }

        if (element is not JsonValue value)
        {
            return null;
        }

        if (target.Shape is TargetShape.Reference or TargetShape.ListReference)
        {
            return literal.Kind is LiteralKind.Uri or LiteralKind.String && TryGetString(value, out var iri)
                ? string.CompareOrdinal(iri, literal.Text)
                : null;
        }

        switch (value.GetValueKind())
        {
            case JsonValueKind.Number:
                return literal.Kind == LiteralKind.Number && TryGetNumber(value, out var number) ? number.CompareTo(literal.Number) : null;
            case JsonValueKind.True:
            case JsonValueKind.False:
                return literal.Kind == LiteralKind.Boolean ? value.GetValue<bool>().CompareTo(literal.Boolean) : null;
            case JsonValueKind.String when TryGetString(value, out var text):
                return CompareText(text, literal, target.Shape == TargetShape.Vocab);
            default:
                return null;
        }
    }

    private static int? CompareText(string text, QLiteral literal, bool vocab)
    {
        switch (literal.Kind)
        {
            case LiteralKind.String:
                return string.CompareOrdinal(text, literal.Text);
            case LiteralKind.Uri:
                return string.CompareOrdinal(text, vocab ? literal.ExpandedText : literal.Text);
            case LiteralKind.DateTime:
                if (Temporal.TryParseDateTime(text, out var instant))
                {
                    return instant.CompareTo(literal.Instant);
                }

                // A date value against a date-time literal: the date stands for its first instant (UTC).
                return Temporal.TryParseDate(text, out var day) ? Midnight(day).CompareTo(literal.Instant) : null;
            case LiteralKind.Date:
                if (Temporal.TryParseDate(text, out var date))
                {
                    return date.CompareTo(literal.Date);
                }

                return Temporal.TryParseDateTime(text, out var at) ? at.CompareTo(Midnight(literal.Date)) : null;
            case LiteralKind.Time:
                return Temporal.TryParseTime(text, out var time) ? time.CompareTo(literal.TimeOfDay) : null;
            default:
                return null;
        }
    }

    /// <summary>Timestamps compare with date-times, dates (their first instant) and quoted strings that hold a date-time (as Orion-LD does).</summary>
    private static int? CompareInstant(DateTimeOffset instant, QLiteral literal) => literal.Kind switch
    {
        LiteralKind.DateTime => instant.CompareTo(literal.Instant),
        LiteralKind.Date => instant.CompareTo(Midnight(literal.Date)),
        LiteralKind.String when Temporal.TryParseDateTime(literal.Text, out var parsed) => instant.CompareTo(parsed),
        _ => null,
    };

    private static DateTimeOffset Midnight(DateOnly date) => new(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static bool TryGetString(JsonNode? node, out string text)
    {
        text = "";
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            return false;
        }

        text = value.TryGetValue<string>(out var s) ? s : JsonDocument.Parse(value.ToJsonString()).RootElement.GetString() ?? "";
        return true;
    }

    /// <summary>A JSON number, whether the node was parsed (JsonElement-backed) or built from a CLR number.</summary>
    private static bool TryGetNumber(JsonValue value, out double number)
    {
        if (value.TryGetValue(out number))
        {
            return true;
        }

        if (value.TryGetValue<long>(out var int64))
        {
            number = int64;
            return true;
        }

        if (value.TryGetValue<int>(out var int32))
        {
            number = int32;
            return true;
        }

        if (value.TryGetValue<decimal>(out var dec))
        {
            number = (double)dec;
            return true;
        }

        if (value.TryGetValue<float>(out var single))
        {
            number = single;
            return true;
        }

        if (value.TryGetValue<ulong>(out var uint64))
        {
            number = uint64;
            return true;
        }

        return double.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out number);
    }
}
