using CityOS.Context.Query;
using CityOS.Core;

namespace CityOS.Context.Tests.Query;

public class TypeSelectorTests
{
    private static TypeSelector Selector(string type) => TypeSelector.Parse(type).Expand(SampleEntity.Expand);

    [Theory]
    [InlineData("Building", "Building", true)]
    [InlineData("Building", "House", false)]
    [InlineData("Building", "House,Building", true)]
    [InlineData("Building,House", "House", true)]
    [InlineData("Building|House", "House", true)]
    [InlineData("Building|House", "Car", false)]
    [InlineData("(Home;Vehicle)", "Home", false)]
    [InlineData("(Home;Vehicle)", "Vehicle,Home", true)]
    [InlineData("(Home;Vehicle)|Motorhome", "Motorhome", true)]
    [InlineData("(Home;Vehicle)|Motorhome", "Home", false)]
    [InlineData("(Home;Vehicle),Motorhome", "Home,Vehicle", true)]
    [InlineData("Home;Vehicle|Motorhome", "Home,Vehicle", true)]
    [InlineData("Home;Vehicle|Motorhome", "Vehicle", false)]
    [InlineData("((A;B)|C);D", "C,D", true)]
    [InlineData("((A;B)|C);D", "A,B", false)]
    [InlineData(" Building , House ", "House", true)]
    [InlineData("*", "Anything", true)]
    [InlineData("urn:example:Type", "urn:example:Type", true)]
    [InlineData("https://schema.org/Place", "https://schema.org/Place", true)]
    public void SelectsEntitiesByTheirTypes(string type, string entityTypes, bool expected) =>
        Assert.Equal(expected, Selector(type).Matches(entityTypes.Split(',').Select(SampleEntity.Expand).ToList()));

    [Fact]
    public void UnexpandedNamesDoNotMatchExpandedTypes()
    {
        var types = new[] { SampleEntity.Expand("Building") };

        Assert.False(TypeSelector.Parse("Building").Matches(types));
        Assert.True(TypeSelector.Parse("Building").Expand(SampleEntity.Expand).Matches(types));
    }

    [Theory]
    [InlineData("A", "A")]
    [InlineData("A,B", "A B")]
    [InlineData("A|B,A", "A B")]
    [InlineData("(A)|(B)", "A B")]
    public void APlainOrOfNamesOffersThemForAnIndexLookup(string type, string names) =>
        Assert.Equal(names.Split(' ').Select(SampleEntity.Expand), Selector(type).AnyOf);

    [Theory]
    [InlineData("(A;B)")]
    [InlineData("(A;B)|C")]
    [InlineData("*")]
    [InlineData("A,*")]
    public void OtherSelectorsOfferNoIndexLookup(string type) => Assert.Null(Selector(type).AnyOf);

    [Fact]
    public void StarMatchesAll()
    {
        Assert.True(Selector("*").MatchesAll);
        Assert.False(Selector("A").MatchesAll);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("A,", "position 3: unexpected end")]
    [InlineData("A,,B", "position 3: unexpected ','")]
    [InlineData("(A;B", "position 1: '(' is not closed")]
    [InlineData("A)", "position 2: unexpected ')'")]
    [InlineData("()", "position 2: unexpected ')'")]
    [InlineData("A B", "position 3: unexpected 'B'")]
    public void MalformedSelectorsAreBadRequestData(string type, string message)
    {
        var error = Assert.Throws<NgsiLdException>(() => TypeSelector.Parse(type));

        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.Contains("Invalid type", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void DeepNestingIsTooComplex()
    {
        var error = Assert.Throws<NgsiLdException>(() => TypeSelector.Parse(new string('(', 17) + "A" + new string(')', 17)));

        Assert.Equal(NgsiLdErrorType.TooComplexQuery, error.Type);
    }
}
