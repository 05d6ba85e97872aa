using CityOS.Core.Http;
using Microsoft.AspNetCore.Http;

namespace CityOS.Context.Broker.Http;

/// <summary>
/// GS CIM 009, 6.3.14: the NGSILD-Tenant header of a request is present in its response too, errors included (a
/// NonexistentTenant answer names the tenant it did not find).
/// </summary>
public static class TenantEcho
{
    public static ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.Headers[Tenancy.HeaderName].ToString() is { Length: > 0 } tenant)
        {
            // On starting, so that an error answer written after the response was cleared carries it as well.
            http.Response.OnStarting(() =>
            {
                http.Response.Headers[Tenancy.HeaderName] = tenant;
                return Task.CompletedTask;
            });
        }
        return next(context);
    }
}
