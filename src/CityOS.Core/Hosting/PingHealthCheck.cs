using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CityOS.Core.Hosting;

/// <summary>A health check that asks one service (a store) whether it answers: healthy when it does, unhealthy when it does not or fails.</summary>
public sealed class PingHealthCheck<TService>(TService service, Func<TService, CancellationToken, ValueTask<bool>> ping) : IHealthCheck
    where TService : notnull
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            return await ping(service, ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("It does not answer.");
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("It failed to answer.", error);
        }
    }
}

public static class PingHealthCheckExtensions
{
    /// <summary>Adds a check named <paramref name="name"/> that pings the registered <typeparamref name="TService"/>.</summary>
    public static IHealthChecksBuilder AddPing<TService>(this IHealthChecksBuilder checks, string name, Func<TService, CancellationToken, ValueTask<bool>> ping)
        where TService : notnull =>
        checks.Add(new HealthCheckRegistration(name, sp => new PingHealthCheck<TService>(sp.GetRequiredService<TService>(), ping), failureStatus: null, tags: null));
}
