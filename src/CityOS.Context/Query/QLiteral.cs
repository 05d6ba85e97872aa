using System.Globalization;

namespace CityOS.Context.Query;

/// <summary>The kinds of constant a q expression can compare against (4.9 Value, URI).</summary>
internal enum LiteralKind
{
    Number,

    /// <summary>A double-quoted JSON string: compared as text, never expanded.</summary>
    String,

    Boolean,
    DateTime,
    Date,
    Time,

    /// <summary>
    /// An unquoted URI (<c>urn:ngsi-ld:Car:1</c>) or bare term (<c>Male</c>, spec example 12): compared as
    /// text with Relationship objects and string values, and in expanded form with VocabProperty values.
    /// </summary>
    Uri,
}

/// <summary>One constant of a q expression. Immutable.</summary>
internal sealed class QLiteral
{
    private QLiteral(LiteralKind kind, string text)
    {
        Kind = kind;
        Text = text;
        ExpandedText = text;
    }

    public LiteralKind Kind { get; }

    /// <summary>The text of a string or URI; the source text of the other kinds (for messages).</summary>
    public string Text { get; }

    /// <summary>For <see cref="LiteralKind.Uri"/>: the term expanded against the @context (VocabProperty targets).</summary>
    public string ExpandedText { get; private init; }

    public double Number { get; private init; }
    public bool Boolean { get; private init; }
    public DateTimeOffset Instant { get; private init; }
    public DateOnly Date { get; private init; }

    /// <summary>A time of day normalised to UTC, so times written with different offsets compare correctly.</summary>
    public TimeSpan TimeOfDay { get; private init; }

    /// <summary>Number, string, date-time, date and time: the ComparableValue production, the only kinds ordering operators and ranges accept.</summary>
    public bool IsComparable => Kind is not (LiteralKind.Boolean or LiteralKind.Uri);

    public static QLiteral OfNumber(double value, string text) => new(LiteralKind.Number, text) { Number = value };
    public static QLiteral OfString(string value) => new(LiteralKind.String, value);
    public static QLiteral OfBoolean(bool value) => new(LiteralKind.Boolean, value ? "true" : "false") { Boolean = value };
    public static QLiteral OfDateTime(DateTimeOffset value, string text) => new(LiteralKind.DateTime, text) { Instant = value };
    public static QLiteral OfDate(DateOnly value, string text) => new(LiteralKind.Date, text) { Date = value };
    public static QLiteral OfTime(TimeSpan utcTimeOfDay, string text) => new(LiteralKind.Time, text) { TimeOfDay = utcTimeOfDay };
    public static QLiteral OfUri(string value) => new(LiteralKind.Uri, value);

    public QLiteral WithExpansion(Func<string, string> expandValue) =>
        Kind == LiteralKind.Uri ? new QLiteral(LiteralKind.Uri, Text) { ExpandedText = expandValue(Text) } : this;
}

/// <summary>ISO 8601 parsing for the Date, Time and DateTime values of 4.6.3, used for literals and for target values alike.</summary>
internal static class Temporal
{
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mmK",
    ];

    private static readonly string[] TimeFormats = [@"hh\:mm\:ss\.FFFFFFF", @"hh\:mm\:ss", @"hh\:mm"];

    /// <summary>A date-time; one without an offset is taken as UTC (NGSI-LD timestamps are UTC).</summary>
    public static bool TryParseDateTime(string text, out DateTimeOffset value)
    {
        value = default;
        // Cheap shape check first: target values are parsed on every evaluation, most are not dates.
        if (text.Length < 16 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't'))
        {
            return false;
        }

        return DateTimeOffset.TryParseExact(text.Replace('t', 'T').Replace('z', 'Z').Replace(',', '.'), DateTimeFormats,
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    public static bool TryParseDate(string text, out DateOnly value)
    {
        value = default;
        return text.Length == 10 && text[4] == '-' && text[7] == '-' &&
               DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    /// <summary>A time of day with an optional zone (Z or ±hh:mm), normalised to UTC.</summary>
    public static bool TryParseTime(string text, out TimeSpan utcTimeOfDay)
    {
        utcTimeOfDay = default;
        if (text.Length < 5 || text[2] != ':')
        {
            return false;
        }

        var clock = text;
        var offset = TimeSpan.Zero;
        if (clock.EndsWith('Z') || clock.EndsWith('z'))
        {
            clock = clock[..^1];
        }
        else
        {
            var sign = clock.LastIndexOfAny(['+', '-']);
            if (sign > 0)
            {
                if (!TimeSpan.TryParseExact(clock[(sign + 1)..], @"hh\:mm", CultureInfo.InvariantCulture, out offset))
                {
                    return false;
                }

                if (clock[sign] == '-')
                {
                    offset = -offset;
                }

                clock = clock[..sign];
            }
        }

        if (!TimeSpan.TryParseExact(clock.Replace(',', '.'), TimeFormats, CultureInfo.InvariantCulture, out var local) ||
            local >= TimeSpan.FromDays(1))
        {
            return false;
        }

        var utc = (local - offset).Ticks % TimeSpan.TicksPerDay;
        utcTimeOfDay = TimeSpan.FromTicks(utc < 0 ? utc + TimeSpan.TicksPerDay : utc);
        return true;
    }
}
