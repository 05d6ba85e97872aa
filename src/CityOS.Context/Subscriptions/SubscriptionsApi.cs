using System.Globalization;
using System.Text.Json.Nodes;
using CityOS.Context.Broker.Http;
using CityOS.Context.Representation;
using CityOS.Context.Storage;
using CityOS.Core;
using CityOS.Core.Security;
using CityOS.Context.Access;
using CityOS.Core.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Subscriptions;

/// <summary>Context Subscription (5.8, HTTP binding 6.10–6.12 of ETSI GS CIM 009 V1.8.1).</summary>
public static class SubscriptionsApi
{
    public static RouteGroupBuilder MapSubscriptionsApi(this RouteGroupBuilder api)
    {
        var subscriptions = api.MapGroup("/subscriptions").WithTags("Subscriptions")
            .WithSurface(ApiSurface.NgsiLd).RequireAuthorization(CallerAuthentication.CallerPolicy);
        subscriptions.MapPost("/", Create).WithName("CreateSubscription").WithSummary("Create a subscription (5.8.1).");
        subscriptions.MapGet("/", QuerySubscriptions).WithName("QuerySubscriptions").WithSummary("Query subscriptions (5.8.4).");
        subscriptions.MapGet("/{subscriptionId}", Retrieve).WithName("RetrieveSubscription").WithSummary("Retrieve a subscription (5.8.3).");
        subscriptions.MapPatch("/{subscriptionId}", Update).WithName("UpdateSubscription").WithSummary("Update a subscription (5.8.2).");
        subscriptions.MapDelete("/{subscriptionId}", Delete).WithName("DeleteSubscription").WithSummary("Delete a subscription (5.8.5).");
        return api;
    }

