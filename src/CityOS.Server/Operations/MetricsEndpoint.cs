using System.Net;
using CityOS.Core;
using CityOS.Core.Http;
using OpenTelemetry.Metrics;

namespace CityOS.Server.Operations;

/// <summary>
/// Settings <c>CityOS:Metrics</c>: /metrics in Prometheus text format (OpenTelemetry), answered only to the networks
/// listed (default: loopback only, so a Prometheus on the same machine, or behind the reverse proxy's own address).
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "CityOS:Metrics";

    /// <summary>false: no /metrics, and no metrics are collected.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Networks (CIDR, e.g. 10.0.0.0/8, or single addresses) whose requests /metrics answers; others get 403. None: loopback only.</summary>
    public string[] AllowedNetworks { get; set; } = [];

    /// <summary>The networks of <see cref="AllowedNetworks"/> when none is set.</summary>
    public static readonly string[] Loopback = ["127.0.0.0/8", "::1/128"];
}

public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>The meters exported: ASP.NET Core's (requests by route and status, latency), the runtime's and process's, each block's <c>CityOS.&lt;Block&gt;</c>.</summary>
    public static void AddCityOsMetrics(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        if (!options.Enabled) return;
        Networks(options); // a network that cannot be read stops the start here, naming it
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddMeter("System.Runtime", "System.Net.Http", "CityOS.*")
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
    }

    /// <summary>Answers GET /metrics to the allowed networks, 403 (problem details) to any other.</summary>
    public static void UseCityOsMetrics(this WebApplication app)
    {
        var options = app.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        if (!options.Enabled) return;
        var networks = Networks(options);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: context => context.Request.Path == Path, path: null,
            configureBranchedPipeline: branch => branch.Use(async (context, next) =>
            {
                if (context.Connection.RemoteIpAddress is { } address && networks.Any(n => n.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address)))
                {
                    await next(context);
                    return;
                }
                await ProblemResponses.WriteAsync(context, new NgsiLdException(NgsiLdErrorType.Forbidden,
                    $"/metrics answers only the networks of {MetricsOptions.Section}:AllowedNetworks."));
            }), optionsName: null);
    }

    private static IReadOnlyList<IPNetwork> Networks(MetricsOptions options) =>
        (options.AllowedNetworks.Length > 0 ? options.AllowedNetworks : MetricsOptions.Loopback).Select(n => IPNetwork.TryParse(n.Trim(), out var network) ? network
            : IPAddress.TryParse(n.Trim(), out var address) ? new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : throw new InvalidOperationException($"{MetricsOptions.Section}:AllowedNetworks: '{n}' is neither a network (CIDR) nor an IP address.")).ToArray();
}
