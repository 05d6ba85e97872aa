using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityOS.Core.Outbound;

public static class OutboundServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="OutboundPolicy"/> once, with the settings of <see cref="OutboundOptions.Section"/>;
    /// CityOS:PublicBaseUrl, where clients reach this CityOS, counts as CityOS itself.
    /// </summary>
    public static IServiceCollection AddCityOsOutbound(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(OutboundPolicy))) return services;
        services.Configure<OutboundOptions>(configuration.GetSection(OutboundOptions.Section));
        services.Configure<OutboundOptions>(o =>
        {
            if (configuration["CityOS:PublicBaseUrl"] is { Length: > 0 } publicBaseUrl) o.SelfUrls.Add(publicBaseUrl);
        });
        services.TryAddSingleton<OutboundPolicy>();
        return services;
    }
}
