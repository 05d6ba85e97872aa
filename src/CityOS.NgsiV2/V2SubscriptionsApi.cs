using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CityOS.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityOS.NgsiV2;

/// <summary>Orion's /v2/subscriptions: create, list, retrieve, PATCH and delete, per Fiware-Service.</summary>
public static class V2SubscriptionsApi
{
    public static IEndpointRouteBuilder MapNgsiV2Subscriptions(this IEndpointRouteBuilder routes)
    {
        var v2 = routes.MapV2Group("/v2/subscriptions");
        v2.MapPost("", Create).WithName("V2CreateSubscription").WithSummary("Create a subscription (201, Location).");
        v2.MapGet("", List).WithName("V2ListSubscriptions").WithSummary("List the subscriptions (limit, offset, options=count).");
        v2.MapGet("/{id}", Retrieve).WithName("V2RetrieveSubscription").WithSummary("One subscription with its counters.");
        v2.MapPatch("/{id}", Update).WithName("V2UpdateSubscription").WithSummary("Change members of a subscription.");
        v2.MapDelete("/{id}", Delete).WithName("V2DeleteSubscription").WithSummary("Delete a subscription.");
        return routes;
    }

    private static async Task<IResult> Create(HttpContext http, V2SubscriptionStore store, TimeProvider time, CancellationToken ct)
    {
        var tenant = V2Request.Tenant(http.Request);
        var paths = V2Request.QueryPaths(http.Request);
        var body = await V2Request.ObjectAsync(http.Request, ct);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var document = V2SubscriptionRules.Create(body, id, time.GetUtcNow());
        store.Save(new V2Subscription(tenant, document, http.Caller(), paths));
        http.Response.Headers.Location = "/v2/subscriptions/" + id;
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    private static IResult List(HttpContext http, V2SubscriptionStore store, TimeProvider time)
    {
        var options = V2Request.Options(http.Request, "count");
        var (limit, offset) = V2Request.Paging(http.Request);
        var all = store.Of(V2Request.Tenant(http.Request));
        if (options.Contains("count")) http.Response.Headers[V2Request.TotalCountHeader] = all.Count.ToString(CultureInfo.InvariantCulture);
        var now = time.GetUtcNow();
        return V2Results.Json(new JsonArray([.. all.Skip(offset).Take(limit).Select(s => Shown(s, now))]));
    }

    private static IResult Retrieve(HttpContext http, string id, V2SubscriptionStore store, TimeProvider time) =>
        V2Results.Json(Shown(Find(http, store, id), time.GetUtcNow()));

    private static async Task<IResult> Update(HttpContext http, string id, V2SubscriptionStore store, TimeProvider time, CancellationToken ct)
    {
        var subscription = Find(http, store, id);
        var patch = await V2Request.ObjectAsync(http.Request, ct);
        lock (subscription.Gate) subscription.Document = V2SubscriptionRules.Patch(subscription.Document, patch, time.GetUtcNow());
        store.Save(subscription);
        return Results.NoContent();
    }

    private static IResult Delete(HttpContext http, string id, V2SubscriptionStore store)
    {
        if (!store.Delete(V2Request.Tenant(http.Request), id)) throw V2Exception.SubscriptionNotFound();
        return Results.NoContent();
    }

    private static V2Subscription Find(HttpContext http, V2SubscriptionStore store, string id) =>
        store.Find(V2Request.Tenant(http.Request), id) ?? throw V2Exception.SubscriptionNotFound();

    private static JsonObject Shown(V2Subscription subscription, DateTimeOffset now)
    {
        lock (subscription.Gate) return V2SubscriptionRules.Shown(subscription.Document, now);
    }
}
