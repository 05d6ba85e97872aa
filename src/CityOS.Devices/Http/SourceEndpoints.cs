using System.Text.Json.Nodes;
using CityOS.Core;
using CityOS.Core.Context;
using CityOS.Core.Http;
using CityOS.Core.Outbound;
using CityOS.Core.Security;
using CityOS.Devices.Import;
using CityOS.Devices.Polling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CityOS.Devices.Http;

/// <summary>
/// External systems CityOS polls (AM-2), per tenant: <c>/import/v1/sources</c> registers one (URL, interval, mapping),
/// lists and removes them, polls one now, and shows each one's run history. With security on, for the tenant's administrators.
/// </summary>
public static class SourceEndpoints
{
    private const long MaxRegistrationBytes = 256 * 1024;
    private const int MaxRuns = 100;

    public static RouteGroupBuilder MapSourceEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(ImportEndpoints.Root + "/sources").WithTags("Import").RequireAuthorization(CallerAuthentication.CallerPolicy);
        api.MapPost("", Register).WithName("ImportSourceRegister")
            .WithSummary("Registers an external system to poll: {name, url, format?, recordsPath?, headers?, intervalSeconds, mapping}; its first poll is due at once.");
        api.MapGet("", List).WithName("ImportSources").WithSummary("The external systems of the tenant, with their next and last run.");
        api.MapGet("/{id}", Get).WithName("ImportSource").WithSummary("One external system, with its next and last run.");
        api.MapDelete("/{id}", Delete).WithName("ImportSourceDelete").WithSummary("Stops polling an external system and forgets its history (its entities stay).");
        api.MapPost("/{id}/run", RunNow).WithName("ImportSourceRun").WithSummary("Polls the external system now and answers the run.");
        api.MapGet("/{id}/runs", Runs).WithName("ImportSourceRuns").WithSummary("The history of the external system's polls, latest first (time, records created/updated, errors).");
        return api;
    }

    public static async Task<IResult> Register(HttpContext context, ISourceStore store, IOptions<ImportOptions> options, IOptions<SecurityOptions> security,
        OutboundPolicy outbound, TimeProvider time, CancellationToken ct)
    {
        var call = Authorized(context, security);
        var body = await JsonBody.ReadAsync(context.Request, MaxRegistrationBytes, ct);
        var now = time.GetUtcNow();
        var source = ExternalSourceRules.Read(body, call.Tenant, options.Value, now);
        // Checked here for a clear answer, and again on every connection (a name may resolve elsewhere later).
        if (new Uri(source.Url) is { IsFile: false } url && await outbound.RefusalAsync(url, ct) is { } refusal)
        {
            throw NgsiLdException.BadRequest($"url: CityOS does not connect there: {refusal}.");
        }
        await store.AddAsync(source, now, ct);
        return TypedResults.Created($"{ImportEndpoints.Root}/sources/{source.Id}", source.ToJson(now, null));
    }

    public static async Task<IResult> List(HttpContext context, ISourceStore store, IOptions<SecurityOptions> security, CancellationToken ct)
    {
        var call = Authorized(context, security);
        var list = new JsonArray();
        foreach (var source in await store.ListAsync(call.Tenant, ct)) list.Add(await DescribeAsync(store, source, ct));
        return TypedResults.Ok(list);
    }

    public static async Task<IResult> Get(HttpContext context, ISourceStore store, IOptions<SecurityOptions> security, string id, CancellationToken ct) =>
        TypedResults.Ok(await DescribeAsync(store, await FindAsync(context, store, security, id, ct), ct));

    public static async Task<IResult> Delete(HttpContext context, ISourceStore store, IOptions<SecurityOptions> security, string id, CancellationToken ct)
    {
        var call = Authorized(context, security);
        return await store.DeleteAsync(call.Tenant, id, ct) ? TypedResults.NoContent() : throw NotFound(id);
    }

    public static async Task<IResult> RunNow(HttpContext context, ISourceStore store, SourcePoller poller, IOptions<SecurityOptions> security, string id,
        CancellationToken ct)
    {
        var source = await FindAsync(context, store, security, id, ct);
        var run = await poller.RunNowAsync(source, ct);
        return TypedResults.Ok(run.ToJson());
    }

    public static async Task<IResult> Runs(HttpContext context, ISourceStore store, IOptions<SecurityOptions> security, string id, int? limit, CancellationToken ct)
    {
        var source = await FindAsync(context, store, security, id, ct);
        if (limit is < 1 or > MaxRuns) throw NgsiLdException.BadRequest($"limit must be between 1 and {MaxRuns}.");
        var runs = await store.RunsAsync(source.Id, limit ?? 20, ct);
        return TypedResults.Ok(new JsonArray([.. runs.Select(r => (JsonNode)r.ToJson())]));
    }

    private static async Task<JsonObject> DescribeAsync(ISourceStore store, ExternalSource source, CancellationToken ct) =>
        source.ToJson(await store.NextRunAsync(source.Id, ct), (await store.RunsAsync(source.Id, 1, ct)).FirstOrDefault());

    private static async Task<ExternalSource> FindAsync(HttpContext context, ISourceStore store, IOptions<SecurityOptions> security, string id, CancellationToken ct)
    {
        var call = Authorized(context, security);
        return await store.FindAsync(call.Tenant, id, ct) ?? throw NotFound(id);
    }

    private static NgsiLdException NotFound(string id) => NgsiLdException.NotFound($"There is no external system '{id}' in this tenant.");

    /// <summary>The call's tenant; with security on, registering what CityOS fetches is for the tenant's administrators.</summary>
    private static ContextCall Authorized(HttpContext context, IOptions<SecurityOptions> security)
    {
        var call = ImportEndpoints.Call(context, security);
        if (!security.Value.Enabled) return call;
        if (!IotAgentHttp.AdministersTenant(call.Caller, call.Tenant))
        {
            throw new NgsiLdException(NgsiLdErrorType.Forbidden, $"External systems of '{SecurityTenants.Key(call.Tenant)}' are for the tenant's administrators.");
        }
        return call;
    }
}
