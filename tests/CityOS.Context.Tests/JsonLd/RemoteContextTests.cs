using System.Diagnostics;
using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
using CityOS.Core;

namespace CityOS.Context.Tests.JsonLd;

/// <summary>Remote @contexts fetched from a real local HTTP server: nesting, caching, persistence, limits and errors.</summary>
public sealed class RemoteContextTests(ContextServer server) : IClassFixture<ContextServer>
{
    private static JsonNode Url(string url) => JsonValue.Create(url);

    private string UniquePath(string name) => $"/{Guid.NewGuid():N}/{name}";

    [Fact]
    public async Task Nested_remote_contexts_with_relative_references_are_fetched_once_and_kept_across_restarts()
    {
        var folder = $"/{Guid.NewGuid():N}";
        server.Serve(folder + "/common.jsonld", """{ "@context": { "schema": "https://schema.org/", "name": "schema:name" } }""");
        var top = server.Serve(folder + "/top.jsonld", """{ "@context": ["common.jsonld", { "Shop": "schema:Store" }] }""");
        var other = server.Serve(folder + "/other.jsonld", $$"""{ "@context": ["{{server.Url(folder + "/common.jsonld")}}"] }""");
        string dataDirectory;
        using (var services = new JsonLdTestServices())
        {
            dataDirectory = services.DataDirectory;
            var context = await services.Resolver.ResolveAsync(Url(top), default);
            Assert.Equal("https://schema.org/name", context.ExpandTerm("name"));
            Assert.Equal("https://schema.org/Store", context.ExpandTerm("Shop"));
            Assert.Equal("Shop", context.CompactIri("https://schema.org/Store"));
            await services.Resolver.ResolveAsync(Url(other), default);
            await services.Resolver.ResolveAsync(Url(top), default);
            Assert.Equal(LdContextKind.Cached, services.Store.FindByUrl(top)!.Kind);
        }
        Assert.Equal(1, server.Hits(folder + "/common.jsonld"));
        Assert.Equal(1, server.Hits(folder + "/top.jsonld"));

        using (var restarted = new JsonLdTestServices(dataDirectory))
        {
            var context = await restarted.Resolver.ResolveAsync(Url(top), default);
            Assert.Equal("https://schema.org/name", context.ExpandTerm("name"));
        }
        Assert.Equal(1, server.Hits(folder + "/top.jsonld"));
        Assert.Equal(1, server.Hits(folder + "/common.jsonld"));
    }

