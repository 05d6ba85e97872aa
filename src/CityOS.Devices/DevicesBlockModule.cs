using CityOS.Core.Hosting;
using CityOS.Devices.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Devices;

/// <summary>The IoT agent as the host composes it (<see cref="DevicesBlock"/>): ready when its registry answers.</summary>
public sealed class DevicesBlockModule : ICityOsBlock
{
    public string Name => "Devices";

    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddCityOsDevices(configuration);

    public void AddHealthChecks(IHealthChecksBuilder checks) => checks.AddPing<IDeviceRegistry>("devices", (registry, ct) => registry.PingAsync(ct));

    public void MapRoutes(IEndpointRouteBuilder routes) => routes.MapCityOsDevices();
}
