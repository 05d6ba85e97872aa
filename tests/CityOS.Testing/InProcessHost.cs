using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Testing;

/// <summary>Start and stop of a cityos host built in-process by a test project (shared by the test projects).</summary>
public static class InProcessHost
{
    /// <summary>Starts the host and returns the address it listens on (it was given port 0).</summary>
    public static async Task<Uri> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        return AddressOf(app);
    }

    /// <summary>The address a started app listens on.</summary>
    public static Uri AddressOf(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Stops the host if it started, releases its SQLite files and deletes its data directory.</summary>
    public static async Task StopAsync(WebApplication? app, string dataDirectory)
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