    [Fact]
    public async Task Concurrent_requests_for_a_new_context_fetch_it_once()
    {
        var path = UniquePath("shared.jsonld");
        var url = server.Serve(path, """{ "@context": { "x": "https://example.org/x" } }""");
        using var services = new JsonLdTestServices();
        var contexts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            services.Resolver.ResolveAsync(JsonNode.Parse($$"""["{{url}}", { "n{{i}}": "https://example.org/n" }]"""), default).AsTask()));
        Assert.All(contexts, c => Assert.Equal("https://example.org/x", c.ExpandTerm("x")));
        Assert.Equal(1, server.Hits(path));
    }

    [Fact]
    public async Task A_slow_context_times_out_as_ld_context_not_available()
    {
        using var services = new JsonLdTestServices(configure: o => o.FetchTimeout = TimeSpan.FromMilliseconds(500));
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<NgsiLdException>(() => services.Resolver.ResolveAsync(Url(server.Url("/slow.jsonld")), default).AsTask());
        Assert.Equal(NgsiLdErrorType.LdContextNotAvailable, error.Type);
        Assert.Equal(504, error.Status);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}, the server answers after 10 s");
    }

    [Theory]
    [InlineData("/oversize.jsonld", NgsiLdErrorType.LdContextNotAvailable)]
    [InlineData("/missing.jsonld", NgsiLdErrorType.LdContextNotAvailable)]
    // Not a JSON-LD document is one more way a fetch fails: told apart, it would show that an HTTP server answers there.
    [InlineData("/not-json.jsonld", NgsiLdErrorType.LdContextNotAvailable)]
    public async Task Unusable_remote_contexts_are_refused_and_not_kept(string path, NgsiLdErrorType expected)
    {
        using var services = new JsonLdTestServices();
        var url = server.Url(path);
        var error = await Assert.ThrowsAsync<NgsiLdException>(() => services.Resolver.ResolveAsync(Url(url), default).AsTask());
        Assert.Equal(expected, error.Type);
        Assert.Null(services.Store.FindByUrl(url));
    }

    [Fact]
    public async Task An_unreachable_host_is_ld_context_not_available()
    {
        using var services = new JsonLdTestServices();
        var error = await Assert.ThrowsAsync<NgsiLdException>(() =>
            services.Resolver.ResolveAsync(Url("http://127.0.0.1:9/none.jsonld"), default).AsTask());
        Assert.Equal(NgsiLdErrorType.LdContextNotAvailable, error.Type);
    }

    [Fact]
    public async Task A_context_that_includes_itself_is_bad_request_data()
    {
        var path = UniquePath("loop.jsonld");
        var url = server.Serve(path, $$"""{ "@context": ["{{server.Url(path)}}"] }""");
        using var services = new JsonLdTestServices();
        var error = await Assert.ThrowsAsync<NgsiLdException>(() => services.Resolver.ResolveAsync(Url(url), default).AsTask());
        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        Assert.Contains("recursive context inclusion", error.Message);
    }

    [Fact]
    public async Task A_remote_context_referencing_a_non_http_url_is_bad_request_data()
    {
        var url = server.Serve(UniquePath("file.jsonld"), """{ "@context": ["file:///etc/passwd"] }""");
        using var services = new JsonLdTestServices();
        var error = await Assert.ThrowsAsync<NgsiLdException>(() => services.Resolver.ResolveAsync(Url(url), default).AsTask());
        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
    }

    [Fact]
    public async Task Import_merges_a_remote_context_under_local_definitions()
    {
        var url = server.Serve(UniquePath("base.jsonld"), """{ "@context": { "a": "https://example.org/a", "b": "https://example.org/b" } }""");
        using var services = new JsonLdTestServices();
        var context = await services.Resolver.ResolveAsync(JsonNode.Parse($$"""{ "@import": "{{url}}", "b": "https://example.org/local-b" }"""), default);
        Assert.Equal("https://example.org/a", context.ExpandTerm("a"));
        Assert.Equal("https://example.org/local-b", context.ExpandTerm("b"));
    }

    [Fact]
    public async Task Implicitly_created_and_cached_contexts_are_limited_per_tenant()
    {
        using var services = new JsonLdTestServices(configure: o => o.MaxContextsPerTenant = 2);
        await services.Resolver.ResolveAsync(JsonNode.Parse("""{ "q1": "https://example.org/1" }"""), "city-a", default);
        await services.Resolver.ResolveAsync(JsonNode.Parse("""{ "q2": "https://example.org/2" }"""), "city-a", default);

        var inline = await Assert.ThrowsAsync<NgsiLdException>(() =>
            services.Resolver.ResolveAsync(JsonNode.Parse("""{ "q3": "https://example.org/3" }"""), "city-a", default).AsTask());
        Assert.Equal(NgsiLdErrorType.Forbidden, inline.Type);
        Assert.Contains("MaxContextsPerTenant", inline.Detail);
        var path = UniquePath("over-quota.jsonld");
        var remote = await Assert.ThrowsAsync<NgsiLdException>(() =>
            services.Resolver.ResolveAsync(Url(server.Serve(path, """{ "@context": { "r": "https://example.org/r" } }""")), "city-a", default).AsTask());
        Assert.Equal(NgsiLdErrorType.Forbidden, remote.Type);
        Assert.Equal(0, server.Hits(path));

        // Contexts already kept cost nothing, and another tenant has its own quota.
        await services.Resolver.ResolveAsync(JsonNode.Parse("""{ "q1": "https://example.org/1" }"""), "city-a", default);
        var other = await services.Resolver.ResolveAsync(JsonNode.Parse("""{ "q3": "https://example.org/3" }"""), "city-b", default);
        Assert.Equal("https://example.org/3", other.ExpandTerm("q3"));
        Assert.Equal(2, services.Store.CountImplicit("city-a"));
        Assert.Equal(1, services.Store.CountImplicit("city-b"));
    }
}
