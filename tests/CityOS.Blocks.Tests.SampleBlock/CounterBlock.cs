using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Hosting;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOS.Blocks.Tests.SampleBlock;

/// <summary>
/// A small block written against CityOS.Core only: it counts hits in an attribute of an entity
/// (<c>POST /cityos/counter/v1/{entityId}</c>) and reads the count back (<c>GET</c>), reading and writing the entity
/// through the context API in the request's tenant, as the request's caller.
/// </summary>
public sealed class CounterBlock : ICityOsBlock
{
    public string Name => "Counter";

    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<CounterOptions, CounterOptionsValidator>(configuration.GetSection(CounterOptions.Section));
        services.AddSingleton<Counter>();
    }

    /// <summary>The block keeps nothing of its own: the broker's checks answer for its data.</summary>
    public void AddHealthChecks(IHealthChecksBuilder checks)
    {
    }

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
        var counter = routes.MapGroup("/cityos/counter/v1").WithTags("Counter")
            // Each block declares who may call its routes: here any caller the host authenticates (the context API then checks its grants).
            .WithSurface(ApiSurface.Json).RequireAuthorization(CallerAuthentication.CallerPolicy);
        counter.MapPost("/{entityId}", Increment).WithName("IncrementCounter").WithSummary("Add one to the count of an entity (created at 1).");
        counter.MapGet("/{entityId}", Read).WithName("ReadCounter").WithSummary("The count of an entity.");
    }

    private static Task<IResult> Increment(string entityId, HttpContext http, Counter counter, CancellationToken ct) =>
        Answer(async () => new CounterState(entityId, await counter.IncrementAsync(Call(http), entityId, ct)));

    private static Task<IResult> Read(string entityId, HttpContext http, Counter counter, CancellationToken ct) =>
        Answer(async () => new CounterState(entityId, await counter.ReadAsync(Call(http), entityId, ct)));

    private static ContextCall Call(HttpContext http) => new(http.Caller(), Tenancy.FromRequest(http.Request));

    /// <summary>The block's own surface: the count, or the context API's error as a problem with the status this block gives it.</summary>
    private static async Task<IResult> Answer(Func<Task<CounterState>> run)
    {
        try
        {
            return TypedResults.Ok(await run());
        }
        catch (ContextException error)
        {
            return TypedResults.Problem(error.Detail, statusCode: error.Kind switch
            {
                ContextErrorKind.BadRequest => StatusCodes.Status400BadRequest,
                ContextErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
                ContextErrorKind.Forbidden => StatusCodes.Status403Forbidden,
                ContextErrorKind.NotFound or ContextErrorKind.TenantNotFound => StatusCodes.Status404NotFound,
                ContextErrorKind.AlreadyExists or ContextErrorKind.Conflict => StatusCodes.Status409Conflict,
                ContextErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            }, title: error.Kind.ToString());
        }
    }
}

/// <summary>The answer of the counter routes.</summary>
public sealed record CounterState(string Id, long Count);

/// <summary>Settings of the counter block (section "CityOS:Counter").</summary>
public sealed class CounterOptions
{
    public const string Section = "CityOS:Counter";

    /// <summary>The entity type of counters the block creates.</summary>
    public string EntityType { get; set; } = "Counter";

    /// <summary>The Property that holds the count.</summary>
    public string Attribute { get; set; } = "count";
}

internal sealed class CounterOptionsValidator : OptionsValidator<CounterOptions>
{
    protected override string Section => CounterOptions.Section;

    protected override void Check(CounterOptions options, OptionChecks checks)
    {
        checks.Require(options.EntityType.Length > 0, $"{checks.Setting(nameof(options.EntityType))} must not be empty.");
        checks.Require(options.Attribute.Length > 0, $"{checks.Setting(nameof(options.Attribute))} must not be empty.");
    }
}

/// <summary>The counting rule: read the count through <see cref="IContextReader"/>, write one more through <see cref="IContextWriter"/>.</summary>
public sealed class Counter(IContextReader reader, IContextWriter writer, IOptions<CounterOptions> options)
{
    private readonly CounterOptions _options = options.Value;

    public async Task<long> ReadAsync(ContextCall call, string entityId, CancellationToken ct) =>
        CountOf(await reader.RetrieveAsync(call, entityId, [_options.Attribute], ct));

    /// <summary>The count after adding one; a missing entity is created with a count of 1.</summary>
    public async Task<long> IncrementAsync(ContextCall call, string entityId, CancellationToken ct)
    {
        long count;
        try
        {
            count = await ReadAsync(call, entityId, ct) + 1;
        }
        catch (ContextException missing) when (missing.Kind is ContextErrorKind.NotFound or ContextErrorKind.TenantNotFound)
        {
            await writer.CreateAsync(call, new JsonObject
            {
                ["id"] = entityId,
                ["type"] = _options.EntityType,
                [_options.Attribute] = Count(1),
            }, ct);
            return 1;
        }
        await writer.AppendAttributesAsync(call, entityId, new JsonObject { [_options.Attribute] = Count(count) }, noOverwrite: false, ct);
        return count;
    }

    private long CountOf(JsonObject entity) =>
        entity[_options.Attribute]?["value"] is JsonValue value && value.TryGetValue<double>(out var number) ? (long)number
        : entity.ContainsKey(_options.Attribute) ? throw new ContextException(ContextErrorKind.Conflict, $"The {_options.Attribute} of {entity["id"]} is not a number.")
        : 0;

    private static JsonObject Count(long value) => new() { ["type"] = "Property", ["value"] = value };
}
