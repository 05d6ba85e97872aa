using CityOS.Context.Query;
using CityOS.Core;

namespace CityOS.Context.Tests.Query;

public class ScopeQueryTests
{
    [Theory]
    [InlineData("/Madrid", "/Madrid", true)]
    [InlineData("/Madrid", "Madrid", true)]
    [InlineData("/Madrid", "/Madrid/Gardens", false)]
    [InlineData("/Madrid", "/Barcelona,/Madrid", true)]
    [InlineData("/Madrid/Gardens/#", "/Madrid/Gardens", true)]
    [InlineData("/Madrid/Gardens/#", "/Madrid/Gardens/ParqueNorte", true)]
    [InlineData("/Madrid/Gardens/#", "/Madrid/Gardens/ParqueNorte/Parterre1", true)]
    [InlineData("/Madrid/Gardens/#", "/Madrid/GardensX", false)]
    [InlineData("/Madrid/Gardens/#", "/Madrid", false)]
    [InlineData("/Madrid/+/ParqueNorte", "/Madrid/Gardens/ParqueNorte", true)]
    [InlineData("/Madrid/+/ParqueNorte", "/Madrid/Sights/ParqueNorte", true)]
    [InlineData("/Madrid/+/ParqueNorte", "/Madrid/ParqueNorte", false)]
    [InlineData("/Madrid/+/ParqueNorte", "/Madrid/Gardens/ParqueNorte/Parterre1", false)]
    [InlineData("/+", "/A", true)]
    [InlineData("/+", "/A/B", false)]
    [InlineData("/+/#", "/A/B", true)]
    [InlineData("/#", "/Anything/Below", true)]
    [InlineData("/#", "urn:ngsi-ld:null", false)]
    [InlineData("(/Madrid/Districts;/CompanyA)", "/Madrid/Districts,/CompanyA", true)]
    [InlineData("(/Madrid/Districts;/CompanyA)", "/Madrid/Districts", false)]
    [InlineData("(/Madrid/Districts;/CompanyA)|/CompanyB", "/CompanyB", true)]
    [InlineData("(/Madrid/Districts;/CompanyA),/CompanyB", "/CompanyB", true)]
    [InlineData("(/Madrid/Districts;/CompanyA),/CompanyB", "/CompanyA", false)]
    [InlineData("/A,/B", "/B", true)]
    [InlineData("/madrid", "/Madrid", false)]
    public void SelectsEntitiesByTheirScopes(string scopeQ, string scopes, bool expected) =>
        Assert.Equal(expected, ScopeQuery.Parse(scopeQ).Matches(scopes.Split(',')));

    [Theory]
    [InlineData("/#")]
    [InlineData("/Madrid/#")]
    public void AnEntityWithoutScopesMatchesNoScopeQuery(string scopeQ)
    {
        Assert.False(ScopeQuery.Parse(scopeQ).Matches(null));
        Assert.False(ScopeQuery.Parse(scopeQ).Matches([]));
    }

    [Theory]
    [InlineData("/", "", true)]
    [InlineData("/", "urn:ngsi-ld:null", true)]
    [InlineData("/", "/Madrid", false)]
    [InlineData("/,/Madrid/#", "/Madrid/Gardens", true)]
    [InlineData("/,/Madrid/#", "", true)]
    [InlineData("/,/Madrid/#", "/Valencia", false)]
    [InlineData("/#", "", false)]
    public void WithTheRootExtensionASlashAloneSelectsEntitiesWithoutScopes(string scopeQ, string scopes, bool expected) =>
        Assert.Equal(expected, ScopeQuery.Parse(scopeQ, root: true).Matches(scopes.Length == 0 ? [] : scopes.Split(',')));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Madrid", "position 1: a scope starts with '/'")]
    [InlineData("/", "position 2: empty scope level")]
    [InlineData("/a//b", "position 4: empty scope level")]
    [InlineData("/a/#/b", "position 4: invalid scope level '#'")]
    [InlineData("/a#", "position 2: invalid scope level 'a#'")]
    [InlineData("(/a;/b", "position 1: '(' is not closed")]
    [InlineData("/a,", "unexpected end")]
    public void MalformedScopeQueriesAreBadRequestData(string scopeQ, string message)
    {
        var error = Assert.Throws<NgsiLdException>(() => ScopeQuery.Parse(scopeQ));

        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.Contains("scopeQ", error.Message);
        Assert.Contains(message, error.Message);
    }
}
