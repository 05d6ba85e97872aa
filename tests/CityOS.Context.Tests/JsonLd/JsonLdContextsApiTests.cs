using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Context.Tests.JsonLd;

/// <summary>The /ngsi-ld/v1/jsonldContexts API in a minimal host built here, independent of the broker host.</summary>
public sealed class JsonLdContextsApiTests(ContextServer server) : IClassFixture<ContextServer>, IAsyncLifetime
{
    private const string Api = "/ngsi-ld/v1/jsonldContexts";
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "cityos-jsonld-tests", Guid.NewGuid().ToString("N"));
    private WebApplication? app;
    private HttpClient client = null!;

    private ILdContextResolver Resolver => app!.Services.GetRequiredService<ILdContextResolver>();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddCityOsJsonLd(options =>
        {
            options.DataDirectory = dataDirectory;
            options.FetchTimeout = TimeSpan.FromSeconds(5);
            options.PublicBaseUrl = "http://broker.test";
        });
        app = builder.Build();
        app.UseMiddleware<CityOS.Core.Http.ErrorResponseMiddleware>();
        app.UseAuthorization();
        app.MapJsonLdContextsApi();
        await app.StartAsync();
        client = app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    private static StringContent Json(string json, string mediaType = "application/json") => new(json, Encoding.UTF8, mediaType);

    private async Task<JsonNode> GetJson(string path)
    {
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<string> AddHosted(string document)
    {
        var response = await client.PostAsync(Api, Json(document, "application/ld+json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return response.Headers.Location!.ToString();
    }

    [Fact]
    public async Task A_hosted_context_is_created_listed_served_used_and_deleted()
    {
        var url = await AddHosted("""{ "@context": { "ex": "https://example.org/", "speed": "ex:speed" } }""");
        Assert.StartsWith("http://broker.test/ngsi-ld/v1/jsonldContexts/", url);
        var id = url[(url.LastIndexOf('/') + 1)..];

        var list = await GetJson(Api);
        Assert.Contains(url, list.AsArray().Select(n => n!.GetValue<string>()));

        var served = await GetJson($"{Api}/{id}");
        Assert.Equal("https://example.org/", served["@context"]!["ex"]!.GetValue<string>());

        var context = await Resolver.ResolveAsync(JsonValue.Create(url), default);
        Assert.Equal("https://example.org/speed", context.ExpandTerm("speed"));

        var details = await GetJson($"{Api}/{id}?details=true");
        Assert.Equal(url, details["URL"]!.GetValue<string>());
        Assert.Equal(id, details["localId"]!.GetValue<string>());
        Assert.Equal("Hosted", details["kind"]!.GetValue<string>());
        Assert.NotNull(details["createdAt"]);
        Assert.True(details["numberOfHits"]!.GetValue<long>() >= 1);
        Assert.NotNull(details["lastUsage"]);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Api}/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{Api}/{id}")).StatusCode);
    }

    [Fact]
    public async Task Hosted_contexts_survive_a_restart()
    {
        var url = await AddHosted("""{ "@context": { "kept": "https://example.org/kept" } }""");
        await app!.DisposeAsync();
        await InitializeAsync();
        var list = await GetJson($"{Api}?kind=Hosted");
        Assert.Contains(url, list.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task Details_and_kind_filter_cover_cached_and_implicitly_created_contexts()
    {
        var remote = server.Serve($"/{Guid.NewGuid():N}/c.jsonld", """{ "@context": { "r": "https://example.org/r" } }""");
        await Resolver.ResolveAsync(JsonValue.Create(remote), default);
        var inline = await Resolver.ResolveAsync(JsonNode.Parse("""{ "i": "https://example.org/i" }"""), default);

        var cached = (await GetJson($"{Api}?details=true&kind=Cached")).AsArray();
        Assert.Contains(cached, d => d!["URL"]!.GetValue<string>() == remote);
        Assert.Contains(cached, d => d!["URL"]!.GetValue<string>() == CoreContexts.CoreUrl);
        Assert.All(cached, d => Assert.Equal("Cached", d!["kind"]!.GetValue<string>()));

        var implicitUrls = (await GetJson($"{Api}?kind=ImplicitlyCreated")).AsArray().Select(n => n!.GetValue<string>());
        Assert.Contains(inline.ContextUrl, implicitUrls);
        Assert.StartsWith("http://broker.test/", inline.ContextUrl);
        var served = await GetJson(inline.ContextUrl["http://broker.test".Length..]);
        Assert.Equal("https://example.org/i", served["@context"]!["i"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_cached_context_is_reloaded_on_request()
    {
        var path = $"/{Guid.NewGuid():N}/reload.jsonld";
        var url = server.Serve(path, """{ "@context": { "v": "https://example.org/v1" } }""");
        Assert.Equal("https://example.org/v1", (await Resolver.ResolveAsync(JsonValue.Create(url), default)).ExpandTerm("v"));
        server.Serve(path, """{ "@context": { "v": "https://example.org/v2" } }""");

        var response = await client.DeleteAsync($"{Api}/{Uri.EscapeDataString(url)}?reload=true");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(2, server.Hits(path));
        Assert.Equal("https://example.org/v2", (await Resolver.ResolveAsync(JsonValue.Create(url), default)).ExpandTerm("v"));
    }

    [Theory]
    [InlineData("DELETE", "core", HttpStatusCode.BadRequest)]
    [InlineData("GET", "?kind=Other", HttpStatusCode.BadRequest)]
    [InlineData("GET", "?details=maybe", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/unknown-id", HttpStatusCode.NotFound)]
    [InlineData("DELETE", "/unknown-id", HttpStatusCode.NotFound)]
    public async Task Errors_are_problem_details_with_ngsi_ld_types(string method, string path, HttpStatusCode status)
    {
        if (path == "core")
        {
            var core = (await GetJson($"{Api}?details=true&kind=Cached")).AsArray().First(d => d!["URL"]!.GetValue<string>() == CoreContexts.CoreUrl);
            path = "/" + core!["localId"]!.GetValue<string>();
        }
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), Api + path));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("https://uri.etsi.org/ngsi-ld/errors/", problem["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{ "no": "context" }""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{ "@context": { "a": 5 } }""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""not json""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{ "@context": {} }""", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task Invalid_context_documents_are_refused(string body, string mediaType, HttpStatusCode status)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        var response = await client.PostAsync(Api, content);
        Assert.Equal(status, response.StatusCode);
    }

    [Fact]
    public async Task A_body_without_an_context_member_is_InvalidRequest()
    {
        var response = await client.PostAsync(Api, Json("""{ "A1": "urn:ngsi-ld:attributes:A1" }"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", problem["type"]!.GetValue<string>());
        Assert.Empty((await GetJson($"{Api}?kind=Hosted")).AsArray());
    }

    [Theory]
    [InlineData("/unknown-id?reload=true", HttpStatusCode.BadRequest, "BadRequestData")]
    [InlineData("/unknown-id?reload=xxx", HttpStatusCode.BadRequest, "BadRequestData")]
    [InlineData("/unknown-id?reload=false", HttpStatusCode.NotFound, "ResourceNotFound")]
    public async Task Reloading_what_is_not_a_kept_context_is_BadRequestData(string path, HttpStatusCode status, string type)
    {
        var response = await client.DeleteAsync(Api + path);
        Assert.Equal(status, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + type, problem["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reloading_the_core_context_keeps_it_and_deleting_it_is_refused()
    {
        var core = (await GetJson($"{Api}?details=true&kind=Cached")).AsArray().First(d => d!["URL"]!.GetValue<string>() == CoreContexts.CoreUrl);
        var path = $"{Api}/{Uri.EscapeDataString(CoreContexts.CoreUrl)}";

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(path + "?reload=true")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.DeleteAsync(path)).StatusCode);
        var served = await GetJson($"{Api}/{core!["localId"]!.GetValue<string>()}");
        Assert.NotNull(served["@context"]);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/default-context/v", Resolver.Core.ExpandTerm("v"));
    }

    private async Task<HttpResponseMessage> SendInTenant(HttpMethod method, string path, string tenant, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("NGSILD-Tenant", tenant);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_tenant_lists_inspects_and_deletes_only_its_own_contexts()
    {
        var created = await SendInTenant(HttpMethod.Post, Api, "city-a", Json("""{ "@context": { "ownTerm": "https://example.org/own" } }"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var url = created.Headers.Location!.ToString();
        var id = url[(url.LastIndexOf('/') + 1)..];
        var remote = server.Serve($"/{Guid.NewGuid():N}/a.jsonld", """{ "@context": { "aTerm": "https://example.org/a" } }""");
        await Resolver.ResolveAsync(JsonValue.Create(remote), "city-a", default);
        var inline = await Resolver.ResolveAsync(JsonNode.Parse("""{ "aInline": "https://example.org/ai" }"""), "city-a", default);

        var listedInB = (await SendInTenant(HttpMethod.Get, Api, "city-b")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(id, await listedInB);
        Assert.DoesNotContain(remote, await listedInB);
        Assert.DoesNotContain(inline.ContextUrl, await listedInB);
        Assert.Contains(CoreContexts.CoreUrl, await listedInB);
        Assert.Equal(HttpStatusCode.NotFound, (await SendInTenant(HttpMethod.Get, $"{Api}/{id}?details=true", "city-b")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendInTenant(HttpMethod.Get, $"{Api}/{Uri.EscapeDataString(remote)}", "city-b")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendInTenant(HttpMethod.Delete, $"{Api}/{id}", "city-b")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendInTenant(HttpMethod.Delete, $"{Api}/{Uri.EscapeDataString(remote)}", "city-b")).StatusCode);
        // The document itself is served to whoever has its URL: responses' Link headers point JSON-LD processors there.
        Assert.Equal(HttpStatusCode.OK, (await SendInTenant(HttpMethod.Get, $"{Api}/{id}", "city-b")).StatusCode);

        var listedInA = await (await SendInTenant(HttpMethod.Get, Api, "city-a")).Content.ReadAsStringAsync();
        Assert.Contains(url, listedInA);
        Assert.Contains(remote, listedInA);
        Assert.Contains(inline.ContextUrl, listedInA);
        Assert.Equal(HttpStatusCode.NoContent, (await SendInTenant(HttpMethod.Delete, $"{Api}/{id}", "city-a")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendInTenant(HttpMethod.Get, $"{Api}/{id}", "city-a")).StatusCode);
    }

    [Fact]
    public async Task Tenants_own_their_contexts_across_a_restart()
    {
        var created = await SendInTenant(HttpMethod.Post, Api, "city-a", Json("""{ "@context": { "keptTerm": "https://example.org/k" } }"""));
        var url = created.Headers.Location!.ToString();
        await app!.DisposeAsync();
        await InitializeAsync();
        Assert.Contains(url, await (await SendInTenant(HttpMethod.Get, Api, "city-a")).Content.ReadAsStringAsync());
        Assert.DoesNotContain(url, await (await client.GetAsync(Api)).Content.ReadAsStringAsync());
    }
}
