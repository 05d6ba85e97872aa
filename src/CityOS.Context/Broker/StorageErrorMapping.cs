using CityOS.Context.Storage;
using CityOS.Core;
using Microsoft.AspNetCore.Http;

namespace CityOS.Context.Broker;

/// <summary>
/// The NGSI-LD answer to a <see cref="StorageException"/>, at the edge of the NGSI-LD API: a tenant that does not
/// exist is the client's 404 NonexistentTenant; every other storage error is the server's and stays as it is, for
/// the error middleware to log and answer 500 without internals.
/// </summary>
public static class StorageErrorMapping
{
    public static NgsiLdException? ToNgsiLd(StorageException error) => error switch
    {
        TenantNotFoundException missing => new NgsiLdException(NgsiLdErrorType.NonexistentTenant, $"Tenant '{missing.Tenant}' does not exist."),
        InvalidCursorException invalid => NgsiLdException.BadRequest(invalid.Message),
        _ => null,
    };

    /// <summary>An endpoint filter for the routes that call a store directly rather than through the <see cref="EntityBroker"/>.</summary>
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (StorageException error) when (ToNgsiLd(error) is { } mapped)
        {
            throw mapped;
        }
    }
}
