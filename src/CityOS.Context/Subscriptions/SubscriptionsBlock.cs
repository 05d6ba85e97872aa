using CityOS.Context.DeadLetters;
using CityOS.Context.Storage;
using CityOS.Core.Hosting;
using CityOS.Core.Outbound;
using CityOS.Mqtt;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Subscriptions;

/// <summary>Subscriptions and notifications: the registry, its store (subscriptions.db), the notifier and the dispatcher.</summary>
public static class SubscriptionsBlock
{
    public static IServiceCollection AddCityOsSubscriptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SubscriptionOptions, SubscriptionOptionsValidator>(configuration.GetSection(SubscriptionOptions.Section));
        services.Configure<ChangeFeedOptions>(o => o.Consumers.Add(Notifier.ConsumerName));
        services.AddSingleton<ISubscriptionStore>(sp => new SubscriptionStore(sp.GetRequiredService<DataDirectory>().Combine("subscriptions.db"),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<SubscriptionStore>()));
        services.AddSingleton<SubscriptionRegistry>();
        services.AddSingleton(sp => new MqttConnectionPool(
            endpoint => MqttClientOptions.FromEndpoint(endpoint) with { ConnectSocket = sp.GetRequiredService<OutboundPolicy>().ConnectAsync },
            sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<DeliveryDispatcher>();
        services.AddHttpClient(DeliveryDispatcher.HttpClientName, (sp, client) =>
            {
                // The dispatcher applies its own per-attempt timeout.
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            // Connections go through the outbound policy, which checks the addresses the endpoint's name resolves to now.
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var handler = sp.GetRequiredService<OutboundPolicy>().CreateHandler();
                handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
                handler.MaxConnectionsPerServer = 256;
                return handler;
            })
            // The dispatcher logs failed deliveries itself; the factory's per-request log scopes cost more than a notification's payload.
            .RemoveAllLoggers();
        services.AddSingleton<Notifier>();
        services.AddHostedService(sp => sp.GetRequiredService<Notifier>());
        services.AddSingleton<IChangeReprocessor>(sp => sp.GetRequiredService<Notifier>());
        return services;
    }
}
