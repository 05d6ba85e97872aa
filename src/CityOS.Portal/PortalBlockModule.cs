using CityOS.Core.Hosting;
using CityOS.Portal.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CityOS.Portal;

/// <summary>
/// The web front as the host composes it: the developer portal (API reference with a try-it console over the host's
/// OpenAPI description at /openapi/v1.json). It keeps no store of its own, so it adds no health check.
/// </summary>
public sealed class PortalBlockModule : ICityOsBlock
{
    public string Name => "Portal";

    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
    }

    public void AddHealthChecks(IHealthChecksBuilder checks)
    {
    }

    public void MapRoutes(IEndpointRouteBuilder routes) => routes.MapApiReference();
}
