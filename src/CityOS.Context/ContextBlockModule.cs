using CityOS.Context.Storage;
using CityOS.Context.Subscriptions;
using CityOS.Context.Temporal.Storage;
using CityOS.Core.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Context;

/// <summary>The context broker as the host composes it (<see cref="ContextBlock"/>): ready when its entity, temporal and subscriptions stores answer.</summary>
public sealed class ContextBlockModule : ICityOsBlock
{
    public string Name => "Context";

    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddCityOsContext(configuration);

    public void AddHealthChecks(IHealthChecksBuilder checks) => checks
        .AddPing<IEntityStore>("entities", (store, ct) => store.PingAsync(ct))
        .AddPing<ITemporalStore>("temporal", (store, ct) => store.PingAsync(ct))
        .AddPing<ISubscriptionStore>("subscriptions", (store, ct) => store.PingAsync(ct));

    public void MapRoutes(IEndpointRouteBuilder routes) => routes.MapCityOsContext();
}