    private static async Task<IResult> Create(HttpRequest request, BrokerRequestReader reader, SubscriptionRegistry registry, AccessControl access, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Subscribe);
        QueryParameters.AllowOnly(request.Query, "local");
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        var subscription = await registry.CreateAsync(tenant, body, terms, access.Enabled ? request.HttpContext.Caller() : null, ct);
        return TypedResults.Created(NgsiLdResponse.LocationOf("/ngsi-ld/v1/subscriptions", subscription.Id));
    }

    private static async Task<IResult> Retrieve(string subscriptionId, HttpRequest request, BrokerRequestReader reader, SubscriptionRegistry registry,
        IEntityStore entities, AccessControl access, TimeProvider time, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Subscribe);
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var tenant = await ReadTenantAsync(request, reader, registry, entities, ct);
        ValidateId(subscriptionId);
        var subscription = await OwnAsync(request, tenant, subscriptionId, registry, access, ct);
        var body = SubscriptionRenderer.Render(subscription, registry.State(tenant, subscription.Id), time.GetUtcNow(), SysAttrs(request));
        await ShowOwnerAsync(body, subscription, access, ct);
        var response = new NgsiLdResponse(body, subscription.Terms, mediaType);
        // 4.3.6.8: a subscription has no version fallbacks; a preferred version is applied by returning it unaltered.
        VersionPreference.Confirm(response, VersionPreference.Preferred(request));
        return response;
    }

    private static async Task<IResult> QuerySubscriptions(HttpRequest request, BrokerRequestReader reader, SubscriptionRegistry registry,
        IEntityStore entities, AccessControl access, IOptions<ContextOptions> settings, TimeProvider time, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Subscribe);
        QueryParameters.AllowOnly(request.Query, "limit", "offset", "count", "options", "local");
        var mediaType = NgsiLdResponse.Negotiate(request, geoJsonAllowed: false);
        var tenant = await ReadTenantAsync(request, reader, registry, entities, ct);
        var (_, terms) = await reader.ReadContextAsync(request, ct);
        var limit = QueryParameters.Limit(request.Query, settings.Value);
        var offset = QueryParameters.Offset(request.Query);
        var count = QueryParameters.Flag(request.Query, "count");
        if (limit == 0 && !count) throw NgsiLdException.BadRequest("limit=0 is only allowed together with count=true.");
        var sees = await VisibilityAsync(request, tenant, access, ct);
        var all = registry.For(tenant).Ordered.Where(sees).ToList();
        var now = time.GetUtcNow();
        var sysAttrs = SysAttrs(request);
        var page = new JsonArray();
        foreach (var subscription in all.Skip(offset).Take(limit))
        {
            var body = SubscriptionRenderer.Render(subscription, registry.State(tenant, subscription.Id), now, sysAttrs);
            await ShowOwnerAsync(body, subscription, access, ct);
            page.Add(body);
        }
        var response = new NgsiLdResponse(page, terms, mediaType);
        VersionPreference.Confirm(response, VersionPreference.Preferred(request));
        if (count) response.Headers["NGSILD-Results-Count"] = all.Count.ToString(CultureInfo.InvariantCulture);
        Broker.Http.QueryResponse.AddPageLinks(response, request, offset, limit, offset + page.Count < all.Count);
        return response;
    }

    private static async Task<IResult> Update(string subscriptionId, HttpRequest request, BrokerRequestReader reader, SubscriptionRegistry registry,
        IEntityStore entities, AccessControl access, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Subscribe);
        ValidateId(subscriptionId);
        var (tenant, terms, body) = await reader.ReadObjectAsync(request, ct);
        await RequireTenantAsync(tenant, registry, entities, ct);
        await OwnAsync(request, tenant, subscriptionId, registry, access, ct);
        await registry.UpdateAsync(tenant, subscriptionId, body, terms, ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> Delete(string subscriptionId, HttpRequest request, BrokerRequestReader reader, SubscriptionRegistry registry,
        IEntityStore entities, AccessControl access, CancellationToken ct)
    {
        await reader.AccessAsync(request, ct, AccessAction.Subscribe);
        ValidateId(subscriptionId);
        var tenant = await ReadTenantAsync(request, reader, registry, entities, ct);
        await OwnAsync(request, tenant, subscriptionId, registry, access, ct);
        await registry.DeleteAsync(tenant, subscriptionId, ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Which subscriptions the caller sees: with security on, its own and, for a tenant administrator, all of the
    /// tenant's (receiver URLs and receiverInfo headers may carry a service's secrets).
    /// </summary>
    private static async Task<Func<Subscription, bool>> VisibilityAsync(HttpRequest request, string? tenant, AccessControl access, CancellationToken ct)
    {
        if (await access.AdministersAsync(request.HttpContext, tenant, ct)) return _ => true;
        var caller = request.HttpContext.Caller();
        return s => s.Owner is { } owner && CallerSnapshot.SamePrincipal(owner, caller);
    }

    /// <summary>
    /// A subscription whose owner was disabled or removed notifies nothing: its status shows "paused" (isActive stays as the
    /// client set it) and the CityOS member statusReason says why.
    /// </summary>
    private static async ValueTask ShowOwnerAsync(JsonObject body, Subscription subscription, AccessControl access, CancellationToken ct)
    {
        if (!access.Enabled || await access.CurrentOwnerAsync(subscription.Owner, ct) is not null) return;
        if (body["status"]?.GetValue<string>() == "active") body["status"] = "paused";
        body["statusReason"] = "The owner of this subscription is disabled or removed: it sends no notifications.";
    }

    /// <summary>The subscription if the caller sees it; one it does not see does not exist for it.</summary>
    private static async Task<Subscription> OwnAsync(HttpRequest request, string? tenant, string id, SubscriptionRegistry registry, AccessControl access, CancellationToken ct)
    {
        var subscription = registry.Get(tenant, id);
        if (!(await VisibilityAsync(request, tenant, access, ct))(subscription)) throw NgsiLdException.NotFound($"Subscription {id} does not exist.");
        return subscription;
    }

    private static async Task<string?> ReadTenantAsync(HttpRequest request, BrokerRequestReader reader, SubscriptionRegistry registry, IEntityStore entities, CancellationToken ct)
    {
        var tenant = reader.Tenant(request);
        await RequireTenantAsync(tenant, registry, entities, ct);
        return tenant;
    }

    /// <summary>A tenant exists once it holds entities or subscriptions; asking an unknown one is a 404, as for entities.</summary>
    private static async Task RequireTenantAsync(string? tenant, SubscriptionRegistry registry, IEntityStore entities, CancellationToken ct)
    {
        await registry.EnsureLoadedAsync(ct);
        if (tenant is null || registry.HasTenant(tenant) || await entities.TenantExistsAsync(tenant, ct)) return;
        throw new NgsiLdException(NgsiLdErrorType.NonexistentTenant, $"Tenant '{tenant}' does not exist.");
    }

    private static void ValidateId(string id)
    {
        if (!NgsiLdSyntax.IsAbsoluteIri(id)) throw NgsiLdException.BadRequest($"'{id}' is not a valid subscription id: it must be a URI.");
    }

    private static bool SysAttrs(HttpRequest request) =>
        request.Query["options"].Any(o => o is not null && o.Split(',').Contains("sysAttrs"));
}

/// <summary>A subscription as retrieval shows it: the client's document, the id and type, status, and the notification counters.</summary>
public static class SubscriptionRenderer
{
    public static JsonObject Render(Subscription subscription, SubscriptionState state, DateTimeOffset now, bool sysAttrs)
    {
        var body = new JsonObject { ["id"] = subscription.Id, ["type"] = "Subscription" };
        foreach (var (name, value) in subscription.Document)
        {
            body[name] = value?.DeepClone();
        }
        // 5.2.12: without a jsonldContext of its own, a subscription's is the @context it was created with (a hosted
        // ImplicitlyCreated copy when that was inline or a list).
        body["jsonldContext"] ??= subscription.Terms.ContextUrl;
        // isActive is shown as the client gave it (it is in the document); its default (true) is not added: status says it.
        // notificationTrigger is shown with its default (5.2.12) when the client gave none.
        body["notificationTrigger"] ??= new JsonArray("attributeCreated", "attributeUpdated");
        body["status"] = subscription.Status(now);
        var notification = body["notification"] as JsonObject ?? new JsonObject();
        body["notification"] = notification;
        var (sent, failed, last, success, failure) = state.Snapshot();
        if (sent > 0)
        {
            notification["status"] = failure is { } f && (success is not { } s || f > s) ? "failed" : "ok";
            notification["timesSent"] = sent;
            notification["timesFailed"] = failed;
        }
        if (last is { } l) notification["lastNotification"] = NgsiLdSyntax.FormatDateTime(l);
        if (success is { } ok) notification["lastSuccess"] = NgsiLdSyntax.FormatDateTime(ok);
        if (failure is { } ko) notification["lastFailure"] = NgsiLdSyntax.FormatDateTime(ko);
        if (sysAttrs)
        {
            body["createdAt"] = NgsiLdSyntax.FormatDateTime(subscription.CreatedAt);
            body["modifiedAt"] = NgsiLdSyntax.FormatDateTime(subscription.ModifiedAt);
        }
        return body;
    }
}
