using CityOS.Context.Broker;
using CityOS.Context.Broker.Http;
using CityOS.Context.DeadLetters;
using CityOS.Context.EntityMaps;
using CityOS.Context.Info;
using CityOS.Context.JsonLd;
using CityOS.Context.Storage;
using CityOS.Context.Storage.Sqlite;
using CityOS.Context.Subscriptions;
using CityOS.Context.Temporal;
using CityOS.Context.Temporal.Http;
using CityOS.Core.Context;
using CityOS.Core.Hosting;
using CityOS.Core.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOS.Context;

/// <summary>The context broker block: its services and its NGSI-LD routes under /ngsi-ld/v1.</summary>
public static class ContextBlock
{
    public static IServiceCollection AddCityOsContext(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(ContextOptions.Section);
        services.AddValidatedOptions<ContextOptions, ContextOptionsValidator>(section);
        services.AddCityOsDataDirectory(configuration);
        services.AddOptions<SqliteStoreOptions>().Configure<DataDirectory>((o, data) => o.DataDirectory = data.Path);
        services.AddCityOsOutbound(configuration);
        services.AddCityOsJsonLd(o =>
        {
            configuration.GetSection(JsonLdOptions.Section).Bind(o);
            o.PublicBaseUrl = section["PublicBaseUrl"];
        });
        services.AddOptions<JsonLdOptions>().Configure<DataDirectory>((o, data) => o.DataDirectory = data.Path);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SqliteEntityStore>();
        services.AddSingleton<IEntityStore>(sp => sp.GetRequiredService<SqliteEntityStore>());
        services.AddSingleton<IChangeFeed>(sp => sp.GetRequiredService<SqliteEntityStore>());
        services.AddSingleton<IDeadLetterStore>(sp => sp.GetRequiredService<SqliteEntityStore>());
        services.AddMetrics();
        services.AddSingleton<DeadLetterQueue>();
        services.AddSingleton<DeadLetterRetry>();
        services.AddValidatedOptions<ChangeFeedOptions, ChangeFeedOptionsValidator>(configuration.GetSection(ChangeFeedOptions.Section));
        services.AddValidatedOptions<SqliteStoreOptions, SqliteStoreOptionsValidator>(configuration.GetSection(SqliteStoreOptions.Section));
        services.AddSingleton<EntityQueryBuilder>();
        services.AddSingleton<EntityBroker>();
        services.AddHostedService<TransientReaper>();
        services.AddSingleton<BrokerRequestReader>();
        services.AddSingleton<ContextApi>();
        services.AddSingleton<ContextSourceIdentity>();
        services.AddOptions<EntityMapOptions>().Bind(configuration.GetSection(EntityMapOptions.Section));
        services.AddSingleton<IEntityMapStore, InMemoryEntityMapStore>();
        services.AddSingleton<EntityMapRules>();
        services.AddSingleton<EntityMapQueries>();
        services.AddSingleton<Snapshots.ISnapshotStore, Snapshots.InMemorySnapshotStore>();
        services.AddSingleton<Snapshots.SnapshotService>();
        services.AddSingleton<IContextReader>(sp => sp.GetRequiredService<ContextApi>());
        services.AddSingleton<IContextWriter>(sp => sp.GetRequiredService<ContextApi>());
        services.AddSingleton<IContextChanges, ContextChanges>();
        services.AddOptions<ChangeFeedOptions>().Configure<IOptions<ContextChangeConsumers>>((o, c) => o.Consumers.UnionWith(c.Value.Names));
        services.AddCityOsSubscriptions(configuration);
        services.AddCityOsTemporal(configuration);
        return services;
    }

    public static IEndpointRouteBuilder MapCityOsContext(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/ngsi-ld/v1");
        api.AddEndpointFilter(LengthRequired.Filter).AddEndpointFilter(TenantEcho.Filter);
        api.MapEntitiesApi();
        api.MapEntityOperationsApi();
        api.MapDiscoveryApi();
        api.MapSubscriptionsApi();
        api.MapTemporalApi();
        api.MapInfoApi();
        api.MapEntityMapsApi();
        Snapshots.SnapshotsApi.MapSnapshotsApi(api);
        app.MapJsonLdContextsApi();
        app.MapDeadLettersApi();
        return app;
    }
}
