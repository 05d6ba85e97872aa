using CityOS.Context.Representation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace CityOS.Context.Tests.Representation;

public class RenderOptionsTests
{
    private static RenderOptions Parse(string queryString) =>
        EntityRenderer.ParseOptions(new QueryCollection(QueryHelpers.ParseQuery(queryString)), TestTerms.Instance);

    [Theory]
    [InlineData("", RepresentationFormat.Normalized)]
    [InlineData("?format=normalized", RepresentationFormat.Normalized)]
    [InlineData("?format=concise", RepresentationFormat.Concise)]
    [InlineData("?format=simplified", RepresentationFormat.Simplified)]
    [InlineData("?format=keyValues", RepresentationFormat.Simplified)]
    [InlineData("?options=keyValues", RepresentationFormat.Simplified)]
    [InlineData("?options=simplified", RepresentationFormat.Simplified)]
    [InlineData("?options=concise", RepresentationFormat.Concise)]
    [InlineData("?options=normalized,sysAttrs", RepresentationFormat.Normalized)]
    [InlineData("?options=sysAttrs,keyValues", RepresentationFormat.Simplified)]
    [InlineData("?options=keyValues&options=sysAttrs", RepresentationFormat.Simplified)]
    [InlineData("?format=concise&options=keyValues", RepresentationFormat.Concise)]
    public void The_representation_comes_from_format_or_options(string query, RepresentationFormat expected)
    {
        Assert.Equal(expected, Parse(query).Format);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("?options=sysAttrs", true)]
    [InlineData("?options=keyValues,sysAttrs", true)]
    [InlineData("?options=keyValues", false)]
    public void Sys_attrs_comes_from_options(string query, bool expected)
    {
        Assert.Equal(expected, Parse(query).SysAttrs);
    }

    [Theory]
    [InlineData("?format=concise&format=normalized", "format")]
    [InlineData("?options=keyValues,concise", "options")]
    [InlineData("?pick=id&omit=speed", "pick")]
    [InlineData("?pick=id,,speed", "empty member name")]
    [InlineData("?omit=speed,", "empty member name")]
    [InlineData("?attrs=speed&pick=id", "attrs")]
    [InlineData("?attrs=speed&omit=brand", "attrs")]
    [InlineData("?attrs=", "attrs")]
    [InlineData("?attrs=sp(eed", "sp(eed")]
    [InlineData("?pick=a b", "a b")]
    [InlineData("?lang=en_US", "en_US")]
    [InlineData("?lang=en;q=2", "en;q=2")]
    [InlineData("?datasetId=not a uri", "not a uri")]
    [InlineData("?geometryProperty=loc<ation", "loc<ation")]
    public void Invalid_parameters_are_refused(string query, string named)
    {
        var error = Json.BadRequest(() => Parse(query));
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Attribute_names_are_expanded_and_core_members_are_kept_as_they_are()
    {
        Assert.Equal(new HashSet<string> { TestTerms.E("speed"), "https://other.example/brand" }, Parse("?attrs=speed,https://other.example/brand").Attrs);
        var options = Parse("?pick=id,type,scope,speed");
        Assert.Equal(new HashSet<string> { "id", "type", "scope", TestTerms.E("speed") }, options.Pick);
        Assert.Null(options.Omit);
    }

    [Theory]
    [InlineData("?format=xml", "xml")]
    [InlineData("?options=fast", "fast")]
    [InlineData("?options=keyValues,invalid", "invalid")]
    public void Values_the_format_and_options_parameters_do_not_define_are_InvalidRequest(string query, string named)
    {
        var error = Assert.Throws<CityOS.Core.NgsiLdException>(() => Parse(query));
        Assert.Equal(CityOS.Core.NgsiLdErrorType.InvalidRequest, error.Type);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Omit_lang_dataset_ids_and_geometry_property_are_read()
    {
        var options = Parse("?omit=type,street&lang=ja,en&datasetId=@none,urn:ngsi-ld:Property:gps&geometryProperty=entrance");
        Assert.Equal(new HashSet<string> { "type", TestTerms.E("street") }, options.Omit);
        Assert.Equal("ja,en", options.Lang);
        Assert.Equal(new HashSet<string> { "@none", "urn:ngsi-ld:Property:gps" }, options.DatasetIds);
        Assert.Equal(TestTerms.E("entrance"), options.GeometryProperty);
    }

    [Fact]
    public void Options_of_write_operations_are_tolerated()
    {
        Assert.Equal(RepresentationFormat.Normalized, Parse("?options=noOverwrite").Format);
    }

    [Fact]
    public void Parsed_options_drive_the_renderer()
    {
        var entity = EntityParser.ParseEntity(Json.Object("""
            {"id":"urn:ngsi-ld:T:1","type":"T","name":{"languageMap":{"en":"Bridge","de":"Brücke"}},"speed":80}
            """), TestTerms.Instance, Json.Now);
        var rendered = EntityRenderer.Render(entity, Parse("?options=keyValues&lang=de&omit=id"), TestTerms.Instance);
        Json.Equal("""{"type":"T","name":"Brücke","speed":80}""", rendered);
    }
}
