using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
using CityOS.Core;
using Microsoft.AspNetCore.Http;

namespace CityOS.Context.Tests.JsonLd;

/// <summary>Where the @context of a request comes from: GS CIM 009 clauses 6.3.4 to 6.3.6.</summary>
public sealed class LdRequestTests : IDisposable
{
    private const string V13 = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld";
    private const string ContextLink = $"<{V13}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";
    private readonly JsonLdTestServices services = new();

    public void Dispose() => services.Dispose();

    private static HttpRequest Request(string? contentType, params string[] links)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = contentType;
        if (links.Length > 0)
        {
            context.Request.Headers.Link = links;
        }
        return context.Request;
    }

    private static JsonNode Body(string json) => JsonNode.Parse(json)!;

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/merge-patch+json")]
    public async Task Json_bodies_take_the_context_from_the_link_header(string contentType)
    {
        var context = await LdRequest.ForBodyAsync(Request(contentType, ContextLink), Body("""{"id":"urn:a","type":"T"}"""), services.Resolver, default);
        Assert.Equal(V13, context.ContextUrl);
    }

    [Fact]
    public async Task Json_bodies_without_link_header_use_the_core_context()
    {
        var context = await LdRequest.ForBodyAsync(Request("application/json"), Body("""{"id":"urn:a"}"""), services.Resolver, default);
        Assert.Same(services.Resolver.Core, context);
    }

    [Theory]
    [InlineData("""{"@context": "https://example.org/c.jsonld", "id": "urn:a"}""")]
    [InlineData("""[{"id": "urn:a"}, {"@context": {}, "id": "urn:b"}]""")]
    public async Task A_json_body_with_context_is_bad_request_data(string body)
    {
        var error = await Assert.ThrowsAsync<NgsiLdException>(() =>
            LdRequest.ForBodyAsync(Request("application/json"), Body(body), services.Resolver, default).AsTask());
        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
    }

    [Fact]
    public async Task Json_ld_bodies_take_the_context_from_the_body()
    {
        var body = Body($$"""{"@context": ["{{V13}}", {"a": "https://example.org/a"}], "id": "urn:a"}""");
        var context = await LdRequest.ForBodyAsync(Request("application/ld+json"), body, services.Resolver, default);
        Assert.Equal("https://example.org/a", context.ExpandTerm("a"));
    }

    [Fact]
    public async Task Json_ld_batch_bodies_give_one_context_per_entity()
    {
        var body = Body("""[{"@context": {"a": "https://one.example/a"}}, {"@context": {"a": "https://two.example/a"}}]""");
        var contexts = await LdRequest.ForEachAsync(Request("application/ld+json"), body, services.Resolver, default);
        Assert.Equal(["https://one.example/a", "https://two.example/a"], contexts.Select(c => c.ExpandTerm("a")));
    }

    [Theory]
    [InlineData("""{"id": "urn:a"}""")]
    [InlineData("""[{"@context": {}}, {"id": "urn:b"}]""")]
    public async Task A_json_ld_body_without_context_is_bad_request_data(string body)
    {
        var error = await Assert.ThrowsAsync<NgsiLdException>(() =>
            LdRequest.ForBodyAsync(Request("application/ld+json"), Body(body), services.Resolver, default).AsTask());
        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
    }

    [Fact]
    public async Task A_json_ld_body_with_a_context_link_header_is_bad_request_data()
    {
        var error = await Assert.ThrowsAsync<NgsiLdException>(() =>
            LdRequest.ForBodyAsync(Request("application/ld+json", ContextLink), Body("""{"@context": {}}"""), services.Resolver, default).AsTask());
        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData(null)]
    public async Task Other_media_types_are_unsupported(string? contentType)
    {
        var error = await Assert.ThrowsAsync<NgsiLdException>(() =>
            LdRequest.ForBodyAsync(Request(contentType), Body("{}"), services.Resolver, default).AsTask());
        Assert.Equal(NgsiLdErrorType.UnsupportedMediaType, error.Type);
        Assert.Equal(415, error.Status);
    }

    [Fact]
    public async Task Reads_use_the_link_header_or_the_core_context()
    {
        Assert.Same(services.Resolver.Core, await LdRequest.ForReadAsync(Request(null), services.Resolver, default));
        var linked = await LdRequest.ForReadAsync(Request(null, ContextLink), services.Resolver, default);
        Assert.Equal(V13, linked.ContextUrl);
    }

    [Fact]
    public async Task Links_with_other_relations_are_ignored_and_several_links_in_one_header_are_understood()
    {
        var header = $"<https://example.org/next>; rel=\"next\", {ContextLink}";
        var context = await LdRequest.ForReadAsync(Request(null, header), services.Resolver, default);
        Assert.Equal(V13, context.ContextUrl);
        Assert.Same(services.Resolver.Core, await LdRequest.ForReadAsync(Request(null, "<https://example.org/x>; rel=\"next\""), services.Resolver, default));
    }

    [Theory]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld; rel=\"http://www.w3.org/ns/json-ld#context\"")]
    [InlineData("<relative.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"")]
    [InlineData($"{ContextLink}, {ContextLink}")]
    public async Task Malformed_or_repeated_context_links_are_bad_request_data(string header)
    {
        var error = await Assert.ThrowsAsync<NgsiLdException>(() => LdRequest.ForReadAsync(Request(null, header), services.Resolver, default).AsTask());
        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
    }
}
