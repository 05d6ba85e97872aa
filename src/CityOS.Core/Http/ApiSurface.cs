using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CityOS.Core.Http;

/// <summary>
/// The kind of client a group of endpoints answers, which decides the form its errors leave in (one
/// <see cref="Microsoft.AspNetCore.Http.IProblemDetailsWriter"/> each, see <see cref="HttpEdge"/>).
/// </summary>
public enum ApiSurface
{
    /// <summary>NGSI-LD: application/json problem details with the NGSI-LD error type URIs (GS CIM 009, 5.5.2).</summary>
    NgsiLd,

    /// <summary>OAuth 2.0 / OpenID Connect endpoints: RFC 6749 5.2 <c>{"error", "error_description"}</c>.</summary>
    OAuth,

    /// <summary>The other JSON APIs (administration, operations) and requests no endpoint took: RFC 9457 application/problem+json.</summary>
    Json,

    /// <summary>HTML pages: a small error page in Japanese and English for a browser (RFC 9457 for any other client).</summary>
    Html,
}

/// <summary>Endpoint metadata naming the <see cref="ApiSurface"/> of an endpoint (set on its group with <see cref="ApiSurfaces.WithSurface{TBuilder}"/>).</summary>
public sealed record ApiSurfaceMetadata(ApiSurface Surface);

/// <summary>Declares and reads the <see cref="ApiSurface"/> of endpoints.</summary>
public static class ApiSurfaces
{
    public static TBuilder WithSurface<TBuilder>(this TBuilder builder, ApiSurface surface) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiSurfaceMetadata(surface));

    /// <summary>The surface of the endpoint the request was routed to; <see cref="ApiSurface.Json"/> when no endpoint took it (404, 405).</summary>
    public static ApiSurface Of(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<ApiSurfaceMetadata>()?.Surface ?? ApiSurface.Json;
}
