using CityOS.Context.Query;
using CityOS.Core.Security;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Storage;

/// <summary>
/// The index prefilters of an <see cref="EntityQuery"/> (any may be null): conditions every match satisfies, over
/// the facts of <see cref="EntityIndexEntries"/>, which narrow the candidates an engine reads and must never exclude
/// a match. Computed once per query.
/// </summary>
public sealed record IndexPrefilter(
    IReadOnlyList<string>? Ids,
    IReadOnlyList<string>? TypeAnyOf,
    IReadOnlyList<string>? HasAnyAttribute,
    string? GeoPropertyIri,
    Envelope? GeoEnvelope,
    IReadOnlyList<ValueFilter> ValueFilters);

/// <summary>An index prefilter on the value of a top-level Property (any instance).</summary>
public sealed record ValueFilter(string AttributeIri)
{
    public double? Min { get; init; }
    public bool MinInclusive { get; init; } = true;
    public double? Max { get; init; }
    public bool MaxInclusive { get; init; } = true;
    public IReadOnlyList<double>? NumberAnyOf { get; init; }
    public IReadOnlyList<string>? TextAnyOf { get; init; }

    /// <summary>
    /// A range whose bounds come from several q comparisons: each may be met by another number of the attribute (an
    /// array element, another instance), so an entity holding several numbers of it is a candidate outside the range too.
    /// </summary>
    public bool FromSeveralTerms { get; init; }
}

/// <summary>
/// Derives the <see cref="IndexPrefilter"/> of a query, and maps a q term that every match satisfies to a value
/// prefilter. Only what the value index can answer exactly is mapped (numbers by range or equality, texts by
/// equality); the rest is left to the exact evaluation.
/// </summary>
public static class IndexFilters
{
    public static IndexPrefilter Of(EntityQuery query)
    {
        var selectors = query.Entities;
        var types = selectors.Count > 0 && selectors.All(s => s.Type?.AnyOf is not null)
            ? selectors.SelectMany(s => s.Type!.AnyOf!).Distinct(StringComparer.Ordinal).ToList()
            : GrantedTypes(query.Readable);
        return new IndexPrefilter(
            selectors.Count == 1 ? selectors[0].Ids : null,
            types,
            query.Attributes,
            query.Geo?.PropertyIri,
            query.Geo?.Query.SearchEnvelope,
            query.Q is null ? [] : Combine(query.Q.ConjunctiveTerms.Select(ToValueFilter).OfType<ValueFilter>()));
    }

    /// <summary>Whether the prefilters select exactly the entities of the query's selectors: one selector of ids (some) and plain type names.</summary>
    public static bool SelectsEntitiesExactly(EntityQuery query) =>
        query.Entities is [{ IdPattern: null, Ids: null or { Count: > 0 } } only] && (only.Type is null || only.Type.AnyOf is not null);

    /// <summary>The types a caller may read anything of, when every grant names its types (an entity is readable only with one of them).</summary>
    private static List<string>? GrantedTypes(AccessScope readable) =>
        !readable.Unrestricted && readable.Grants.Count > 0 && readable.Grants.All(g => g.EntityTypes.Count > 0)
            ? readable.Grants.SelectMany(g => g.EntityTypes).Distinct(StringComparer.Ordinal).ToList()
            : null;

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
    /// become one index range, so the store reads the matching slice instead of two half-tables
    /// (and the entities holding several numbers of the attribute, see <see cref="ValueFilter.FromSeveralTerms"/>).
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
                FromSeveralTerms = true,
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
