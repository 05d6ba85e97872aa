using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Context.Tests.JsonLd;

/// <summary>
/// A real Kestrel server on a free loopback port serving @context documents: the corpus contexts under
/// /corpus/, plus documents a test registers, a slow one, an oversize one, a non-JSON one and 404s.
/// Counts requests per path so tests can check that contexts are fetched once.
/// </summary>
public sealed class ContextServer : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, string> documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> hits = new(StringComparer.Ordinal);
    private WebApplication? app;

    public static string CorpusDirectory => Path.Combine(TestProjectDirectory, "JsonLd", "Corpus");

    /// <summary>The test project's source folder, found from the build output, so test data needs no copy step.</summary>
    public static string TestProjectDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CityOS.Context.Tests.csproj")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException($"CityOS.Context.Tests.csproj not found above {AppContext.BaseDirectory}.");
        }
    }

    public string BaseUrl { get; private set; } = "";

    public string Url(string path) => $"{BaseUrl}{path}";

    public int Hits(string path) => hits.TryGetValue(path, out var n) ? n : 0;

    /// <summary>Serves a document at a path; the placeholder {{base}} becomes this server's base URL.</summary>
    public string Serve(string path, string document)
    {
        documents[path] = document.Replace("{{base}}", BaseUrl);
        return Url(path);
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(CorpusDirectory, "contexts"), "*.jsonld"))
        {
            Serve("/corpus/contexts/" + Path.GetFileName(file), await File.ReadAllTextAsync(file));
        }
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        hits.AddOrUpdate(path, 1, (_, n) => n + 1);
        switch (path)
        {
            case "/slow.jsonld":
                await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
                break;
            case "/oversize.jsonld":
                context.Response.ContentType = "application/ld+json";
                await context.Response.WriteAsync("{\"@context\": {\"padding\": \"" + new string('x', 64 * 1024) + "\"}}");
                break;
            case "/not-json.jsonld":
                context.Response.ContentType = "text/html";
                await context.Response.WriteAsync("<html>not a context</html>");
                break;
            default:
                if (documents.TryGetValue(path, out var document))
                {
                    context.Response.ContentType = "application/ld+json";
                    await context.Response.WriteAsync(document);
                }
                else
                {
                    context.Response.StatusCode = 404;
                }
                break;
        }
    }
}
