using CityOS.Context.Broker.Http;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityOS.Context.Info;

/// <summary>Information about the broker itself under /ngsi-ld/v1/info (GS CIM 009 1.9.1, 5.15, 6.33).</summary>
public static class InfoApi
{
    public static RouteGroupBuilder MapInfoApi(this RouteGroupBuilder api)
    {
        api.MapGroup("/info").WithTags("Info").WithSurface(ApiSurface.NgsiLd).RequireAuthorization(CallerAuthentication.CallerPolicy)
            .MapGet("/sourceIdentity", SourceIdentity)
            .WithName("RetrieveContextSourceIdentity")
            .WithSummary("The identity of this broker as a Context Source, for the tenant of the request (5.15.1).");
        return api;
    }

    private static async Task<NgsiLdResponse> SourceIdentity(HttpRequest request, BrokerRequestReader reader, ContextSourceIdentity identity, CancellationToken ct)
    {
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var (tenant, terms) = await reader.ReadContextAsync(request, ct);
        return new NgsiLdResponse(identity.Describe(tenant), terms, mediaType);
    }
}
