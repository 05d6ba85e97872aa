using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Core.Hosting;

/// <summary>
/// A building block of the City OS as the host composes it (the broker, identity, an IoT agent, the catalog...): it
/// registers its services and validated options, maps its routes and says how to tell that it is ready. The host calls
/// every enabled block in order (<see cref="CityOsBlocks"/>); a block talks to the others only through the interfaces of
/// CityOS.Core (e.g. <see cref="Context.IContextReader"/>) and their public HTTP APIs.
/// </summary>
public interface ICityOsBlock
{
    /// <summary>The block's name in settings: <c>CityOS:Blocks:&lt;Name&gt;:Enabled</c> switches it off.</summary>
    string Name { get; }

    /// <summary>Registers the block's services and its options (bound from configuration, validated on start).</summary>
    void AddServices(IServiceCollection services, IConfiguration configuration);

    /// <summary>Registers the health checks that answer for the block's stores; /ready is ready when all of them are.</summary>
    void AddHealthChecks(IHealthChecksBuilder checks);

    /// <summary>Maps the block's HTTP routes.</summary>
    void MapRoutes(IEndpointRouteBuilder routes);
}
