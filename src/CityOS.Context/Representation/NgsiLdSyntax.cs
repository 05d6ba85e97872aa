using System.Globalization;
using CityOS.Context.Model;

namespace CityOS.Context.Representation;

/// <summary>The lexical rules of NGSI-LD payloads shared by the parser and the renderer.</summary>
internal static class NgsiLdSyntax
{
    /// <summary>The NGSI-LD null (4.5.0 of v1.8): in merge-patch and partial update it deletes what it replaces.</summary>
    public const string NgsiNull = "urn:ngsi-ld:null";

    /// <summary>"@none": the languageMap entry without a language, and the datasetId filter value for default instances.</summary>
    public const string NoneKey = "@none";

    /// <summary>
    /// Members of an attribute that are part of the NGSI-LD core context rather than sub-attributes;
    /// none of them may be used as the name of an attribute or a sub-attribute.
    /// </summary>
    public static readonly HashSet<string> AttributeMembers = new(StringComparer.Ordinal)
    {
        "type", "value", "object", "objectType", "languageMap", "valueList", "objectList", "vocab", "json",
        "observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt", "deletedAt", "instanceId", "lang", "expiresAt",
    };

    /// <summary>Entity members that are not attributes.</summary>
    public static readonly HashSet<string> EntityMembers = new(StringComparer.Ordinal)
    {
        "id", "type", "scope", "@context", "createdAt", "modifiedAt", "deletedAt", "expiresAt",
    };

    /// <summary>Whether a value is the NGSI-LD Null string itself.</summary>
    public static bool IsNgsiNullString(System.Text.Json.Nodes.JsonNode? value) =>
        value is System.Text.Json.Nodes.JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String && v.GetValue<string>() == NgsiNull;

    /// <summary>The NGSI-LD Null in the form an attribute of that kind carries it (4.5.0): a languageMap {"@none": null}, a one-item list, else the string.</summary>
    public static System.Text.Json.Nodes.JsonNode NullValue(AttributeKind kind) => kind switch
    {
        AttributeKind.LanguageProperty => new System.Text.Json.Nodes.JsonObject { [NoneKey] = NgsiNull },
        AttributeKind.ListProperty or AttributeKind.ListRelationship => new System.Text.Json.Nodes.JsonArray(NgsiNull),
        _ => NgsiNull,
    };

