using CityOS.Context.Model;
using CityOS.Context.Temporal.Storage;

namespace CityOS.Context.Temporal;

/// <summary>One aggregation period of one datasetId: the value per method, over [Start, End).</summary>
public sealed record AggregatedPeriod(DateTimeOffset Start, DateTimeOffset End, IReadOnlyDictionary<AggregationMethod, double?> Values);

/// <summary>
/// The aggregations of 4.5.19 over values in time order. Periods of aggrPeriodDuration start at the
/// query's start (timeAt for after and between, else the first value) and follow one another; periods
/// without values are left out. A zero or absent duration is one period over the whole range. Numbers
/// count for sum, avg, min, max, stddev (sample, n − 1) and sumsq, booleans as 1 and 0; totalCount counts
/// every instance and distinctCount the distinct values.
/// </summary>
public static class Aggregator
{
    public static IReadOnlyList<AggregatedPeriod> Aggregate(IReadOnlyList<TimedValue> values, TemporalQuery query)
    {
        if (values.Count == 0) return [];
        var filter = query.Time;
        var start = filter.Relation is TimeRelation.After or TimeRelation.Between ? filter.At!.Value : values[0].Time;
        var periods = new List<AggregatedPeriod>();
        if (query.Period.IsZero)
        {
            var end = filter.Relation switch
            {
                TimeRelation.Between => filter.EndAt!.Value,
                TimeRelation.Before => filter.At!.Value,
                _ => values[^1].Time,
            };
            periods.Add(Period(values, 0, values.Count, start, end, query.Methods));
            return periods;
        }
        var index = 0;
        var periodStart = start;
        while (index < values.Count)
        {
            var periodEnd = query.Period.AddTo(periodStart);
            if (values[index].Time >= periodEnd)
            {
                periodStart = SkipTo(periodStart, periodEnd, values[index].Time, query.Period);
                continue;
            }
            var first = index;
            while (index < values.Count && values[index].Time < periodEnd) index++;
            periods.Add(Period(values, first, index, periodStart, periodEnd, query.Methods));
            periodStart = periodEnd;
        }
        return periods;
    }

    /// <summary>The periods of a fixed-length duration (or of the whole range), from sums the store computed per period.</summary>
    public static IReadOnlyList<(string? DatasetId, AttributeKind Kind, IReadOnlyList<AggregatedPeriod> Periods)> FromSums(
        IReadOnlyList<PeriodSums> sums, DateTimeOffset start, TimeSpan period, TemporalQuery query)
    {
        var filter = query.Time;
        var groups = new List<(string?, AttributeKind, IReadOnlyList<AggregatedPeriod>)>();
        foreach (var group in sums.GroupBy(s => s.DatasetId))
        {
            var periods = new List<AggregatedPeriod>();
            foreach (var sum in group)
            {
                var periodStart = query.Period.IsZero ? start : start + period * sum.Period;
                var periodEnd = query.Period.IsZero
                    ? filter.Relation switch { TimeRelation.Between => filter.EndAt!.Value, TimeRelation.Before => filter.At!.Value, _ => sum.Last }
                    : periodStart + period;
                var results = new Dictionary<AggregationMethod, double?>();
                var n = sum.NumberCount;
                foreach (var method in query.Methods)
                {
                    results[method] = method switch
                    {
                        AggregationMethod.TotalCount => sum.Count,
                        AggregationMethod.DistinctCount => sum.Distinct,
                        _ when n == 0 => null,
                        AggregationMethod.Sum => sum.Sum,
                        AggregationMethod.Avg => sum.Sum / n,
                        AggregationMethod.Min => sum.Min,
                        AggregationMethod.Max => sum.Max,
                        AggregationMethod.Sumsq => sum.SumOfSquares,
                        AggregationMethod.Stddev => n < 2 ? 0 : Math.Sqrt(Math.Max(0, (sum.SumOfSquares - sum.Sum * sum.Sum / n) / (n - 1))),
                        _ => null,
                    };
                }
                periods.Add(new AggregatedPeriod(periodStart, periodEnd, results));
            }
            groups.Add((group.Key, group.First().Kind, periods));
        }
        return groups;
    }

    /// <summary>Jumps over empty periods; fixed-length durations jump in one step, calendar ones walk.</summary>
    private static DateTimeOffset SkipTo(DateTimeOffset periodStart, DateTimeOffset periodEnd, DateTimeOffset target, IsoDuration period)
    {
        if (period.Years == 0 && period.Months == 0)
        {
            var length = periodEnd - periodStart;
            var steps = (target - periodStart).Ticks / length.Ticks;
            return periodStart + TimeSpan.FromTicks(length.Ticks * steps);
        }
        return periodEnd;
    }

    private static AggregatedPeriod Period(IReadOnlyList<TimedValue> values, int from, int to, DateTimeOffset start, DateTimeOffset end, IReadOnlyList<AggregationMethod> methods)
    {
        long count = 0;
        double sum = 0, sumsq = 0, min = double.MaxValue, max = double.MinValue;
        HashSet<string?>? distinct = methods.Contains(AggregationMethod.DistinctCount) ? new(StringComparer.Ordinal) : null;
        for (var i = from; i < to; i++)
        {
            var value = values[i];
            distinct?.Add(value.Value);
            if (value.Number is not { } number) continue;
            count++;
            sum += number;
            sumsq += number * number;
            if (number < min) min = number;
            if (number > max) max = number;
        }
        var results = new Dictionary<AggregationMethod, double?>();
        foreach (var method in methods)
        {
            results[method] = method switch
            {
                AggregationMethod.TotalCount => to - from,
                AggregationMethod.DistinctCount => distinct!.Count,
                _ when count == 0 => null,
                AggregationMethod.Sum => sum,
                AggregationMethod.Avg => sum / count,
                AggregationMethod.Min => min,
                AggregationMethod.Max => max,
                AggregationMethod.Sumsq => sumsq,
                AggregationMethod.Stddev => StandardDeviation(values, from, to, count, sum / count),
                _ => null,
            };
        }
        return new AggregatedPeriod(start, end, results);
    }

    private static double StandardDeviation(IReadOnlyList<TimedValue> values, int from, int to, long count, double mean)
    {
        if (count < 2) return 0;
        double squares = 0;
        for (var i = from; i < to; i++)
        {
            if (values[i].Number is { } number) squares += (number - mean) * (number - mean);
        }
        return Math.Sqrt(squares / (count - 1));
    }
}
