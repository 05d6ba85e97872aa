using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.HttpOverrides;
using CityOS.Context;
using CityOS.Core.Hosting;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.Extensions.Options;
using CityOS.Identity;
using CityOS.Server.Operations;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CityOS.Server;

/// <summary>Composes the enabled blocks into one web application.</summary>
public static class CityOsHost
{
    public static readonly string Version =
        typeof(CityOsHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--port"] = "CityOS:Port",
        ["--data"] = "CityOS:DataDirectory",
        ["--host"] = "CityOS:Host",
    };

    /// <summary>The blocks of every CityOS, in the order they are composed.</summary>
    public static IReadOnlyList<ICityOsBlock> StandardBlocks() => [new ContextBlockModule(), new IdentityBlockModule(), new CityOS.Devices.DevicesBlockModule(), new CityOS.Catalog.CatalogBlockModule(), new CityOS.NgsiV2.NgsiV2BlockModule(), new CityOS.Portal.PortalBlockModule()];

    /// <param name="args">Command-line arguments and settings.</param>
    /// <param name="overrideServices">Runs after the blocks registered their services (tests replace the clock here).</param>
    /// <param name="extraBlocks">Blocks composed after the standard ones (another host's, or a test's).</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? overrideServices = null, IEnumerable<ICityOsBlock>? extraBlocks = null)
    {
        // The content root is where cityos is installed, so its own appsettings.json is read wherever it is started from;
        // the data directory stays relative to the current directory (./cityos-data).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        var settings = builder.Configuration.GetSection(ContextOptions.Section);

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            var host = settings["Host"] ?? "localhost";
            var port = settings.GetValue("Port", 1026);
            builder.WebHost.UseUrls($"http://{host}:{port}");
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.GetValue("MaxBatchBytes", new ContextOptions().MaxBatchBytes);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.GetValue("ShutdownSeconds", 30)));
        if (string.Equals(settings["LogFormat"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }

        var proxies = KnownProxies(builder.Configuration);
        builder.Services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies: the framework's default would also believe any process on this machine.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in proxies) forwarded.KnownProxies.Add(proxy);
        });
        builder.Services.AddCityOsDataDirectory(builder.Configuration);
        builder.Services.AddValidatedOptions<MemoryTrimOptions, MemoryTrimOptionsValidator>(builder.Configuration.GetSection(MemoryTrimOptions.Section));
        builder.Services.AddHostedService<IdleMemoryTrim>();
        builder.AddCityOsMetrics();
        builder.Services.Configure<SecurityOptions>(builder.Configuration.GetSection(SecurityOptions.Section));
        var blocks = CityOsBlocks.Enabled([.. StandardBlocks(), .. extraBlocks ?? []], builder.Configuration);
        // One OpenAPI 3.1 description of every endpoint of every enabled block, at /openapi/v1.json.
        builder.Services.AddOpenApi(options => options.OpenApiVersion = Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_1);
        var health = builder.Services.AddHealthChecks();
        foreach (var block in blocks)
        {
            block.AddServices(builder.Services, builder.Configuration);
            block.AddHealthChecks(health);
        }
        overrideServices?.Invoke(builder.Services);
        // A block that needs a service no enabled block registers (a block switched off another depends on) stops the host here.
        builder.Host.UseDefaultServiceProvider(provider => provider.ValidateOnBuild = true);

        var app = builder.Build();
        if (proxies.Count > 0) app.UseForwardedHeaders();
        app.Use((context, next) =>
        {
            // No response of this server is to be content-sniffed into something else (a JSON body run as script).
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return next(context);
        });
        app.UseMiddleware<RequestLogMiddleware>();
        app.UseMiddleware<ErrorResponseMiddleware>();
        app.UseCityOsMetrics();
        app.UseStatusCodePages(ProblemResponses.WriteUnroutedAsync);
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        var security = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        if (!security.Enabled)
        {
            app.Logger.LogWarning("Security is off: anyone who reaches this port may read and write every tenant. Set CityOS:Security:Enabled=true to require tokens and policies.");
        }

        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" }))
            .WithName("Health").WithSummary("Liveness: the process answers.").WithTags("Operations");
        app.MapGet("/ready", CheckReadinessAsync).Produces(StatusCodes.Status200OK).Produces(StatusCodes.Status503ServiceUnavailable)
            .WithName("Ready").WithSummary("Readiness: every block's stores answer.").WithTags("Operations");
        app.MapGet("/version", () => TypedResults.Ok(new { name = "CityOS", version = Version, ngsiLd = "1.8.1", dotnet = Environment.Version.ToString(), orion = CityOS.NgsiV2.V2Version.Orion(CityOsHost.Version) }))
            .WithName("Version").WithSummary("Version of this CityOS.").WithTags("Operations");
        foreach (var block in blocks) block.MapRoutes(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }

    /// <summary>CityOS:KnownProxies: the addresses of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.</summary>
    private static IReadOnlyList<IPAddress> KnownProxies(IConfiguration configuration) =>
        (configuration.GetSection("CityOS:KnownProxies").Get<string[]>() ?? [])
            .Select(p => IPAddress.TryParse(p.Trim(), out var address) ? address : throw new InvalidOperationException($"CityOS:KnownProxies: '{p}' is not an IP address."))
            .ToArray();

    /// <summary>/ready: 200 when every block's health check passes, else 503 (never cached).</summary>
    private static async Task CheckReadinessAsync(HttpContext context, HealthCheckService health)
    {
        var report = await health.CheckHealthAsync(context.RequestAborted);
        context.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        context.Response.Headers.CacheControl = "no-store, no-cache";
        await WriteReadiness(context, report);
    }

    /// <summary>/ready's body: <c>{"status": "ready"}</c>, or (with 503) "unavailable" and the names of the checks that failed.</summary>
    private static Task WriteReadiness(HttpContext context, HealthReport report) =>
        report.Status == HealthStatus.Unhealthy
            ? context.Response.WriteAsJsonAsync(new
            {
                status = "unavailable",
                failing = report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy).Select(e => e.Key).ToArray(),
            })
            : context.Response.WriteAsJsonAsync(new { status = "ready" });
}
