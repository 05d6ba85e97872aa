using CityOS.Core.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityOS.Devices.Import;

/// <summary>The services of file imports and external systems, part of the Devices block.</summary>
public static class ImportServices
{
    public static IServiceCollection AddCityOsImport(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ImportOptions>().Bind(configuration.GetSection(ImportOptions.Section))
            .Validate(o => o.MaxFileBytes > 0 && o.MinIntervalSeconds > 0 && o.PollTimeoutSeconds > 0 && o.MaxPollBytes > 0 && o.MaxConcurrentPolls > 0 && o.RunsKept > 0,
                "CityOS:Devices:Import: every limit is a positive number.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EntityImporter>();
        services.AddSingleton<ImportJobs>();
        services.AddSingleton<FileImports>();
        services.AddCityOsOutbound(configuration);
        services.AddSingleton<Polling.ISourceStore, Polling.SqliteSourceStore>();
        services.AddSingleton<Polling.SourcePoller>();
        services.AddHostedService(sp => sp.GetRequiredService<Polling.SourcePoller>());
        return services;
    }
}
