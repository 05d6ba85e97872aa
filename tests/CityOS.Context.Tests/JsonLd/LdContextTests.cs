using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
using CityOS.Core;

namespace CityOS.Context.Tests.JsonLd;

public sealed class LdContextTests : IDisposable
{
    private const string Default = "https://uri.etsi.org/ngsi-ld/default-context/";
    private const string NgsiLd = "https://uri.etsi.org/ngsi-ld/";
    private readonly JsonLdTestServices services = new();

    public void Dispose() => services.Dispose();

    private ValueTask<LdContext> Resolve(string contextJson) =>
        services.Resolver.ResolveAsync(JsonNode.Parse(contextJson), CancellationToken.None);

    [Theory]
    [InlineData("temperature", Default + "temperature")]
    [InlineData("location", NgsiLd + "location")]
    [InlineData("observedAt", NgsiLd + "observedAt")]
    [InlineData("description", "http://purl.org/dc/terms/description")]
    [InlineData("type", "@type")]
    [InlineData("ngsi-ld:foo", NgsiLd + "foo")]
    [InlineData("https://example.org/a#b", "https://example.org/a#b")]
    [InlineData("urn:ngsi-ld:thing", "urn:ngsi-ld:thing")]
    [InlineData("unknown:thing", "unknown:thing")]
    public void Core_context_expands_names_with_its_terms_prefixes_and_vocab(string term, string iri)
    {
        var core = services.Resolver.Core;
        Assert.Equal(iri, core.ExpandTerm(term));
        Assert.True(core.IsCoreOnly);
    }

    [Theory]
    [InlineData(Default + "temperature", "temperature")]
    [InlineData(NgsiLd + "location", "location")]
    [InlineData(NgsiLd + "observedAt", "observedAt")]
    [InlineData(NgsiLd + "somethingElse", "ngsi-ld:somethingElse")]
    [InlineData("https://purl.org/geojson/vocab#Point", "Point")]
    [InlineData("https://purl.org/geojson/vocab#other", "geojson:other")]
    [InlineData("https://example.org/x", "https://example.org/x")]
    [InlineData("@type", "type")]
    public void Core_context_compacts_iris_to_terms_vocab_relative_names_and_compact_iris(string iri, string compacted) =>
        Assert.Equal(compacted, services.Resolver.Core.CompactIri(iri));

    [Fact]
    public void A_vocab_relative_name_wins_over_a_compact_iri_as_in_json_ld_1_1()
    {
        Assert.Equal("foo", services.Resolver.Core.CompactIri(Default + "foo"));
    }

    [Fact]
    public async Task Prefixes_and_expanded_term_definitions_expand_and_compact()
    {
        var context = await Resolve("""
            { "schema": "https://schema.org/", "ex": "https://example.org/ns#",
              "brand": { "@id": "schema:brand" }, "colour": { "@id": "ex:colour", "@type": "@vocab" },
              "Red": "ex:Red" }
            """);
        Assert.Equal("https://schema.org/name", context.ExpandTerm("schema:name"));
        Assert.Equal("https://schema.org/brand", context.ExpandTerm("brand"));
        Assert.Equal("brand", context.CompactIri("https://schema.org/brand"));
        Assert.Equal("schema:name", context.CompactIri("https://schema.org/name"));
        Assert.Equal("https://example.org/ns#Red", context.ExpandVocabValue("Red"));
        Assert.Equal("https://example.org/ns#Blue", context.ExpandVocabValue("ex:Blue"));
        Assert.Equal(Default + "Green", context.ExpandVocabValue("Green"));
        Assert.Equal("Red", context.CompactVocabValue("https://example.org/ns#Red"));
        Assert.Equal("ex:Blue", context.CompactVocabValue("https://example.org/ns#Blue"));
        Assert.False(context.IsCoreOnly);
    }

    [Fact]
    public async Task An_expanded_definition_is_not_a_prefix_unless_it_says_so()
    {
        var context = await Resolve("""{ "a": { "@id": "https://a.example/" }, "b": { "@id": "https://b.example/", "@prefix": true } }""");
        Assert.Equal("a:x", context.ExpandTerm("a:x"));
        Assert.Equal("https://b.example/x", context.ExpandTerm("b:x"));
        Assert.Equal("b:x", context.CompactIri("https://b.example/x"));
    }

    [Fact]
    public async Task The_shortest_compact_iri_is_chosen()
    {
        var context = await Resolve("""{ "long": "https://example.org/", "s": "https://example.org/deep/" }""");
        Assert.Equal("s:x", context.CompactIri("https://example.org/deep/x"));
    }

    [Fact]
    public async Task The_core_context_wins_over_user_definitions_of_core_terms_and_vocab()
    {
        var context = await Resolve("""{ "location": "https://example.org/location", "@vocab": "https://example.org/vocab/" }""");
        Assert.Equal(NgsiLd + "location", context.ExpandTerm("location"));
        Assert.Equal(Default + "speed", context.ExpandTerm("speed"));
    }

    [Fact]
    public async Task A_user_context_listing_the_core_context_first_cannot_redefine_its_protected_terms()
    {
        var context = await Resolve($$"""["{{CoreContexts.CoreUrl}}", { "location": "https://example.org/location" }]""");
        Assert.Equal(NgsiLd + "location", context.ExpandTerm("location"));
    }

    [Fact]
    public async Task Redefining_a_users_own_protected_term_is_an_error()
    {
        var error = await Assert.ThrowsAsync<NgsiLdException>(() => Resolve("""
            [{ "@protected": true, "a": "https://example.org/a" }, { "a": "https://example.org/other" }]
            """).AsTask());
        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.Contains("protected term redefinition", error.Message);
    }

