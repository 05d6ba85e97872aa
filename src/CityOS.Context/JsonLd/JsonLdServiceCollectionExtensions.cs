using CityOS.Core.Http;
using CityOS.Core.Outbound;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CityOS.Context.JsonLd;

public static class JsonLdServiceCollectionExtensions
{
    /// <summary>
    /// Registers the @context resolver (<see cref="ILdContextResolver"/>), the context store and the context fetcher, whose
    /// connections go through the <see cref="OutboundPolicy"/> (the host's, or one with default settings).
    /// </summary>
    public static IServiceCollection AddCityOsJsonLd(this IServiceCollection services, Action<JsonLdOptions> configure)
    {
        services.AddOptions<JsonLdOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JsonLdOptions>, JsonLdOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OutboundPolicy>();
        // The fetcher enforces JsonLdOptions.FetchTimeout itself; the client's own timeout only has to stay out of its way.
        services.AddHttpClient(ContextFetcher.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundPolicy>().CreateHandler());
        services.AddSingleton<ContextFetcher>();
        services.AddSingleton<JsonLdContextStore>();
        services.AddSingleton<LdContextResolver>();
        services.AddSingleton<ILdContextResolver>(sp => sp.GetRequiredService<LdContextResolver>());
        // The enforcement point (off unless CityOS:Security:Enabled): hosting and deleting @contexts are writes.
        services.TryAddSingleton<Access.AccessControl>();
        // The API's route group declares its caller policy and its problem details surface.
        services.AddCityOsHttpEdge();
        return services;
    }
}
