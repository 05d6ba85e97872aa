using CityOS.Core.Context;
using CityOS.Core.Http;
using CityOS.Core.Outbound;
using CityOS.Devices.Http;
using CityOS.Devices.Mqtt;
using CityOS.Devices.Import;
using CityOS.Devices.Services;
using CityOS.Devices.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityOS.Devices;

/// <summary>The IoT agent: provisioning (/iot/services, /iot/devices) and southbound measures, written through the broker's IContextWriter.</summary>
public static class DevicesBlock
{
    public static IServiceCollection AddCityOsDevices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddCityOsHttpEdge();
        services.AddOptions<DevicesOptions>().Bind(configuration.GetSection(DevicesOptions.Section))
            .Validate(o => o.MaxPayloadBytes is > 0 and <= 64 * 1024 * 1024, "CityOS:Devices:MaxPayloadBytes must be between 1 and 67108864.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IDeviceRegistry, SqliteDeviceRegistry>();
        services.AddSingleton<MeasureIngest>();
        services.AddSingleton<MeasureBatcher>();
        services.AddSingleton<IDeviceStateStore>(sp => (SqliteDeviceRegistry)sp.GetRequiredService<IDeviceRegistry>());
        services.AddSingleton<DeviceActivity>();
        services.AddHostedService(sp => sp.GetRequiredService<DeviceActivity>());
        services.AddCityOsOutbound(configuration);
        services.AddSingleton<ICommandStore>(sp => (SqliteDeviceRegistry)sp.GetRequiredService<IDeviceRegistry>());
        services.AddSingleton<MqttCommandOutlet>();
        services.AddSingleton<DeviceCommands>();
        services.AddSingleton<MqttDeviceMessages>();
        services.AddSingleton<MqttAccess>();
        services.AddContextChangeConsumer(CommandFollower.Consumer);
        services.AddHostedService<CommandFollower>();
        services.AddOptions<ExternalMqttOptions>().Bind(configuration.GetSection(ExternalMqttOptions.Section))
            .Validate(o => o.Port is > 0 and <= 65535, "CityOS:Devices:ExternalMqtt:Port must be between 1 and 65535.")
            .ValidateOnStart();
        services.AddSingleton<ExternalMqttSubscriber>();
        services.AddHostedService(sp => sp.GetRequiredService<ExternalMqttSubscriber>());
        services.AddOptions<MqttBrokerOptions>().Bind(configuration.GetSection(MqttBrokerOptions.Section))
            .Validate(o => o.Port is >= 0 and <= 65535, "CityOS:Mqtt:Broker:Port must be between 0 and 65535.")
            .ValidateOnStart();
        services.AddSingleton<DeviceMqttBroker>();
        services.AddHostedService(sp => sp.GetRequiredService<DeviceMqttBroker>());
        services.AddCityOsImport(configuration);
        return services;
    }

    public static IEndpointRouteBuilder MapCityOsDevices(this IEndpointRouteBuilder app)
    {
        app.MapProvisioningApi();
        app.MapSouthboundHttpApi();
        app.MapImportEndpoints();
        return app;
    }
}
