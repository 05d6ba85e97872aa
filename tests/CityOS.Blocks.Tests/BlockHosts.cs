using CityOS.Blocks.Tests.SampleBlock;
using CityOS.Testing;
using CityOS.Core.Hosting;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CityOS.Blocks.Tests;

/// <summary>The full cityos host with the sample counter block added (security on with CITYOS_TEST_AUTH=1).</summary>
public class CounterHost : CityOsTestHost
{
    protected override IEnumerable<ICityOsBlock> Blocks => [new CounterBlock(), new ContextDocumentBlock()];

    /// <summary>The host may fetch the @context documents it serves itself (<see cref="ContextDocumentBlock"/>).</summary>
    protected override string[] Settings => ["--CityOS:Outbound:AllowSelf", "true"];

    /// <summary>A caller who may do everything (the system administrator), for calls of the context API made by the tests.</summary>
    public static readonly CallerIdentity Administrator = new()
    {
        Subject = "blocks-tests",
        TenantRoles = new Dictionary<string, IReadOnlyList<string>> { [SecurityTenants.All] = ["system-admin"] },
    };

    public string ContextUrl => new Uri(BaseAddress, ContextDocumentBlock.Path).ToString();
}

/// <summary>The counter host with security on whatever CITYOS_TEST_AUTH says.</summary>
public sealed class SecuredCounterHost : CounterHost
{
    protected override bool SecurityOn => true;
}

/// <summary>The counter host with the counter block switched off.</summary>
public sealed class CounterOffHost : CounterHost
{
    protected override string[] Settings => [.. base.Settings, "--CityOS:Blocks:Counter:Enabled", "false"];
}

/// <summary>The host with a block whose health check fails.</summary>
public sealed class FailingBlockHost : CityOsTestHost
{
    protected override IEnumerable<ICityOsBlock> Blocks => [new FailingBlock()];
}

/// <summary>A block of the tests that serves one user @context document (temperature and a vocabulary of its own).</summary>
public sealed class ContextDocumentBlock : ICityOsBlock
{
    public const string Path = "/tests/context.jsonld";
    public const string Vocabulary = "https://blocks.tests.example/vocab#";

    public string Name => "ContextDocument";

    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
    }

    public void AddHealthChecks(IHealthChecksBuilder checks)
    {
    }

    public void MapRoutes(IEndpointRouteBuilder routes) =>
        routes.MapGet(Path, () => Results.Text(Document, "application/ld+json"));

    private static readonly string Document = new System.Text.Json.Nodes.JsonObject
    {
        ["@context"] = new System.Text.Json.Nodes.JsonObject { ["temperature"] = Vocabulary + "temperature", ["Sensor"] = Vocabulary + "Sensor" },
    }.ToJsonString();
}

/// <summary>A block whose store never answers.</summary>
public sealed class FailingBlock : ICityOsBlock
{
    public string Name => "Failing";

    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
    }

    public void AddHealthChecks(IHealthChecksBuilder checks) =>
        checks.AddCheck("failing-store", () => HealthCheckResult.Unhealthy("The store of this block is down."));

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
    }
}
