using CityOS.Core.Hosting;
using CityOS.Devices.Mqtt;
using CityOS.Devices.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CityOS.Devices;

/// <summary>The IoT agent as the host composes it (<see cref="DevicesBlock"/>): ready when its registry answers, its MQTT broker listens and, when configured, it is subscribed to the external broker.</summary>
public sealed class DevicesBlockModule : ICityOsBlock
{
    public string Name => "Devices";

    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddCityOsDevices(configuration);

    public void AddHealthChecks(IHealthChecksBuilder checks) => checks
        .AddPing<IDeviceRegistry>("devices", (registry, ct) => registry.PingAsync(ct))
        .Add(new HealthCheckRegistration("mqtt", sp => sp.GetRequiredService<DeviceMqttBroker>(), failureStatus: null, tags: null))
        .Add(new HealthCheckRegistration("mqtt-external", sp => sp.GetRequiredService<ExternalMqttSubscriber>(), failureStatus: null, tags: null));

    public void MapRoutes(IEndpointRouteBuilder routes) => routes.MapCityOsDevices();
}
