using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;
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
    /// values; a GeoJSON Feature (4.5.16) when the endpoint accepts application/geo+json. A deleted attribute instance is
    /// rendered with the NGSI-LD Null as its value (and deletedAt with sysAttrs); a deleted entity as its id, type and
    /// deletedAt, with its attributes so rendered when attributeDeleted fired (the watched ones) or showChanges asks for them.
    /// </summary>
    public static JsonObject RenderEntity(Subscription subscription, ChangeSummary change, NotificationTriggers fired, DateTimeOffset at) =>
        RenderEntities(subscription, change, fired, at, null)[0];

    /// <summary>
    /// <see cref="RenderEntity"/> with linked entity retrieval (4.5.23, notification.join): the entity with its linked
    /// entities inlined, or followed by them (flat); <paramref name="linked"/> holds those the owner may read, by id.
    /// </summary>
    public static List<JsonObject> RenderEntities(Subscription subscription, ChangeSummary change, NotificationTriggers fired, DateTimeOffset at,
        IReadOnlyDictionary<string, Entity>? linked)
    {
        var terms = subscription.NotificationTerms;
        var options = subscription.Render;
        var entityDeleted = change.Change.After is null;
        var deleted = DeletedToShow(subscription, change, fired, entityDeleted);
        var notified = NotifiedEntity(change, deleted);
        var feature = subscription.Endpoint.GeoJson ? EntityRenderer.RenderFeature(notified, options, GeometryProperty(subscription), terms) : null;
        var all = feature is null && linked is not null && options.Join != JoinMode.None ? EntityRenderer.RenderAll([notified], options, terms, linked) : null;
        var rendered = all is not null ? all[0] : feature is null ? EntityRenderer.Render(notified, options, terms) : feature["properties"]!.AsObject();
        var deletedAt = NgsiLdSyntax.FormatDateTime(change.Change.At);
        if (entityDeleted) rendered["deletedAt"] = deletedAt;
        var previousWanted = subscription.ShowChanges && options.Format != RepresentationFormat.Simplified;
        foreach (var name in deleted)
        {
            foreach (var previous in ShownDeletions(change, name))
            {
                if (InstanceNode(rendered, terms.CompactIri(name), previous.DatasetId, options.Format) is not { } instance) continue;
                if (options.SysAttrs) instance["deletedAt"] = deletedAt;
                if (previousWanted) AddPrevious(instance, previous, terms);
            }
        }
        if (previousWanted && change.Change.Before is { } before)
        {
            foreach (var name in change.Updated)
            {
                if (!before.Attributes.TryGetValue(name, out var previous) || previous.Count != 1) continue;
                if (InstanceNode(rendered, terms.CompactIri(name), previous[0].DatasetId, options.Format) is { } instance) AddPrevious(instance, previous[0], terms);
            }
        }
        return all ?? [feature ?? rendered];
    }

    /// <summary>
    /// The deleted attributes the notification shows, in the order of the change, within notification.attributes: those of an
    /// attribute deletion; of a deleted entity all of them with showChanges, else the watched ones when attributeDeleted fired.
    /// </summary>
    private static List<string> DeletedToShow(Subscription subscription, ChangeSummary change, NotificationTriggers fired, bool entityDeleted)
    {
        var attributeDeleted = fired.HasFlag(NotificationTriggers.AttributeDeleted);
        if (!attributeDeleted && !(entityDeleted && subscription.ShowChanges)) return [];
        var watched = entityDeleted && !subscription.ShowChanges ? subscription.WatchedAttributes : null;
        var attrs = subscription.Render.Attrs;
        return change.Deleted.Where(name => (attrs is null || attrs.Contains(name)) && (watched is null || watched.Contains(name))).ToList();
    }

    /// <summary>The entity to render: the new state (or, deleted, the last one without attributes) with a null instance for each deleted one shown.</summary>
    private static Entity NotifiedEntity(ChangeSummary change, List<string> deleted)
    {
        var source = change.Change.After ?? change.Change.Before!;
        var notified = new Entity
        {
            Id = source.Id,
            Types = source.Types,
            Scopes = source.Scopes,
            CreatedAt = source.CreatedAt,
            ModifiedAt = source.ModifiedAt,
            Attributes = change.Change.After is { } after
                ? new Dictionary<string, List<NgsiAttribute>>(after.Attributes, StringComparer.Ordinal)
                : new Dictionary<string, List<NgsiAttribute>>(StringComparer.Ordinal),
        };
        foreach (var name in deleted)
        {
            var instances = notified.Attributes.TryGetValue(name, out var kept) ? [.. kept] : new List<NgsiAttribute>();
            instances.AddRange(ShownDeletions(change, name).Select(NullInstance));
            notified.Attributes[name] = instances;
        }
        return notified;
    }

    /// <summary>
    /// The deleted instances a notification shows: those of the datasetIds deleted, or, when the whole attribute went, one
    /// (its default instance, else its first), so that the attribute reads as one null attribute.
    /// </summary>
    private static IReadOnlyList<NgsiAttribute> ShownDeletions(ChangeSummary change, string name)
    {
        var gone = change.DeletedInstances[name];
        if (change.Change.After is { } after && after.Attributes.ContainsKey(name)) return gone;
        return [gone.FirstOrDefault(i => i.DatasetId is null) ?? gone[0]];
    }

    /// <summary>An instance as a notification shows its deletion: its kind and datasetId, the NGSI-LD Null as value (4.5.0).</summary>
    private static NgsiAttribute NullInstance(NgsiAttribute deleted) => new()
    {
        Kind = deleted.Kind,
        Value = NgsiLdSyntax.NullValue(deleted.Kind),
        DatasetId = deleted.DatasetId,
        CreatedAt = deleted.CreatedAt,
        ModifiedAt = deleted.ModifiedAt,
    };

    /// <summary>The rendered instance of an attribute with that datasetId, turned into an object if concise rendered it bare; null in keyValues.</summary>
    private static JsonObject? InstanceNode(JsonObject rendered, string compactName, string? datasetId, RepresentationFormat format)
    {
        if (format == RepresentationFormat.Simplified) return null;
        switch (rendered[compactName])
        {
            case JsonObject single:
                return single;
            case JsonArray instances:
                foreach (var element in instances)
                {
                    if (element is JsonObject o && (o["datasetId"]?.GetValue<string>()) == datasetId) return o;
                }
                return null;
            case JsonValue bare:
                var wrapped = new JsonObject { ["value"] = bare.DeepClone() };
                rendered[compactName] = wrapped;
                return wrapped;
            default:
                return null;
        }
    }

    /// <summary>showChanges (5.2.14): previousValue, previousObject, previousLanguageMap… as the normalized form would write the old value.</summary>
    private static void AddPrevious(JsonObject instance, NgsiAttribute previous, LdContext terms)
    {
        var member = NgsiLdSyntax.ValueMember(previous.Kind);
        instance["previous" + char.ToUpperInvariant(member[0]) + member[1..]] = EntityRenderer.RenderValueOf(previous, terms);
    }

    /// <summary>Renders every current entity for a periodic (timeInterval) notification.</summary>
    public static JsonObject RenderCurrent(Subscription subscription, Entity entity) => subscription.Endpoint.GeoJson
        ? EntityRenderer.RenderFeature(entity, subscription.Render, GeometryProperty(subscription), subscription.NotificationTerms)
        : EntityRenderer.Render(entity, subscription.Render, subscription.NotificationTerms);

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
        if (!endpoint.JsonLd) headers.Add(new("Link", ContextLink(subscription.NotificationTerms)));
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
                subscription.NotificationTerms.ResponseContext.WriteTo(writer);
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
            // 5.3.1 and 5.8.6: in a JSON-LD notification every entity of data is a JSON-LD document of its own, with its @context.
            var entityContext = endpoint.JsonLd && !endpoint.GeoJson ? EntityContext(subscription.NotificationTerms) : null;
            foreach (var entity in data) WriteEntity(writer, entity, entityContext);
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

    /// <summary>The @context of each entity of a JSON-LD notification: the one URL the subscription names as a string, else the list.</summary>
    private static JsonNode EntityContext(LdContext terms) =>
        terms.ResponseContext is JsonArray { Count: 1 } array && array[0] is JsonValue single && single.TryGetValue<string>(out var url)
            ? JsonValue.Create(url)
            : terms.ResponseContext;

    private static void WriteEntity(Utf8JsonWriter writer, JsonObject entity, JsonNode? context)
    {
        if (context is null)
        {
            entity.WriteTo(writer);
            return;
        }
        writer.WriteStartObject();
        foreach (var (name, value) in entity)
        {
            if (name == "@context") continue;
            writer.WritePropertyName(name);
            if (value is null) writer.WriteNullValue();
            else value.WriteTo(writer);
        }
        writer.WritePropertyName("@context");
        context.WriteTo(writer);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The Link header of a JSON notification: the one context URL the subscription was created with, as the receiver knows it
    /// and can fetch it (5.8.6 renders with the subscription's @context); a composed context points at the broker's hosted copy.
    /// </summary>
    private static string ContextLink(LdContext terms) => terms.ResponseContext is JsonArray { Count: 1 } array && array[0] is JsonValue single && single.TryGetValue<string>(out var url)
        ? $"<{url}>; rel=\"{LdContext.ContextRel}\"; type=\"application/ld+json\""
        : terms.LinkHeader;

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
