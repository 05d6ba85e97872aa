using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Core.Outbound;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityOS.NgsiV2;

/// <summary>
/// Sends the notifications of the v2 subscriptions: follows every committed change (NGSI-LD and v2 writes alike,
/// through <see cref="IContextChanges"/>), and for each active subscription whose entities, condition attrs and
/// expression match, POSTs Orion's notification ({"subscriptionId", "data"}) in its attrsFormat, honouring throttling
/// and expires, and keeps Orion's counters (timesSent, lastNotification, lastSuccess, lastFailure, failsCounter).
/// </summary>
public sealed partial class V2Notifier(
    IContextChanges changes,
    IContextReader reader,
    V2SubscriptionStore store,
    OutboundPolicy outbound,
    TimeProvider time,
    ILogger<V2Notifier> logger) : BackgroundService
{
    public const string Consumer = "ngsiv2-notifier";

    private static readonly HashSet<string> SystemMembers = ["createdAt", "modifiedAt", "deletedAt"];
    private readonly HttpClient _http = new(outbound.CreateHandler()) { Timeout = TimeSpan.FromSeconds(10) };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await changes.FollowAsync(Consumer, HandleAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(IReadOnlyList<ContextChange> batch, CancellationToken ct)
    {
        var sends = new List<Task>();
        foreach (var change in batch)
        {
            if (change.After is not { } after) continue;
            var subscriptions = store.Of(change.Tenant);
            if (subscriptions.Count == 0) continue;
            var v2 = V2Mapping.FromLdEntity(after);
            var id = v2["id"]!.GetValue<string>();
            var type = v2["type"]!.GetValue<string>();
            var changed = Changed(change.Before, after);
            foreach (var subscription in subscriptions)
            {
                if (await DueAsync(subscription, change, id, type, changed, ct)) sends.Add(SendAsync(subscription, after, ct));
            }
        }
        await Task.WhenAll(sends);
    }

    /// <summary>The attributes (v2 names) whose content changed, or every attribute of a new entity.</summary>
    private static HashSet<string> Changed(JsonObject? before, JsonObject after)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in after)
        {
            if (name is "id" or "type" || SystemMembers.Contains(name)) continue;
            if (before?[name] is not { } old || !JsonNode.DeepEquals(Content(old), Content(value))) names.Add(name);
        }
        return names;
    }

    private static JsonNode? Content(JsonNode? attribute)
    {
        if (attribute is not JsonObject o) return attribute;
        var copy = new JsonObject();
        foreach (var (k, v) in o) if (!SystemMembers.Contains(k)) copy[k] = v?.DeepClone();
        return copy;
    }

    private async Task<bool> DueAsync(V2Subscription subscription, ContextChange change, string id, string type, HashSet<string> changed, CancellationToken ct)
    {
        JsonObject document;
        lock (subscription.Gate) document = subscription.Document;
        var now = time.GetUtcNow();
        if (V2SubscriptionRules.Text(document, "status") is not ("active" or "oneshot")) return false;
        if (V2SubscriptionRules.Expires(document["expires"]) is { } expires && expires <= now) return false;
        if (!V2SubscriptionRules.Selects(document, id, type)) return false;
        if (!subscription.Paths.Holds(V2Paths.Of(change.After!))) return false;
        var condition = document["subject"]!["condition"] as JsonObject;
        if (condition?["attrs"] is JsonArray { Count: > 0 } attrs && !attrs.Any(a => changed.Contains(a!.GetValue<string>()))) return false;
        if (changed.Count == 0) return false;
        if (document["throttling"] is { } throttling && V2SubscriptionRules.Text(document["notification"]!.AsObject(), "lastNotification") is { } last
            && DateTimeOffset.Parse(last, CultureInfo.InvariantCulture) + TimeSpan.FromSeconds(Count(throttling)) > now) return false;
        if (condition?["expression"] is JsonObject expression && (expression["q"] is not null || expression["mq"] is not null || expression["georel"] is not null))
        {
            var q = string.Join(';', new[] { V2Q.ToLd(V2SubscriptionRules.Text(expression, "q")), V2Q.ToLd(V2SubscriptionRules.Text(expression, "mq"), metadata: true) }.Where(s => s is not null));
            var geo = V2SubscriptionRules.Text(expression, "georel") is { } georel
                ? V2Geo.Query(georel, V2SubscriptionRules.Text(expression, "geometry"), V2SubscriptionRules.Text(expression, "coords"))
                : null;
            var page = await reader.QueryAsync(new ContextCall(subscription.Owner, change.Tenant),
                new ContextQuery { Ids = [change.EntityId], Q = q.Length == 0 ? null : q, Geo = geo, Limit = 1 }, ct);
            if (page.Entities.Count == 0) return false;
        }
        return true;
    }

    private async Task SendAsync(V2Subscription subscription, JsonObject entity, CancellationToken ct)
    {
        JsonObject notification;
        lock (subscription.Gate)
        {
            notification = subscription.Document["notification"]!.AsObject();
            // Counted now, so that throttling holds for the changes that follow at once.
            notification["lastNotification"] = Stamp(time.GetUtcNow());
            notification["timesSent"] = Count(notification["timesSent"]) + 1;
            if (V2SubscriptionRules.Text(subscription.Document, "status") == "oneshot") subscription.Document["status"] = "inactive";
            notification = (JsonObject)notification.DeepClone();
        }
        var format = V2SubscriptionRules.Text(notification, "attrsFormat") ?? "normalized";
        var attrs = notification["attrs"] is JsonArray { Count: > 0 } list ? list.Select(a => a!.GetValue<string>()).ToList() : null;
        if (notification["exceptAttrs"] is JsonArray except)
        {
            var excluded = except.Select(a => a!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            attrs = V2Mapping.FromLdEntity(entity).Select(p => p.Key).Where(k => k is not ("id" or "type") && !excluded.Contains(k)).ToList();
        }
        var rendering = new V2Rendering(format is "keyValues" or "simplifiedKeyValues", format == "values", false, attrs);
        var data = rendering.Entity(entity);
        var body = format.StartsWith("simplified", StringComparison.Ordinal) ? data
            : new JsonObject { ["subscriptionId"] = subscription.Id, ["data"] = new JsonArray(data) };
        var endpoint = (notification["http"] ?? notification["httpCustom"])!.AsObject();
        using var request = new HttpRequestMessage(HttpMethod.Post, V2SubscriptionRules.Text(endpoint, "url"))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("Ngsiv2-AttrsFormat", format);
        request.Headers.Add(V2Request.CorrelatorHeader, Guid.NewGuid().ToString());
        if (subscription.Tenant is { } tenant) request.Headers.Add(V2Request.ServiceHeader, tenant);
        request.Headers.Add(V2Request.ServicePathHeader, V2Paths.Of(entity));
        if (endpoint["headers"] is JsonObject headers)
        {
            foreach (var (name, value) in headers) if (value is JsonValue v) request.Headers.TryAddWithoutValidation(name, v.ToString());
        }
        int? code = null;
        string? failure = null;
        try
        {
            using var response = await _http.SendAsync(request, ct);
            code = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode) failure = $"HTTP {code}";
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            failure = error.Message;
            LogFailed(logger, subscription.Id, error.Message);
        }
        lock (subscription.Gate)
        {
            var counters = subscription.Document["notification"]!.AsObject();
            var at = Stamp(time.GetUtcNow());
            if (failure is null)
            {
                counters["lastSuccess"] = at;
                counters["lastSuccessCode"] = code;
                counters.Remove("failsCounter");
            }
            else
            {
                counters["lastFailure"] = at;
                counters["lastFailureReason"] = failure;
                counters["failsCounter"] = Count(counters["failsCounter"]) + 1;
                if (code is { } c) counters["lastFailureCode"] = c;
            }
        }
        if (store.Find(subscription.Tenant, subscription.Id) is not null) store.Save(subscription);
    }

    private static long Count(JsonNode? node) => node is null ? 0 : (long)double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "A notification of v2 subscription {Subscription} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string subscription, string reason);
}
