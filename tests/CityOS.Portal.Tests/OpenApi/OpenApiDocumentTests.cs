using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace CityOS.Portal.Tests.OpenApi;

/// <summary>/openapi/v1.json as a developer's tools read it: valid OpenAPI 3.1, and every API endpoint of every block in it, with a summary.</summary>
public class OpenApiDocumentTests(PortalHost host) : IClassFixture<PortalHost>
{
    [Fact]
    public void Every_mapped_endpoint_has_a_summary_and_a_tag()
    {
        var missing = DescribedEndpoints()
            .Where(e => string.IsNullOrWhiteSpace(e.Metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary) || e.Metadata.GetMetadata<ITagsMetadata>() is null)
            .Select(e => e.DisplayName)
            .ToList();
        Assert.True(missing.Count == 0, "Endpoints without a summary or a tag:\n" + string.Join("\n", missing));
    }

    [Fact]
    public async Task The_document_is_openapi_3_1_and_lists_every_mapped_endpoint_with_its_summary()
    {
        var document = await DocumentAsync();
        Assert.StartsWith("3.1", document["openapi"]!.GetValue<string>());
        var paths = document["paths"]!.AsObject();
        var absent = new List<string>();
        foreach (var endpoint in DescribedEndpoints())
        {
            var path = "/" + string.Join("/", endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(PartText))));
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                var summary = paths[path]?[method.ToLowerInvariant()]?["summary"]?.GetValue<string>();
                if (summary != endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary) absent.Add($"{method} {path}");
            }
        }
        Assert.True(absent.Count == 0, "Not in /openapi/v1.json with their summary:\n" + string.Join("\n", absent));
        Assert.Contains("/ngsi-ld/v1/entities", paths.Select(p => p.Key));
    }

    [Fact]
    public async Task Swagger_parser_validates_the_document()
    {
        var file = Path.Combine(host.DataDirectory, "openapi.json");
        await File.WriteAllTextAsync(file, (await DocumentAsync()).ToJsonString());
        var report = JsonNode.Parse(await NodeTool.RunAsync("validate-openapi.mjs", file))!;
        Assert.StartsWith("3.1", report["openapi"]!.GetValue<string>());
        Assert.Equal(DescribedEndpoints().Sum(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Count), report["operations"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_api_reference_is_served_with_its_script_from_this_server_and_no_cdn()
    {
        var page = await host.Client.GetStringAsync("/api-reference");
        Assert.DoesNotContain("cdn.", page, StringComparison.OrdinalIgnoreCase);
        var scripts = System.Text.RegularExpressions.Regex.Matches(page, "<script[^>]*src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            Assert.False(Uri.TryCreate(script, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http"), $"{script} is not served by this server");
            var response = await host.Client.GetAsync(new Uri(new Uri(host.BaseAddress, "/api-reference/"), script));
            Assert.True(response.IsSuccessStatusCode, $"{script}: {(int)response.StatusCode}");
        }
        Assert.Contains("\"url\":\"openapi/v1.json\"", page);
    }

    private async Task<JsonObject> DocumentAsync()
    {
        var response = await host.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private IEnumerable<RouteEndpoint> DescribedEndpoints() =>
        host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Mvc.ApiExplorer.IApiDescriptionGroupNameProvider>() is null or { GroupName: null or "v1" });

    private static string PartText(Microsoft.AspNetCore.Routing.Patterns.RoutePatternPart part) => part switch
    {
        Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
        Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
        Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
        _ => "",
    };
}
