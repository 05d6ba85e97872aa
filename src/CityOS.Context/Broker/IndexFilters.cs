using CityOS.Context.Query;
using CityOS.Context.Storage;

namespace CityOS.Context.Broker;

/// <summary>
/// Maps a q term that every match satisfies to the store's index prefilter. Only what the value
/// index can answer exactly is mapped (numbers by range or equality, texts by equality); the rest
/// is left to the exact predicate.
/// </summary>
public static class IndexFilters
{
    public static ValueFilter? ToValueFilter(IndexableTerm term)
    {
        var filter = new ValueFilter(term.AttributeIri);
        if (!term.IsNumeric)
        {
            return term.Operator switch
            {
                IndexableOperator.Equal or IndexableOperator.AnyOf => filter with { TextAnyOf = term.Texts },
                _ => null,
            };
        }
        return term.Operator switch
        {
            IndexableOperator.Equal or IndexableOperator.AnyOf => filter with { NumberAnyOf = term.Numbers },
            IndexableOperator.Less => filter with { Max = term.Numbers[0], MaxInclusive = false },
            IndexableOperator.LessOrEqual => filter with { Max = term.Numbers[0] },
            IndexableOperator.Greater => filter with { Min = term.Numbers[0], MinInclusive = false },
            IndexableOperator.GreaterOrEqual => filter with { Min = term.Numbers[0] },
            IndexableOperator.Range => filter with { Min = term.Numbers[0], Max = term.Numbers[1] },
            _ => null,
        };
    }

    /// <summary>
    /// One filter per attribute: q terms on the same attribute (a range written as two comparisons)
    /// become one index range, so the store reads the matching slice instead of two half-tables.
    /// </summary>
    public static IReadOnlyList<ValueFilter> Combine(IEnumerable<ValueFilter> filters) =>
        filters.GroupBy(f => f.AttributeIri, StringComparer.Ordinal).Select(Intersect).ToList();

    private static ValueFilter Intersect(IEnumerable<ValueFilter> filters)
    {
        ValueFilter? merged = null;
        foreach (var filter in filters)
        {
            if (filter.TextAnyOf is not null || filter.NumberAnyOf is not null) return filter;
            merged = merged is null ? filter : merged with
            {
                Min = Tighter(merged.Min, merged.MinInclusive, filter.Min, filter.MinInclusive, lower: true, out var minInclusive),
                MinInclusive = minInclusive,
                Max = Tighter(merged.Max, merged.MaxInclusive, filter.Max, filter.MaxInclusive, lower: false, out var maxInclusive),
                MaxInclusive = maxInclusive,
            };
        }
        return merged!;
    }

    private static double? Tighter(double? a, bool aInclusive, double? b, bool bInclusive, bool lower, out bool inclusive)
    {
        if (a is null || b is null)
        {
            inclusive = a is null ? bInclusive : aInclusive;
            return a ?? b;
        }
        if (a.Value == b.Value)
        {
            inclusive = aInclusive && bInclusive;
            return a;
        }
        var takeA = lower ? a.Value > b.Value : a.Value < b.Value;
        inclusive = takeA ? aInclusive : bInclusive;
        return takeA ? a : b;
    }
}
