using CityOS.Context.Access;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Http;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityOS.Context.DeadLetters;

/// <summary>
/// The dead letters of the tenant named by NGSILD-Tenant (the default tenant without it), under /cityos/v1/admin/dead-letters:
/// list, read one, process one again after a fix, drop one. With security on, only a caller who administers the tenant
/// (system-admin, the tenant's tenant-admin) may use it.
/// </summary>
public static class DeadLettersApi
{
    public const string Path = "/cityos/v1/admin/dead-letters";

    public static IEndpointRouteBuilder MapDeadLettersApi(this IEndpointRouteBuilder app)
    {
        var letters = app.MapGroup(Path).WithTags("Operations")
            .WithSurface(ApiSurface.Json).RequireAuthorization(CallerAuthentication.CallerPolicy);
        letters.MapGet("/", List).WithName("ListDeadLetters").WithSummary("Journal changes the notifier or the history could not process, oldest first.");
        letters.MapGet("/{id}", Get).WithName("GetDeadLetter").WithSummary("One dead letter.");
        letters.MapPost("/{id}/retry", Retry).WithName("RetryDeadLetter").WithSummary("Processes the change again; removed when it succeeds, 409 when it still fails.");
        letters.MapDelete("/{id}", Delete).WithName("DeleteDeadLetter").WithSummary("Drops a dead letter without processing it.");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<DeadLetter>>> List(HttpRequest request, DeadLetterRetry letters, AccessControl access, CancellationToken ct) =>
        TypedResults.Ok(await letters.ListAsync(await AdministeredTenantAsync(request, access, ct), ct));

    private static async Task<Ok<DeadLetter>> Get(string id, HttpRequest request, DeadLetterRetry letters, AccessControl access, CancellationToken ct) =>
        TypedResults.Ok(await letters.GetAsync(await AdministeredTenantAsync(request, access, ct), LetterId(id), ct));

    private static async Task<NoContent> Retry(string id, HttpRequest request, DeadLetterRetry letters, AccessControl access, CancellationToken ct)
    {
        await letters.RetryAsync(await AdministeredTenantAsync(request, access, ct), LetterId(id), ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> Delete(string id, HttpRequest request, DeadLetterRetry letters, AccessControl access, CancellationToken ct)
    {
        await letters.DeleteAsync(await AdministeredTenantAsync(request, access, ct), LetterId(id), ct);
        return TypedResults.NoContent();
    }

    private static async Task<string?> AdministeredTenantAsync(HttpRequest request, AccessControl access, CancellationToken ct)
    {
        var tenant = Tenancy.FromRequest(request);
        await access.RequireAsync(request.HttpContext, AccessAction.Admin, new AccessResource(SecurityTenants.Key(tenant)), ct);
        return tenant;
    }

    private static long LetterId(string id) =>
        long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw NgsiLdException.NotFound($"Dead letter {id} does not exist.");
}
