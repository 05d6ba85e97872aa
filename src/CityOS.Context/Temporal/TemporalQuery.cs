using System.Globalization;
using System.Text.Json.Nodes;
using CityOS.Context.Representation;
using CityOS.Core;

namespace CityOS.Context.Temporal;

/// <summary>The temporal representations: normalized (4.5.8), simplified temporalValues (4.5.9), aggregated (4.5.19).</summary>
public enum TemporalFormat
{
    Normalized,
    TemporalValues,
    Aggregated,
}

/// <summary>The aggregation methods of 5.5.9 (aggrMethods).</summary>
public enum AggregationMethod
{
    TotalCount,
    DistinctCount,
    Sum,
    Avg,
    Min,
    Max,
    Stddev,
    Sumsq,
}

/// <summary>
/// The temporal part of a retrieval or query (timerel, timeAt, endTimeAt, timeproperty, lastN, the
/// representation and the aggregation), validated: every invalid combination is BadRequestData.
/// </summary>
public sealed record TemporalQuery
{
    public TimeFilter Time { get; init; } = TimeFilter.All;
    public int? LastN { get; init; }
    public TemporalFormat Format { get; init; }
    public IReadOnlyList<AggregationMethod> Methods { get; init; } = [];
    public IsoDuration Period { get; init; }
    public bool SysAttrs { get; init; }

    /// <summary>The orderBy parameter: null keeps the broker's order, otherwise by id, ascending or (true) descending; only id is allowed (5.7.4.4).</summary>
    public bool? OrderByIdDescending { get; init; }

    /// <summary>pick and omit (4.21, 4.22): the entity members (id, type, scope, attributes) the response keeps.</summary>
    public RenderOptions Projection { get; init; } = RenderOptions.Default;

    public static readonly IReadOnlyDictionary<string, AggregationMethod> MethodNames = new Dictionary<string, AggregationMethod>(StringComparer.Ordinal)
    {
        ["totalCount"] = AggregationMethod.TotalCount,
        ["distinctCount"] = AggregationMethod.DistinctCount,
        ["sum"] = AggregationMethod.Sum,
        ["avg"] = AggregationMethod.Avg,
        ["min"] = AggregationMethod.Min,
        ["max"] = AggregationMethod.Max,
        ["stddev"] = AggregationMethod.Stddev,
        ["sumsq"] = AggregationMethod.Sumsq,
    };

    public static string MethodName(AggregationMethod method) => MethodNames.First(kv => kv.Value == method).Key;

