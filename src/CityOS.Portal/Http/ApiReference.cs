using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Scalar.AspNetCore;

namespace CityOS.Portal.Http;

/// <summary>The API reference and try-it console (Scalar, its script served by this server: no CDN).</summary>
public static class ApiReference
{
    public const string Path = "/api-reference";

    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder routes)
    {
        routes.MapScalarApiReference(Path, options => options
                .WithTitle("CityOS API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .ExcludeFromDescription();
        return routes;
    }
}
