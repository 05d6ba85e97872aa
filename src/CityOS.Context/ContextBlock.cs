using CityOS.Context.Broker;
using CityOS.Context.Broker.Http;
using CityOS.Context.DeadLetters;
using CityOS.Context.JsonLd;
using CityOS.Context.Storage;
using CityOS.Context.Storage.Sqlite;
using CityOS.Context.Subscriptions;
using CityOS.Context.Temporal;
using CityOS.Context.Temporal.Http;
using CityOS.Core.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Context;

/// <summary>The context broker block: its services and its NGSI-LD routes under /ngsi-ld/v1.</summary>
public static class ContextBlock
{
    public static IServiceCollection AddCityOsContext(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(ContextOptions.Section);
        services.AddOptions<ContextOptions>().Bind(section)
            .Validate(o => o.Limits.Problem() is null, "Invalid CityOS:Limits settings (see the README's configuration table).")
            .ValidateOnStart();
        var dataDirectory = section[nameof(ContextOptions.DataDirectory)] ?? new ContextOptions().DataDirectory;
        services.Configure<SqliteStoreOptions>(o => o.DataDirectory = dataDirectory);
        services.AddCityOsOutbound(configuration);
        services.AddCityOsJsonLd(o =>
        {
            configuration.GetSection(JsonLdOptions.Section).Bind(o);
            o.DataDirectory = dataDirectory;
            o.PublicBaseUrl = section["PublicBaseUrl"];
        });
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SqliteEntityStore>();
        services.AddSingleton<IEntityStore>(sp => sp.GetRequiredService<SqliteEntityStore>());
        services.AddSingleton<IChangeFeed>(sp => sp.GetRequiredService<SqliteEntityStore>());
        services.AddSingleton<IDeadLetterStore>(sp => sp.GetRequiredService<SqliteEntityStore>());
        services.AddMetrics();
        services.AddSingleton<DeadLetterQueue>();
        services.AddSingleton<DeadLetterRetry>();
        services.AddOptions<ChangeFeedOptions>().Bind(configuration.GetSection(ChangeFeedOptions.Section))
            .Validate(o => o.Problem() is null, "Invalid CityOS:ChangeFeed settings (see the README's configuration table).").ValidateOnStart();
        services.AddOptions<SqliteStoreOptions>().Bind(configuration.GetSection(SqliteStoreOptions.Section))
            .Validate(o => o.Problem() is null, "Invalid CityOS:Storage settings (see the README's configuration table).").ValidateOnStart();
        services.Configure<CityOS.Core.Security.SecurityOptions>(configuration.GetSection(CityOS.Core.Security.SecurityOptions.Section));
        services.AddSingleton<EntityQueryBuilder>();
        services.AddSingleton<EntityBroker>();
        services.AddSingleton<BrokerRequestReader>();
        services.AddCityOsSubscriptions(configuration, dataDirectory);
        services.AddCityOsTemporal(configuration);
        return services;
    }

    public static IEndpointRouteBuilder MapCityOsContext(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/ngsi-ld/v1");
        api.MapEntitiesApi();
        api.MapEntityOperationsApi();
        api.MapDiscoveryApi();
        api.MapSubscriptionsApi();
        api.MapTemporalApi();
        app.MapJsonLdContextsApi();
        app.MapDeadLettersApi();
        return app;
    }
}
