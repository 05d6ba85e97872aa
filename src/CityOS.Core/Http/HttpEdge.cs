using CityOS.Core.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CityOS.Core.Http;

/// <summary>
/// The HTTP edge every block shares: the caller's authentication scheme and the two policies the route groups declare
/// (<see cref="CallerAuthentication.CallerPolicy"/>, <see cref="CallerAuthentication.AccountPolicy"/>), and problem details
/// through <see cref="IProblemDetailsService"/> with one writer per <see cref="ApiSurface"/>. Every block that maps routes
/// calls <see cref="AddCityOsHttpEdge"/>; the first call registers, the others find it done.
/// </summary>
public static class HttpEdge
{
    public static IServiceCollection AddCityOsHttpEdge(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(CallerAuthenticationHandler))) return services;

        // The writers are asked in this order; the RFC 9457 fallback takes whatever the surfaces' writers leave.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter>(JsonProblemWriter.NgsiLd()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, OAuthProblemWriter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, HtmlProblemWriter>());
        services.AddSingleton<IProblemDetailsWriter>(JsonProblemWriter.Fallback());
        services.AddProblemDetails();

        // No default scheme (ASP.NET Core would make the only scheme the default, and UseAuthentication would then read the
        // token of every request): only the endpoints whose policy names the scheme read a token.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, CallerAuthenticationHandler>(CallerAuthentication.Scheme, displayName: null, configureOptions: null);
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<SecurityOptions>>((authorization, security) =>
        {
            authorization.AddPolicy(CallerAuthentication.CallerPolicy, security.Value.Enabled
                ? policy => policy.AddAuthenticationSchemes(CallerAuthentication.Scheme).AddRequirements(new EstablishedCallerRequirement())
                : policy => policy.RequireAssertion(_ => true));
            authorization.AddPolicy(CallerAuthentication.AccountPolicy,
                policy => policy.AddAuthenticationSchemes(CallerAuthentication.Scheme).RequireAuthenticatedUser());
        });
        return services;
    }

    /// <summary>
    /// A block's own writer of problem details (its endpoints' errors in the form its clients read), asked before the RFC 9457
    /// fallback whichever block registered the edge first.
    /// </summary>
    public static IServiceCollection AddCityOsProblemWriter<TWriter>(this IServiceCollection services) where TWriter : class, IProblemDetailsWriter
    {
        services.AddCityOsHttpEdge();
        var fallback = services.First(d => d.ImplementationInstance is JsonProblemWriter { TakesEverything: true });
        services.Insert(services.IndexOf(fallback), ServiceDescriptor.Singleton<IProblemDetailsWriter, TWriter>());
        return services;
    }
}
