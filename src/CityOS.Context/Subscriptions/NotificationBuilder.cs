using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Context.Representation;

namespace CityOS.Context.Subscriptions;

/// <summary>
/// One notification waiting for its receiver: the exact bytes to send and the headers (HTTP) or the MQTT QoS.
/// Self-contained, so a delivery survives the change or deletion of its subscription and a restart.
/// </summary>
public sealed class Delivery
{
    public required long Seq { get; init; }
    public required string? Tenant { get; init; }
    public required string SubscriptionId { get; init; }

    /// <summary>The endpoint URI; deliveries to one URI share a queue.</summary>
    public required string Receiver { get; init; }

    public required byte[] Payload { get; init; }

    /// <summary>HTTP headers (Content-Type first); for MQTT they are inside the payload's metadata.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }

    public int Qos { get; init; }
    public int Attempts { get; set; }

    /// <summary>When the write that caused it was acknowledged (journal time), for latency measurements.</summary>
    public DateTimeOffset CausedAt { get; init; }
}

/// <summary>The Notification data type (5.3.1) and its transport framing (HTTP body and headers, MQTT body + metadata as Orion-LD publishes it).</summary>
public static class NotificationBuilder
{
    private const string NotificationIdPrefix = "urn:ngsi-ld:Notification:";

    /// <summary>An entity as the subscription wants it: notification.attributes, format, sysAttrs, lang, and with showChanges the previous values.</summary>
    public static JsonObject RenderEntity(Subscription subscription, ChangeSummary change, NotificationTriggers fired, DateTimeOffset at)
    {
        var terms = subscription.Terms;
        var change0 = change.Change;
        if (change0.After is null)
        {
            var deleted = new JsonObject { ["id"] = change0.Before!.Id };
            deleted["type"] = change0.Before.Types.Count == 1
                ? terms.CompactIri(change0.Before.Types[0])
                : new JsonArray(change0.Before.Types.Select(t => (JsonNode)terms.CompactIri(t)).ToArray());
            deleted["deletedAt"] = NgsiLdSyntax.FormatDateTime(change0.At);
            return deleted;
        }
        var options = subscription.Render;
        var rendered = EntityRenderer.Render(change0.After, options, terms);
        if (fired.HasFlag(NotificationTriggers.AttributeDeleted))
        {
            foreach (var name in change.Deleted)
            {
                if (options.Attrs is { } attrs && !attrs.Contains(name)) continue;
                rendered[terms.CompactIri(name)] = options.Format == RepresentationFormat.Simplified
                    ? NgsiLdSyntax.NgsiNull
                    : new JsonObject
                    {
                        ["type"] = NgsiLdSyntax.KindName(change0.Before!.Attributes[name][0].Kind),
                        [NgsiLdSyntax.ValueMember(change0.Before.Attributes[name][0].Kind)] = NgsiLdSyntax.NgsiNull,
                        ["deletedAt"] = NgsiLdSyntax.FormatDateTime(change0.At),
                    };
            }
        }
        if (subscription.ShowChanges && options.Format != RepresentationFormat.Simplified && change0.Before is { } before)
        {
            foreach (var name in change.Updated)
            {
                if (!before.Attributes.TryGetValue(name, out var previous) || previous.Count != 1) continue;
                var compact = terms.CompactIri(name);
                if (!rendered.TryGetPropertyValue(compact, out var node) || node is null) continue;
                var attribute = node as JsonObject;
                if (attribute is null)
                {
                    attribute = new JsonObject { ["value"] = node.DeepClone() };
                    rendered[compact] = attribute;
                }
                var member = NgsiLdSyntax.ValueMember(previous[0].Kind);
                attribute["previous" + char.ToUpperInvariant(member[0]) + member[1..]] = previous[0].Value?.DeepClone();
            }
        }
        return rendered;
    }

    /// <summary>Renders every current entity for a periodic (timeInterval) notification.</summary>
    public static JsonObject RenderCurrent(Subscription subscription, Entity entity) =>
        EntityRenderer.Render(entity, subscription.Render, subscription.Terms);

    /// <summary>The notification and its framing for the subscription's endpoint.</summary>
    public static Delivery Build(Subscription subscription, IReadOnlyList<JsonObject> data, DateTimeOffset notifiedAt, long seq, DateTimeOffset causedAt)
    {
        var endpoint = subscription.Endpoint;
        var body = new JsonObject();
        if (endpoint.JsonLd) body["@context"] = subscription.Terms.ResponseContext;
        body["id"] = NotificationIdPrefix + Guid.NewGuid().ToString();
        body["type"] = "Notification";
        body["subscriptionId"] = subscription.Id;
        body["notifiedAt"] = NgsiLdSyntax.FormatDateTime(notifiedAt);
        var array = new JsonArray();
        foreach (var entity in data) array.Add(entity);
        body["data"] = array;

        var headers = new List<KeyValuePair<string, string>>(4 + endpoint.ReceiverInfo.Count)
        {
            new("Content-Type", endpoint.JsonLd ? "application/ld+json" : "application/json"),
        };
        if (!endpoint.JsonLd) headers.Add(new("Link", subscription.Terms.LinkHeader));
        if (subscription.Tenant is { } tenant) headers.Add(new("NGSILD-Tenant", tenant));
        headers.AddRange(endpoint.ReceiverInfo);

        byte[] payload;
        if (endpoint.Mqtt is null)
        {
            payload = JsonSerializer.SerializeToUtf8Bytes(body);
        }
        else
        {
            var metadata = new JsonObject();
            foreach (var (name, value) in headers) metadata[name] = value;
            payload = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["metadata"] = metadata, ["body"] = body });
            headers = [];
        }
        return new Delivery
        {
            Seq = seq,
            Tenant = subscription.Tenant,
            SubscriptionId = subscription.Id,
            Receiver = endpoint.ReceiverKey,
            Payload = payload,
            Headers = headers,
            Qos = (int)endpoint.MqttQos,
            CausedAt = causedAt,
        };
    }
}
