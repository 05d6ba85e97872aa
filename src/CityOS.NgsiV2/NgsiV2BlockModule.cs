using CityOS.Core.Context;
using CityOS.Core.Outbound;
using CityOS.Core.Hosting;
using CityOS.Core.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.NgsiV2;

/// <summary>
/// The NGSI-v2 API (Orion's /v2) on the broker's data: the block keeps no entities of its own, it reads and writes them
/// through <see cref="Core.Context.IContextReader"/> and <see cref="Core.Context.IContextWriter"/>.
/// </summary>
public sealed class NgsiV2BlockModule : ICityOsBlock
{
    public string Name => "NgsiV2";

    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<V2Entities>();
        services.AddCityOsProblemWriter<V2ProblemWriter>();
        services.AddCityOsDataDirectory(configuration);
        services.AddCityOsOutbound(configuration);
        services.AddSingleton<V2SubscriptionStore>();
        services.AddContextChangeConsumer(V2Notifier.Consumer);
        services.AddHostedService<V2Notifier>();
    }

    /// <summary>The broker's checks answer for the data this block serves.</summary>
    public void AddHealthChecks(IHealthChecksBuilder checks)
    {
    }

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapNgsiV2Entities();
        routes.MapNgsiV2Subscriptions();
    }
}
