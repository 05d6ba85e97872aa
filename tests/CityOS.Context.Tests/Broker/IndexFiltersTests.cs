using CityOS.Context.Broker;
using CityOS.Context.Query;
using CityOS.Context.Storage;

namespace CityOS.Context.Tests.Broker;

/// <summary>q terms become the store's index prefilters: ranges on one attribute are merged into one slice.</summary>
public sealed class IndexFiltersTests
{
    private static IReadOnlyList<ValueFilter> Filters(string q) =>
        IndexFilters.Combine(QExpression.Parse(q).Expand(n => "urn:" + n).ConjunctiveTerms.Select(IndexFilters.ToValueFilter).OfType<ValueFilter>());

    [Theory]
    [InlineData("a>=5;a<10", 5.0, true, 10.0, false)]
    [InlineData("a>5;a>=7", 7.0, true, null, true)]
    [InlineData("a>7;a>=7", 7.0, false, null, true)]
    [InlineData("a<=3;a<3", null, true, 3.0, false)]
    [InlineData("a==1..4;a<2", 1.0, true, 2.0, false)]
    public void Ranges_on_one_attribute_become_one_slice(string q, double? min, bool minInclusive, double? max, bool maxInclusive)
    {
        var filter = Assert.Single(Filters(q));

        Assert.Equal("urn:a", filter.AttributeIri);
        Assert.Equal(min, filter.Min);
        if (min is not null) Assert.Equal(minInclusive, filter.MinInclusive);
        Assert.Equal(max, filter.Max);
        if (max is not null) Assert.Equal(maxInclusive, filter.MaxInclusive);
    }

    [Fact]
    public void Lists_and_texts_are_kept_and_other_attributes_stay_separate()
    {
        var filters = Filters("a==1,2,3;a>0;b==\"x\";c!=4");

        Assert.Equal(2, filters.Count);
        Assert.Equal([1.0, 2.0, 3.0], filters[0].NumberAnyOf!);
        Assert.Equal(["x"], filters[1].TextAnyOf!);
    }

    [Fact]
    public void Disjunctions_give_no_prefilter()
    {
        Assert.Empty(Filters("a>1|b<2"));
    }
}
