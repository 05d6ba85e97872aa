using System.Buffers;
using System.Text;
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

    /// <summary>Where the 24 characters of notifiedAt start in <see cref="Payload"/>, rewritten at each send; -1 when there is none.</summary>
    public int NotifiedAtOffset { get; init; } = -1;

    /// <summary>
    /// Deliveries with the same key reach their receiver one after the other, in queueing order: the notifications of one
    /// entity (<see cref="NotificationBuilder.EntityOrderKey"/>) or of one periodic subscription. Different keys go in parallel.
    /// </summary>
    public string OrderKey { get; init; } = "";

    /// <summary>When the write that caused it was acknowledged (journal time), for latency measurements.</summary>
    public DateTimeOffset CausedAt { get; init; }

    // Where the delivery stands with the outbox: not written yet, written (its row goes when it is done), or done before it
    // was written (so it never is). The outbox writer and the dispatcher race for it; the state settles who deletes what.
    private const int NotWritten = 0, Written = 1, DoneUnwritten = 2;
    private int _outbox;

    /// <summary>Read back from the outbox: its row is there.</summary>
    public bool InOutbox
    {
        init => _outbox = value ? Written : NotWritten;
    }

    /// <summary>For the outbox writer, inside its transaction: true when the delivery is still to be sent and is now marked written.</summary>
    public bool ClaimForOutbox() => Interlocked.CompareExchange(ref _outbox, Written, NotWritten) == NotWritten;

    /// <summary>For the dispatcher, when the delivery is done (sent or given up): true when its outbox row must be deleted.</summary>
    public bool FinishAndNeedsDelete() => Interlocked.CompareExchange(ref _outbox, DoneUnwritten, NotWritten) != NotWritten;
}

/// <summary>The Notification data type (5.3.1) and its transport framing (HTTP body and headers, MQTT body + metadata as Orion-LD publishes it).</summary>
public static class NotificationBuilder
{
    private const string NotificationIdPrefix = "urn:ngsi-ld:Notification:";
    private const int NotifiedAtLength = 24;
    private const string DefaultGeometryProperty = "location";

    /// <summary>
    /// An entity as the subscription wants it: notification.attributes, format, sysAttrs, lang, and with showChanges the previous
    /// values; a GeoJSON Feature (4.5.16) when the endpoint accepts application/geo+json.
    /// </summary>
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
            if (!subscription.Endpoint.GeoJson) return deleted;
            deleted.Remove("id");
            return new JsonObject { ["id"] = change0.Before.Id, ["type"] = "Feature", ["geometry"] = null, ["properties"] = deleted };
        }
        var options = subscription.Render;
        var feature = subscription.Endpoint.GeoJson ? EntityRenderer.RenderFeature(change0.After, options, GeometryProperty(subscription), terms) : null;
        var rendered = feature is null ? EntityRenderer.Render(change0.After, options, terms) : feature["properties"]!.AsObject();
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
        return feature ?? rendered;
    }

    /// <summary>Renders every current entity for a periodic (timeInterval) notification.</summary>
    public static JsonObject RenderCurrent(Subscription subscription, Entity entity) => subscription.Endpoint.GeoJson
        ? EntityRenderer.RenderFeature(entity, subscription.Render, GeometryProperty(subscription), subscription.Terms)
        : EntityRenderer.Render(entity, subscription.Render, subscription.Terms);

    /// <summary>The GeoProperty that gives a Feature its geometry: location, the default of the GeoJSON representation (4.5.16), as Orion-LD does.</summary>
    private static string GeometryProperty(Subscription subscription) => subscription.Terms.ExpandTerm(DefaultGeometryProperty);

    /// <summary>
    /// The notification and its framing for the subscription's endpoint. notifiedAt holds <paramref name="builtAt"/> until
    /// <see cref="PayloadAt"/> stamps the time of each send into it.
    /// </summary>
    public static Delivery Build(Subscription subscription, IReadOnlyList<JsonObject> data, DateTimeOffset builtAt, long seq, DateTimeOffset causedAt, string orderKey)
    {
        var endpoint = subscription.Endpoint;
        var headers = new List<KeyValuePair<string, string>>(4 + endpoint.ReceiverInfo.Count)
        {
            new("Content-Type", endpoint.MediaType),
        };
        if (!endpoint.JsonLd) headers.Add(new("Link", subscription.Terms.LinkHeader));
        if (subscription.Tenant is { } tenant) headers.Add(new("NGSILD-Tenant", tenant));
        headers.AddRange(endpoint.ReceiverInfo);

        var buffer = new ArrayBufferWriter<byte>(1024);
        int notifiedAtOffset;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (endpoint.Mqtt is not null)
            {
                writer.WriteStartObject();
                writer.WriteStartObject("metadata");
                foreach (var (name, value) in headers) writer.WriteString(name, value);
                writer.WriteEndObject();
                writer.WritePropertyName("body");
            }
            writer.WriteStartObject();
            if (endpoint.JsonLd)
            {
                writer.WritePropertyName("@context");
                subscription.Terms.ResponseContext.WriteTo(writer);
            }
            writer.WriteString("id", NotificationIdPrefix + Guid.NewGuid().ToString());
            writer.WriteString("type", "Notification");
            writer.WriteString("subscriptionId", subscription.Id);
            writer.WritePropertyName("notifiedAt");
            writer.Flush();
            notifiedAtOffset = checked((int)writer.BytesCommitted) + 1;
            writer.WriteStringValue(NgsiLdSyntax.FormatDateTime(builtAt));
            if (endpoint.GeoJson)
            {
                writer.WriteStartObject("data");
                writer.WriteString("type", "FeatureCollection");
                writer.WritePropertyName("features");
            }
            else
            {
                writer.WritePropertyName("data");
            }
            writer.WriteStartArray();
            foreach (var entity in data) entity.WriteTo(writer);
            writer.WriteEndArray();
            if (endpoint.GeoJson) writer.WriteEndObject();
            writer.WriteEndObject();
            if (endpoint.Mqtt is not null) writer.WriteEndObject();
        }
        return new Delivery
        {
            Seq = seq,
            Tenant = subscription.Tenant,
            SubscriptionId = subscription.Id,
            Receiver = endpoint.ReceiverKey,
            Payload = buffer.WrittenSpan.ToArray(),
            Headers = endpoint.Mqtt is null ? headers : [],
            Qos = (int)endpoint.MqttQos,
            CausedAt = causedAt,
            NotifiedAtOffset = notifiedAtOffset,
            OrderKey = orderKey,
        };
    }

    /// <summary>The ordering key of the notifications about one entity of a tenant.</summary>
    public static string EntityOrderKey(string? tenant, string entityId) => "e\n" + tenant + "\n" + entityId;

    /// <summary>The ordering key of the periodic notifications of a subscription.</summary>
    public static string PeriodicOrderKey(Subscription subscription) => "s\n" + subscription.Tenant + "\n" + subscription.Id;

    /// <summary>The payload to send at <paramref name="sentAt"/>: notifiedAt is the time the notification is sent (5.3.1), also on a retry.</summary>
    public static byte[] PayloadAt(Delivery delivery, DateTimeOffset sentAt)
    {
        if (delivery.NotifiedAtOffset < 0) return delivery.Payload;
        var payload = delivery.Payload.ToArray();
        Encoding.ASCII.GetBytes(NgsiLdSyntax.FormatDateTime(sentAt), payload.AsSpan(delivery.NotifiedAtOffset, NotifiedAtLength));
        return payload;
    }
}
