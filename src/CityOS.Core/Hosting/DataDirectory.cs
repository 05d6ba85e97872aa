using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityOS.Core.Hosting;

/// <summary>
/// The one folder of all persistent data (setting <c>CityOS:DataDirectory</c>, <c>--data</c>): every block keeps its
/// files below it (the tenant databases, subscriptions.db, temporal/, identity.db, the cached @contexts).
/// </summary>
public sealed class DataDirectory
{
    public const string Setting = "CityOS:DataDirectory";
    public const string Default = "cityos-data";

    public DataDirectory(string path) => Path = System.IO.Path.GetFullPath(path);

    /// <summary>The absolute path of the folder.</summary>
    public string Path { get; }

    /// <summary>The data directory of these settings (the setting, or ./cityos-data).</summary>
    public static DataDirectory From(IConfiguration configuration) => new(configuration[Setting] is { Length: > 0 } path ? path : Default);

    /// <summary>A file or folder below the data directory.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}

public static class DataDirectoryServiceCollectionExtensions
{
    /// <summary>Registers the <see cref="DataDirectory"/> of these settings once (the first registration wins).</summary>
    public static IServiceCollection AddCityOsDataDirectory(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ => DataDirectory.From(configuration));
        return services;
    }
}
