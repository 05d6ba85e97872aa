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
}