    public static string KindName(AttributeKind kind) => kind switch
    {
        AttributeKind.Property => "Property",
        AttributeKind.Relationship => "Relationship",
        AttributeKind.GeoProperty => "GeoProperty",
        AttributeKind.LanguageProperty => "LanguageProperty",
        AttributeKind.ListProperty => "ListProperty",
        AttributeKind.ListRelationship => "ListRelationship",
        AttributeKind.VocabProperty => "VocabProperty",
        AttributeKind.JsonProperty => "JsonProperty",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParseKind(string name, out AttributeKind kind)
    {
        switch (name)
        {
            case "Property": kind = AttributeKind.Property; return true;
            case "Relationship": kind = AttributeKind.Relationship; return true;
            case "GeoProperty": kind = AttributeKind.GeoProperty; return true;
            case "LanguageProperty": kind = AttributeKind.LanguageProperty; return true;
            case "ListProperty": kind = AttributeKind.ListProperty; return true;
            case "ListRelationship": kind = AttributeKind.ListRelationship; return true;
            case "VocabProperty": kind = AttributeKind.VocabProperty; return true;
            case "JsonProperty": kind = AttributeKind.JsonProperty; return true;
            default: kind = default; return false;
        }
    }

    /// <summary>The member that carries the value of each kind in the normalized and concise forms.</summary>
    public static string ValueMember(AttributeKind kind) => kind switch
    {
        AttributeKind.Property or AttributeKind.GeoProperty => "value",
        AttributeKind.Relationship => "object",
        AttributeKind.LanguageProperty => "languageMap",
        AttributeKind.ListProperty => "valueList",
        AttributeKind.ListRelationship => "objectList",
        AttributeKind.VocabProperty => "vocab",
        AttributeKind.JsonProperty => "json",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// An absolute IRI (RFC 3987) as NGSI-LD requires for entity ids, objects and datasetIds: a scheme,
    /// a colon, and no character that can never appear in an IRI. Deliberately not <see cref="Uri"/>, which
    /// accepts and silently rewrites many strings that are not IRIs.
    /// </summary>
    public static bool IsAbsoluteIri(string? s)
    {
        if (string.IsNullOrEmpty(s) || !char.IsAsciiLetter(s[0]))
        {
            return false;
        }
        var colon = -1;
        for (var i = 1; i < s.Length; i++)
        {
            var c = s[i];
            if (c == ':')
            {
                colon = i;
                break;
            }
            if (!char.IsAsciiLetterOrDigit(c) && c != '+' && c != '-' && c != '.')
            {
                return false;
            }
        }
        if (colon < 0 || colon == s.Length - 1)
        {
            return false;
        }
        foreach (var rune in s.AsSpan(colon + 1).EnumerateRunes())
        {
            if (rune.IsBmp && IsNeverInIri((char)rune.Value) || IsInvisible(rune))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Characters that render as nothing (or as another text direction): an IRI holding one reads as a different IRI in
    /// logs and user interfaces, so it names nothing. Spaces and separators, format characters (bidi controls, zero-width
    /// characters, the byte order mark), variation selectors, noncharacters, lone surrogates and the blank fillers.
    /// </summary>
    private static bool IsInvisible(System.Text.Rune rune)
    {
        var value = rune.Value;
        if (value is >= 0xFDD0 and <= 0xFDEF || (value & 0xFFFE) == 0xFFFE
            || value is >= 0xFE00 and <= 0xFE0F or >= 0xE0100 and <= 0xE01EF
            || value is 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x2800 or 0xFFFD)
        {
            return true;
        }
        return System.Text.Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.SpaceSeparator
            or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator
            or System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.Control
            or System.Globalization.UnicodeCategory.Surrogate or System.Globalization.UnicodeCategory.PrivateUse;
    }

    private static bool IsNeverInIri(char c) =>
        c <= ' ' || c == 0x7F || c is '<' or '>' or '"' or '{' or '}' or '|' or '\\' or '^' or '`';

    /// <summary>
    /// Names of attributes, sub-attributes and entity types: a term or an IRI, without the characters
    /// Orion-LD forbids because they break the query language and URL paths.
    /// </summary>
    public static bool IsValidName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }
        foreach (var c in name)
        {
            if (c <= ' ' || c == 0x7F || c is '<' or '>' or '"' or '\'' or '=' or ';' or '(' or ')' or '\\' or '{' or '}' or '|' or '^' or '`')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A JSON-LD keyword such as @id or @type (or any "@" name, which JSON-LD reserves for keywords).</summary>
    public static bool IsKeyword(string name) => name.Length > 0 && name[0] == '@';

    /// <summary>A scope (4.18): "/" followed by one or more "/"-separated levels of letters, digits and underscores.</summary>
    public static bool IsValidScope(string scope)
    {
        if (scope.Length < 2 || scope[0] != '/' || scope[^1] == '/')
        {
            return false;
        }
        for (var i = 1; i < scope.Length; i++)
        {
            var c = scope[i];
            if (c == '/')
            {
                if (scope[i - 1] == '/')
                {
                    return false;
                }
            }
            else if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A BCP 47 language tag in its usual shape (RFC 5646 2.1): alphanumeric subtags of 1 to 8 characters separated by hyphens, the first alphabetic.</summary>
    public static bool IsLanguageTag(string tag)
    {
        if (tag.Length == 0)
        {
            return false;
        }
        var start = 0;
        var first = true;
        for (var i = 0; i <= tag.Length; i++)
        {
            if (i < tag.Length && tag[i] != '-')
            {
                if (!char.IsAsciiLetterOrDigit(tag[i]) || (first && !char.IsAsciiLetter(tag[i])))
                {
                    return false;
                }
                continue;
            }
            var length = i - start;
            if (length is < 1 or > 8)
            {
                return false;
            }
            first = false;
            start = i + 1;
        }
        return true;
    }

    /// <summary>
    /// An ISO 8601 date-time as NGSI-LD DateTime values are written: a full date, "T", hours and minutes,
    /// optional seconds and fraction, and an optional zone (UTC assumed when absent, as Orion-LD does).
    /// </summary>
    public static bool TryParseDateTime(string s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':')
        {
            return false;
        }
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    /// <summary>
    /// A DateTime an attribute carries (observedAt, expiresAt): in UTC (4.6.3), so written with "Z" or with no zone
    /// (read as UTC, as Orion-LD does); an offset such as "+02:00" names local time and is refused.
    /// </summary>
    public static bool TryParseUtcDateTime(string s, out DateTimeOffset value)
    {
        var zone = s.Length > 19 ? s.AsSpan(19).IndexOfAny('+', '-') : -1;
        if (zone >= 0)
        {
            value = default;
            return false;
        }
        return TryParseDateTime(s, out value);
    }

    /// <summary>
    /// UTC with milliseconds and "Z", the form Orion-LD renders every DateTime in. Written digit by digit:
    /// with sysAttrs every attribute carries two timestamps, and a custom format string costs several times more.
    /// </summary>
    public static string FormatDateTime(DateTimeOffset value) => string.Create(24, value.UtcDateTime, static (span, utc) =>
    {
        WriteDigits(span[..4], utc.Year);
        span[4] = '-';
        WriteDigits(span.Slice(5, 2), utc.Month);
        span[7] = '-';
        WriteDigits(span.Slice(8, 2), utc.Day);
        span[10] = 'T';
        WriteDigits(span.Slice(11, 2), utc.Hour);
        span[13] = ':';
        WriteDigits(span.Slice(14, 2), utc.Minute);
        span[16] = ':';
        WriteDigits(span.Slice(17, 2), utc.Second);
        span[19] = '.';
        WriteDigits(span.Slice(20, 3), utc.Millisecond);
        span[23] = 'Z';
    });

    /// <summary>
    /// A DateTime a client supplied (observedAt): UTC with "Z", without the fraction when it is zero (unless the client
    /// wrote one, <paramref name="withFraction"/>), else with milliseconds. Clients write whole seconds as "...:00Z" or
    /// "...:00.000Z", and a reader that compares strings (or hashes list items) then sees what it sent; both forms are
    /// ISO 8601 (4.6.3). System timestamps (createdAt, modifiedAt, notifiedAt...) keep <see cref="FormatDateTime"/>'s fixed width.
    /// </summary>
    public static string FormatObservedDateTime(DateTimeOffset value, bool withFraction = false)
    {
        var text = FormatDateTime(value);
        return value.UtcDateTime.Millisecond == 0 && !withFraction ? string.Concat(text.AsSpan(0, 19), "Z") : text;
    }

    private static void WriteDigits(Span<char> target, int value)
    {
        for (var i = target.Length - 1; i >= 0; i--)
        {
            target[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}
