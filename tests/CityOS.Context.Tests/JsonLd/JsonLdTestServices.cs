using CityOS.Context.JsonLd;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Context.Tests.JsonLd;

/// <summary>The JSON-LD services as a host registers them, over a fresh temporary data directory.</summary>
public sealed class JsonLdTestServices : IDisposable
{
    private readonly ServiceProvider provider;

    public JsonLdTestServices(string? dataDirectory = null, Action<JsonLdOptions>? configure = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "cityos-jsonld-tests", Guid.NewGuid().ToString("N"));
        provider = new ServiceCollection()
            .AddCityOsJsonLd(options =>
            {
                options.DataDirectory = DataDirectory;
                // Generous: the test machines are shared and a loaded loopback server can take a while to answer.
                options.FetchTimeout = TimeSpan.FromSeconds(5);
                options.MaxContextBytes = 16 * 1024;
                configure?.Invoke(options);
            })
            .BuildServiceProvider();
    }

    public string DataDirectory { get; }

    public ILdContextResolver Resolver => provider.GetRequiredService<ILdContextResolver>();

    public JsonLdContextStore Store => provider.GetRequiredService<JsonLdContextStore>();

    public void Dispose() => provider.Dispose();
}