    /// <summary>Reads the parameters; <paramref name="parameter"/> returns a parameter's text or null when absent.</summary>
    public static TemporalQuery Parse(Func<string, string?> parameter, IReadOnlySet<string> options)
    {
        var time = ParseTime(parameter);
        if (parameter("datasetId") is { } datasetIds)
        {
            var ids = datasetIds.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length == 0) throw NgsiLdException.BadRequest("datasetId is empty.");
            foreach (var id in ids)
            {
                if (id != NgsiLdSyntax.NoneKey && !Uri.TryCreate(id, UriKind.Absolute, out _)) throw NgsiLdException.BadRequest($"datasetId '{id}' is not a URI (or @none).");
            }
            time = time with { DatasetIds = ids };
        }
        int? lastN = null;
        if (parameter("lastN") is { } lastText)
        {
            if (!int.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                throw NgsiLdException.BadRequest($"lastN '{lastText}' is not a positive integer.");
            }
            lastN = n;
        }
        var format = ParseFormat(parameter("format"), options, parameter("aggrMethods") is not null);
        var methods = new List<AggregationMethod>();
        var period = default(IsoDuration);
        if (format == TemporalFormat.Aggregated)
        {
            var names = parameter("aggrMethods")
                ?? throw NgsiLdException.BadRequest("The aggregated representation needs aggrMethods (totalCount, distinctCount, sum, avg, min, max, stddev, sumsq).");
            foreach (var name in names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!MethodNames.TryGetValue(name, out var method))
                {
                    throw NgsiLdException.BadRequest($"aggrMethods: '{name}' is not an aggregation method: use totalCount, distinctCount, sum, avg, min, max, stddev or sumsq.");
                }
                if (!methods.Contains(method)) methods.Add(method);
            }
            if (methods.Count == 0) throw NgsiLdException.BadRequest("aggrMethods is empty.");
            if (parameter("aggrPeriodDuration") is { } duration) period = IsoDuration.Parse(duration);
        }
        else if (parameter("aggrPeriodDuration") is { } duration)
        {
            IsoDuration.Parse(duration);
        }
        return new TemporalQuery
        {
            Time = time,
            LastN = lastN,
            Format = format,
            Methods = methods,
            Period = period,
            SysAttrs = options.Contains("sysAttrs"),
            OrderByIdDescending = ParseOrderBy(parameter("orderBy")),
        };
    }

    /// <summary>A temporal query may only be ordered by id (5.7.4.4), as "id", "id;asc" or "id;desc".</summary>
    private static bool? ParseOrderBy(string? text) => text switch
    {
        null => null,
        "id" or "id;asc" => false,
        "id;desc" => true,
        _ => throw NgsiLdException.BadRequest($"orderBy '{text}': the temporal evolution of entities can only be ordered by id (id, id;asc or id;desc)."),
    };

    private static readonly string[] KnownOptions = ["temporalValues", "aggregatedValues", "sysAttrs", "simplified", "keyValues"];

    private static TemporalFormat ParseFormat(string? format, IReadOnlySet<string> options, bool hasMethods)
    {
        var chosen = format switch
        {
            null => (TemporalFormat?)null,
            "normalized" => TemporalFormat.Normalized,
            "temporalValues" or "simplified" or "keyValues" => TemporalFormat.TemporalValues,
            "aggregatedValues" => TemporalFormat.Aggregated,
            // A value the parameter does not define (6.3.20), as for the other retrievals.
            _ => throw NgsiLdException.InvalidRequest($"format '{format}' is not a temporal representation: use normalized, temporalValues or aggregatedValues."),
        };
        var unknown = options.FirstOrDefault(o => !KnownOptions.Contains(o));
        if (unknown is not null)
        {
            throw NgsiLdException.InvalidRequest($"Unknown value '{unknown}' in the options parameter: the temporal API knows {string.Join(", ", KnownOptions)}.");
        }
        var simplified = options.Contains("temporalValues") || options.Contains("simplified") || options.Contains("keyValues");
        var aggregated = options.Contains("aggregatedValues");
        if (simplified && aggregated) throw NgsiLdException.BadRequest("options cannot ask for both temporalValues and aggregatedValues.");
        chosen ??= simplified ? TemporalFormat.TemporalValues : aggregated ? TemporalFormat.Aggregated : null;
        return chosen ?? (hasMethods ? TemporalFormat.Aggregated : TemporalFormat.Normalized);
    }

    private static TimeFilter ParseTime(Func<string, string?> parameter)
    {
        var property = parameter("timeproperty") switch
        {
            null or "observedAt" => TimeProperty.ObservedAt,
            "createdAt" => TimeProperty.CreatedAt,
            "modifiedAt" => TimeProperty.ModifiedAt,
            "deletedAt" => TimeProperty.DeletedAt,
            var other => throw NgsiLdException.BadRequest($"timeproperty '{other}' is not observedAt, createdAt, modifiedAt or deletedAt."),
        };
        var relationText = parameter("timerel");
        var atText = parameter("timeAt");
        var endText = parameter("endTimeAt") ?? parameter("endTime");
        if (relationText is null)
        {
            if (atText is not null || endText is not null) throw NgsiLdException.BadRequest("timeAt and endTimeAt need timerel (before, after or between).");
            return new TimeFilter(property);
        }
        var relation = relationText switch
        {
            "before" => TimeRelation.Before,
            "after" => TimeRelation.After,
            "between" => TimeRelation.Between,
            _ => throw NgsiLdException.BadRequest($"timerel '{relationText}' is not before, after or between."),
        };
        var at = Date("timeAt", atText ?? throw NgsiLdException.BadRequest($"timerel={relationText} needs timeAt."));
        DateTimeOffset? end = null;
        if (relation == TimeRelation.Between)
        {
            end = Date("endTimeAt", endText ?? throw NgsiLdException.BadRequest("timerel=between needs endTimeAt."));
            if (end <= at) throw NgsiLdException.BadRequest("endTimeAt must be later than timeAt.");
        }
        else if (endText is not null)
        {
            throw NgsiLdException.BadRequest("endTimeAt is only allowed with timerel=between.");
        }
        return new TimeFilter(property, relation, at, end);
    }

    private static DateTimeOffset Date(string name, string text) => NgsiLdSyntax.TryParseDateTime(text, out var value)
        ? value
        : throw NgsiLdException.BadRequest($"{name} '{text}' is not an ISO 8601 DateTime such as 2026-11-22T02:30:00Z.");

    /// <summary>The temporalQ member (TemporalQuery, 5.2.21) of a POST query, read as the query-string parameters are.</summary>
    public static Func<string, string?> FromJson(JsonObject? temporalQ, Func<string, string?> fallback) => name =>
    {
        if (temporalQ is null || !temporalQ.TryGetPropertyValue(name, out var node) || node is null) return fallback(name);
        return node switch
        {
            JsonValue v when v.TryGetValue<string>(out var text) => text,
            JsonValue v when v.TryGetValue<int>(out var number) => number.ToString(CultureInfo.InvariantCulture),
            JsonArray a when a.All(e => e is JsonValue ev && ev.TryGetValue<string>(out _)) => string.Join(",", a.Select(e => e!.GetValue<string>())),
            _ => throw NgsiLdException.BadRequest($"temporalQ.{name} has an invalid value."),
        };
    };
}