    [Fact]
    public async Task Null_resets_the_user_context_before_it()
    {
        var context = await Resolve("""[{ "a": "https://example.org/a" }, null, { "b": "https://example.org/b" }]""");
        Assert.Equal(Default + "a", context.ExpandTerm("a"));
        Assert.Equal("https://example.org/b", context.ExpandTerm("b"));
    }

    [Fact]
    public async Task Terms_defined_through_other_terms_of_the_same_context_resolve_in_any_order()
    {
        var context = await Resolve("""{ "t": "p:t", "p": "q:inner/", "q": "https://example.org/" }""");
        Assert.Equal("https://example.org/inner/t", context.ExpandTerm("t"));
    }

    [Theory]
    [InlineData("42", "invalid local context")]
    [InlineData("""{ "@id": "https://example.org/" }""", "keyword redefinition")]
    [InlineData("""{ "a": "b", "b": "a" }""", "cyclic IRI mapping")]
    [InlineData("""{ "a": { "@id": "https://e.org/a", "@container": "@bogus" } }""", "invalid container mapping")]
    [InlineData("""{ "a": { "@id": "https://e.org/a", "@type": "notAnIri" } }""", "invalid type mapping")]
    [InlineData("""{ "a": 7 }""", "invalid term definition")]
    [InlineData("""{ "@version": 1.0 }""", "invalid @version value")]
    [InlineData("""{ "@vocab": 3 }""", "invalid vocab mapping")]
    [InlineData("""{ "p": "https://e.org/", "p:x": "https://other.org/x" }""", "invalid IRI mapping")]
    [InlineData("""["relative.jsonld"]""", "loading remote context failed")]
    public async Task Invalid_contexts_are_bad_request_data(string contextJson, string jsonLdError)
    {
        var error = await Assert.ThrowsAsync<NgsiLdException>(() => Resolve(contextJson).AsTask());
        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.Contains(jsonLdError, error.Message);
    }

    [Fact]
    public void Every_published_core_context_url_is_built_in()
    {
        var urls = Enumerable.Range(0, 10).Select(n => $"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.{n}.jsonld")
            .Append(CoreContexts.UnversionedUrl);
        foreach (var url in urls)
        {
            Assert.True(CoreContexts.IsCoreUrl(url), url);
            var document = CoreContexts.TryLoad(url);
            Assert.NotNull(document?["@context"]?["ngsi-ld"]);
        }
        Assert.Null(CoreContexts.TryLoad("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v2.0.jsonld"));
    }

    [Theory]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.0.jsonld", false)]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld", false)]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld", false)]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld", true)]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld", false)]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld", true)]
    public async Task Core_context_urls_resolve_without_fetching(string url, bool coreOnly)
    {
        var context = await services.Resolver.ResolveAsync(JsonValue.Create(url), CancellationToken.None);
        Assert.Equal(NgsiLd + "location", context.ExpandTerm("location"));
        Assert.Equal(coreOnly, context.IsCoreOnly);
        Assert.Equal($"<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"", context.LinkHeader);
        Assert.Equal(url, context.ResponseContext.GetValue<string>());
    }

    [Fact]
    public async Task Older_core_versions_keep_their_own_terms_that_v1_8_does_not_redefine()
    {
        var context = await services.Resolver.ResolveAsync(
            JsonValue.Create("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld"), CancellationToken.None);
        Assert.Equal(NgsiLd + "VocabularyProperty", context.ExpandTerm("VocabularyProperty"));
        Assert.Equal(NgsiLd + "VocabProperty", context.ExpandTerm("VocabProperty"));
    }

    [Fact]
    public void The_core_context_answers_with_the_core_url()
    {
        var core = services.Resolver.Core;
        Assert.Equal(CoreContexts.CoreUrl, core.ResponseContext.GetValue<string>());
        Assert.Equal($"<{CoreContexts.CoreUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"", core.LinkHeader);
    }

    [Fact]
    public async Task An_inline_context_is_answered_as_given_and_linked_through_a_hosted_copy()
    {
        var context = await Resolve("""{ "a": "https://example.org/a" }""");
        Assert.Equal("""{"a":"https://example.org/a"}""", context.ResponseContext.ToJsonString());
        Assert.StartsWith("</ngsi-ld/v1/jsonldContexts/", context.LinkHeader);
        var hosted = services.Store.FindByUrl(context.ContextUrl);
        Assert.NotNull(hosted);
        Assert.Equal(LdContextKind.ImplicitlyCreated, hosted.Kind);
        Assert.Equal("""{"@context":{"a":"https://example.org/a"}}""", hosted.Document);
    }

    [Fact]
    public async Task The_response_context_is_a_new_node_each_time_so_callers_can_attach_it()
    {
        var context = await Resolve("""[{ "a": "https://example.org/a" }]""");
        var first = new JsonObject { ["@context"] = context.ResponseContext };
        var second = new JsonObject { ["@context"] = context.ResponseContext };
        Assert.Equal(first.ToJsonString(), second.ToJsonString());
    }

    [Fact]
    public async Task The_same_context_value_is_processed_once()
    {
        var first = await Resolve("""{ "a": "https://example.org/a" }""");
        var second = await Resolve("""{ "a" : "https://example.org/a" }""");
        Assert.Same(first, second);
    }

    [Fact]
    public async Task Expansion_is_safe_under_concurrent_use()
    {
        var context = await Resolve("""{ "ex": "https://example.org/" }""");
        await Parallel.ForAsync(0, 2000, async (i, _) =>
        {
            await Task.Yield();
            Assert.Equal($"https://example.org/n{i % 50}", context.ExpandTerm($"ex:n{i % 50}"));
            Assert.Equal($"ex:n{i % 50}", context.CompactIri($"https://example.org/n{i % 50}"));
        });
    }
}
