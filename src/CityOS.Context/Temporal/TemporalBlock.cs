using CityOS.Context.DeadLetters;
using CityOS.Context.Storage;
using CityOS.Context.Temporal.Storage;
using CityOS.Core.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CityOS.Context.Temporal;

/// <summary>The temporal part of the context broker: the temporal store, the history recorder and its pruning (routes: <see cref="Http.TemporalApi"/>).</summary>
public static class TemporalBlock
{
    public static IServiceCollection AddCityOsTemporal(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<TemporalOptions, TemporalOptionsValidator>(configuration.GetSection(TemporalOptions.Section));
        services.Configure<ChangeFeedOptions>(o => o.Consumers.Add(HistoryRecorder.Consumer));
        services.AddSingleton<SqliteTemporalStore>();
        services.AddSingleton<ITemporalStore>(sp => sp.GetRequiredService<SqliteTemporalStore>());
        services.AddSingleton<TemporalService>();
        services.AddSingleton<HistoryRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<HistoryRecorder>());
        services.AddSingleton<IChangeReprocessor>(sp => sp.GetRequiredService<HistoryRecorder>());
        services.AddSingleton<HistoryPruner>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<HistoryPruner>());
        return services;
    }
}
