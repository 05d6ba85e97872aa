using CityOS.Context.Query;

namespace CityOS.Context.Tests.Query;

public class ConjunctiveTermsTests
{
    private static IReadOnlyList<IndexableTerm> Terms(string q) => QExpression.Parse(q).Expand(SampleEntity.Expand, SampleEntity.Expand).ConjunctiveTerms;

    private static string Iri(string term) => SampleEntity.Vocab + term;

    [Fact]
    public void TopLevelComparisonsOfNumbersAndStringsAreExtracted()
    {
        var terms = Terms("temperature>20;name==\"Parque\";count!=3;a<1;b<=2;c>=3");

        Assert.Equal(6, terms.Count);
        Assert.Equal((Iri("temperature"), IndexableOperator.Greater, true, (double?)20), (terms[0].AttributeIri, terms[0].Operator, terms[0].IsNumeric, terms[0].Number));
        Assert.Equal((Iri("name"), IndexableOperator.Equal, false, "Parque"), (terms[1].AttributeIri, terms[1].Operator, terms[1].IsNumeric, terms[1].Text));
        Assert.Null(terms[1].Number);
        Assert.Equal(IndexableOperator.NotEqual, terms[2].Operator);
        Assert.Equal([IndexableOperator.Less, IndexableOperator.LessOrEqual, IndexableOperator.GreaterOrEqual], terms.Skip(3).Select(t => t.Operator));
    }

    [Fact]
    public void RangesAndListsBecomeRangeAndAnyOf()
    {
        var terms = Terms("a==1..5;b==\"x\"..\"z\";c==1,2,3;d==\"p\",\"q\"");

        Assert.Equal(IndexableOperator.Range, terms[0].Operator);
        Assert.Equal([1.0, 5.0], terms[0].Numbers);
        Assert.Null(terms[0].Number);
        Assert.Equal(IndexableOperator.Range, terms[1].Operator);
        Assert.Equal(["x", "z"], terms[1].Texts);
        Assert.Null(terms[1].Text);
        Assert.Equal(IndexableOperator.AnyOf, terms[2].Operator);
        Assert.Equal([1.0, 2.0, 3.0], terms[2].Numbers);
        Assert.True(terms[2].IsNumeric);
        Assert.Equal(IndexableOperator.AnyOf, terms[3].Operator);
        Assert.Equal(["p", "q"], terms[3].Texts);
        Assert.False(terms[3].IsNumeric);
    }

    [Fact]
    public void AndsInsideParenthesesFlattenAndOrBranchesAreSkipped()
    {
        Assert.Equal([Iri("a"), Iri("b"), Iri("c")], Terms("(a==1;b==2);c==3").Select(t => t.AttributeIri));
        Assert.Equal([Iri("a")], Terms("a==1;(b==2|c==3)").Select(t => t.AttributeIri));
    }

    [Fact]
    public void AnUnquotedUriIsTextWhenExpansionLeavesItAlone()
    {
        var term = Assert.Single(Terms("refSensor==urn:ngsi-ld:Device:1"));

        Assert.Equal("urn:ngsi-ld:Device:1", term.Text);
    }

    [Theory]
    [InlineData("a==1|b==2")]
    [InlineData("a")]
    [InlineData("!a")]
    [InlineData("a!=1..5")]
    [InlineData("a!=1,2")]
    [InlineData("a==1,\"x\"")]
    [InlineData("a.sub==1")]
    [InlineData("a[b]==1")]
    [InlineData("a.observedAt>2020-01-01T00:00:00Z")]
    [InlineData("createdAt>2020-01-01T00:00:00Z")]
    [InlineData("a==2020-01-01")]
    [InlineData("a>12:00:00Z")]
    [InlineData("a==true")]
    [InlineData("a~=x")]
    [InlineData("gender==Male")]
    public void TermsAStoreCannotServeFromAValueIndexAreLeftOut(string q) => Assert.Empty(Terms(q));

    [Fact]
    public void EveryExtractedTermHoldsForAMatchingEntity()
    {
        const string q = "temperature>=21;name==\"Parque Norte\";count==1,7;power==30..50;tags==\"park\";refSensor==urn:ngsi-ld:Device:1";
        var expression = QExpression.Parse(q).Expand(SampleEntity.Expand, SampleEntity.Expand);

        Assert.True(expression.Matches(SampleEntity.Entity));
        Assert.Equal(6, expression.ConjunctiveTerms.Count);
        foreach (var term in expression.ConjunctiveTerms)
        {
            Assert.Contains(term.AttributeIri, SampleEntity.Entity.Attributes.Keys);
        }
    }
}
