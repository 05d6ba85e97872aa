using CityOS.Core.Hosting;
using CityOS.Identity.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Identity;

/// <summary>The identity block as the host composes it (<see cref="IdentityBlock"/>): ready when identity.db answers.</summary>
public sealed class IdentityBlockModule : ICityOsBlock
{
    public string Name => "Identity";

    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddCityOsIdentity(configuration);

    public void AddHealthChecks(IHealthChecksBuilder checks) =>
        checks.AddPing<IIdentityStore>("identity", async (store, ct) => await store.PingAsync(ct));

    public void MapRoutes(IEndpointRouteBuilder routes) => routes.MapCityOsIdentity();
}
