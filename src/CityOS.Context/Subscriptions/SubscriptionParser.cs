using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityOS.Context.Geo;
using CityOS.Context.JsonLd;
using CityOS.Context.Query;
using CityOS.Context.Representation;
using CityOS.Core;
using CityOS.Mqtt;

namespace CityOS.Context.Subscriptions;

/// <summary>
/// Validates a Subscription document (5.2.12 with NotificationParams 5.2.14 and Endpoint 5.2.15) and compiles it
/// for matching. Every rule violation is a BadRequestData with a message that names the member at fault.
/// </summary>
public static class SubscriptionParser
{
    public const string IdPrefix = "urn:ngsi-ld:Subscription:";

    /// <summary>Members the broker maintains: accepted in input (a client may send back what it retrieved) and ignored.</summary>
    private static readonly HashSet<string> SystemMembers = new(StringComparer.Ordinal)
    {
        "status", "createdAt", "modifiedAt", "@context", "id", "type",
    };

    /// <summary>
    /// Headers that frame or route the HTTP request (RFC 9110, 9112): taken from receiverInfo they would corrupt the
    /// notification, and on a pooled connection every later one to the same receiver.
    /// </summary>
    private static readonly HashSet<string> FramingHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade", "Expect",
    };

    private static readonly HashSet<string> NotificationSystemMembers = new(StringComparer.Ordinal)
    {
        "status", "timesSent", "timesFailed", "lastNotification", "lastSuccess", "lastFailure",
    };

    private static readonly Dictionary<string, NotificationTriggers> TriggerNames = new(StringComparer.Ordinal)
    {
        ["entityCreated"] = NotificationTriggers.EntityCreated,
        ["entityUpdated"] = NotificationTriggers.EntityUpdated,
        ["entityDeleted"] = NotificationTriggers.EntityDeleted,
        ["attributeCreated"] = NotificationTriggers.AttributeCreated,
        ["attributeUpdated"] = NotificationTriggers.AttributeUpdated,
        ["attributeDeleted"] = NotificationTriggers.AttributeDeleted,
    };

    /// <summary>The default of notificationTrigger (5.2.12).</summary>
    public const NotificationTriggers DefaultTriggers = NotificationTriggers.AttributeCreated | NotificationTriggers.AttributeUpdated;

    /// <summary>
    /// Compiles a subscription. <paramref name="document"/> is the body without @context; the members the broker maintains
    /// are dropped from it. <paramref name="checkExpiry"/> is false when reloading a stored subscription, which may have expired since.
    /// </summary>
    public static Subscription Parse(JsonObject document, JsonNode? context, LdContext terms, string? tenant, string id,
        DateTimeOffset now, DateTimeOffset createdAt, bool checkExpiry, Core.Security.CallerIdentity? owner = null, LdContext? jsonldTerms = null)
    {
        var doc = (JsonObject)document.DeepClone();
        foreach (var name in SystemMembers) doc.Remove(name);

        List<SubscriptionEntitySelector> entities = [];
        IReadOnlySet<string>? watched = null;
        NotificationTriggers? triggers = null;
        QExpression? q = null;
        GeoQuery? geoQ = null;
        ScopeQuery? scopeQ = null;
        TimeSpan? timeInterval = null, throttling = null;
        DateTimeOffset? expiresAt = null;
        var isActive = true;
        string? lang = null;
        IReadOnlySet<string>? datasetIds = null;
        JsonObject? notification = null;
        var indexTypes = new List<string>();
        var indexable = true;

        foreach (var (name, value) in doc)
        {
            switch (name)
            {
                case "subscriptionName" or "name" or "description":
                    RequireString(value, name);
                    break;
                case "entities":
                    if (value is not JsonArray { Count: > 0 } selectors) throw Bad("entities must be a non-empty array of EntitySelector objects.");
                    foreach (var selector in selectors)
                    {
                        var parsed = ParseSelector(selector, terms);
                        entities.Add(parsed);
                        if (parsed.Type.AnyOf is { } names) indexTypes.AddRange(names);
                        else indexable = false;
                    }
                    break;
                case "watchedAttributes":
                    watched = Names(value, name, terms);
                    break;
                case "notificationTrigger":
                    triggers = ParseTriggers(value);
                    break;
                case "q":
                    // A q copied from a query string keeps its percent-encoding ("Eiffel%20Tower"): it is decoded as there
                    // (4.9); a '%' that starts no escape stays as it is.
                    var text = Uri.UnescapeDataString(RequireString(value, name));
                    q = QExpression.Parse(text).Expand(terms.ExpandTerm, terms.ExpandVocabValue);
                    break;
                case "geoQ":
                    if (value is null) throw Bad("geoQ must be a GeoQuery object.");
                    geoQ = GeoQuery.FromJson(value);
                    break;
                case "scopeQ":
                    scopeQ = ScopeQuery.Parse(RequireString(value, name));
                    break;
                case "timeInterval":
                    timeInterval = Seconds(value, name);
                    break;
                case "throttling":
                    throttling = Seconds(value, name);
                    break;
                case "expiresAt":
                    var expiresText = RequireString(value, name);
                    if (!NgsiLdSyntax.TryParseDateTime(expiresText, out var expires)) throw Bad($"expiresAt '{expiresText}' is not a DateTime (e.g. 2030-01-01T00:00:00Z).");
                    if (checkExpiry && expires <= now) throw Bad($"expiresAt {expiresText} is not in the future.");
                    expiresAt = expires;
                    break;
                case "isActive":
                    isActive = value?.GetValueKind() switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw Bad("isActive must be true or false."),
                    };
                    break;
                case "lang":
                    lang = RequireString(value, name);
                    break;
                case "notification":
                    notification = value as JsonObject ?? throw Bad("notification must be a NotificationParams object.");
                    break;
                case "jsonldContext":
                    var url = RequireString(value, name);
                    if (!Uri.TryCreate(url, UriKind.Absolute, out _)) throw Bad("jsonldContext must be a URI.");
                    break;
                case "datasetId":
                    datasetIds = DatasetIds(value);
                    break;
                case "csf":
                    // Applies to Context Source Registrations (5.11.2.4), of which this broker has none: checked, kept, and matches nothing.
                    var csf = RequireString(value, name);
                    try
                    {
                        QExpression.Parse(csf);
                    }
                    catch (NgsiLdException e)
                    {
                        throw Bad($"csf '{csf}' is not a valid query (4.9): {e.Detail}");
                    }
                    break;
                case "temporalQ" or "expandValues" or "contextSourceInfo":
                    throw new NgsiLdException(NgsiLdErrorType.OperationNotSupported, $"The subscription member {name} is not supported by this broker.");
                default:
                    throw Bad($"'{name}' is not a member of a Subscription.");
            }
        }

        if (notification is null) throw Bad("notification is mandatory.");
        if (entities.Count == 0 && watched is null) throw Bad("A subscription needs entities or watchedAttributes (or both).");
        if (timeInterval is not null)
        {
            if (watched is not null) throw Bad("timeInterval and watchedAttributes cannot be used together.");
            if (throttling is not null) throw Bad("timeInterval and throttling cannot be used together.");
            if (triggers is not null) throw Bad("timeInterval and notificationTrigger cannot be used together.");
            if (entities.Count == 0) throw Bad("A periodic subscription (timeInterval) needs entities.");
        }

        var (render, showChanges, endpoint) = ParseNotification(notification, terms, lang, datasetIds);
        foreach (var name in NotificationSystemMembers) notification.Remove(name);
        return new Subscription
        {
            Id = id,
            Tenant = tenant,
            Owner = owner,
            Document = doc,
            Context = context?.DeepClone(),
            Terms = terms,
            JsonldTerms = doc.ContainsKey("jsonldContext") ? jsonldTerms : null,
            Entities = entities,
            WatchedAttributes = watched,
            Triggers = triggers ?? DefaultTriggers,
            Q = q,
            GeoQ = geoQ,
            GeoPropertyIri = geoQ is null ? null : terms.ExpandTerm(geoQ.GeoProperty),
            ScopeQ = scopeQ,
            TimeInterval = timeInterval,
            Throttling = throttling,
            ExpiresAt = expiresAt,
            IsActive = isActive,
            Render = render,
            ShowChanges = showChanges,
            Endpoint = endpoint,
            CreatedAt = createdAt,
            ModifiedAt = now,
            IndexTypes = indexable && entities.Count > 0 ? indexTypes.Distinct(StringComparer.Ordinal).ToArray() : null,
        };
    }

    /// <summary>The URL of the document's jsonldContext member when it is one (Parse refuses any other value), else null.</summary>
    public static string? JsonldContextUrl(JsonObject document) =>
        document["jsonldContext"] is JsonValue value && value.TryGetValue<string>(out var url) && Uri.TryCreate(url, UriKind.Absolute, out _) ? url : null;

    /// <summary>The id a create request gives, or a new one; BadRequestData when it is not a URI.</summary>
    public static string IdFor(JsonObject body)
    {
        CheckType(body);
        if (body["id"] is not { } given) return IdPrefix + Guid.NewGuid().ToString();
        var id = RequireString(given, "id");
        if (!NgsiLdSyntax.IsAbsoluteIri(id)) throw Bad($"The subscription id '{id}' is not a URI.");
        return id;
    }

    /// <summary>BadRequestData when a subscription or a fragment of one names a type other than "Subscription".</summary>
    public static void CheckType(JsonObject body)
    {
        if (body["type"] is { } type && (type.GetValueKind() != JsonValueKind.String || type.GetValue<string>() != "Subscription"))
        {
            throw Bad("The type of a subscription must be \"Subscription\".");
        }
    }

    private static SubscriptionEntitySelector ParseSelector(JsonNode? node, LdContext terms)
    {
        if (node is not JsonObject selector) throw Bad("Each element of entities must be an EntitySelector object.");
        string? id = null, pattern = null, type = null;
        foreach (var (name, value) in selector)
        {
            switch (name)
            {
                case "id":
                    id = RequireString(value, "entities[].id");
                    if (!NgsiLdSyntax.IsAbsoluteIri(id)) throw Bad($"entities[].id '{id}' is not a URI.");
                    break;
                case "idPattern":
                    pattern = RequireString(value, "entities[].idPattern");
                    break;
                case "type":
                    type = RequireString(value, "entities[].type");
                    break;
                default:
                    throw Bad($"'{name}' is not a member of an EntitySelector (id, idPattern, type).");
            }
        }
        if (type is null) throw Bad("entities[].type is mandatory.");
        if (id is not null && pattern is not null) throw Bad("An EntitySelector cannot have both id and idPattern.");
        var regex = pattern is null ? null : ClientRegex.Compile(pattern, "entities[].idPattern");
        var selectorType = TypeSelector.Parse(type).Expand(terms.ExpandTerm);
        return new SubscriptionEntitySelector(id, regex, selectorType);
    }

    private static NotificationTriggers ParseTriggers(JsonNode? value)
    {
        if (value is not JsonArray { Count: > 0 } items) throw Bad("notificationTrigger must be a non-empty array.");
        var triggers = NotificationTriggers.None;
        foreach (var item in items)
        {
            var name = RequireString(item, "notificationTrigger[]");
            if (!TriggerNames.TryGetValue(name, out var trigger))
            {
                throw Bad($"'{name}' is not a notificationTrigger value: use {string.Join(", ", TriggerNames.Keys)}.");
            }
            triggers |= trigger;
        }
        return triggers;
    }

    private static (RenderOptions Render, bool ShowChanges, NotificationEndpoint Endpoint) ParseNotification(JsonObject notification, LdContext terms,
        string? lang, IReadOnlySet<string>? datasetIds)
    {
        IReadOnlySet<string>? attributes = null, pick = null, omit = null;
        var format = RepresentationFormat.Normalized;
        bool sysAttrs = false, showChanges = false;
        NotificationEndpoint? endpoint = null;
        var join = JoinMode.None;
        var joinLevel = 1;
        foreach (var (name, value) in notification)
        {
            switch (name)
            {
                case "attributes":
                    attributes = Names(value, "notification.attributes", terms);
                    break;
                case "format":
                    var formatText = RequireString(value, "notification.format");
                    format = formatText switch
                    {
                        "normalized" => RepresentationFormat.Normalized,
                        "concise" => RepresentationFormat.Concise,
                        "keyValues" or "simplified" => RepresentationFormat.Simplified,
                        _ => throw Bad($"notification.format '{formatText}' is not one of normalized, concise, keyValues, simplified."),
                    };
                    break;
                case "sysAttrs":
                    sysAttrs = Boolean(value, "notification.sysAttrs");
                    break;
                case "pick":
                    pick = Names(value, "notification.pick", terms, EntityMembers);
                    break;
                case "omit":
                    omit = Names(value, "notification.omit", terms, EntityMembers);
                    break;
                case "showChanges":
                    showChanges = Boolean(value, "notification.showChanges");
                    break;
                case "join":
                    join = Wrapped(() => RenderOptionsParser.Join(RequireString(value, "notification.join")), "notification.join");
                    break;
                case "joinLevel":
                    joinLevel = Wrapped(() => RenderOptionsParser.JoinLevel(value is JsonValue v && v.TryGetValue<int>(out var level)
                        ? level.ToString(System.Globalization.CultureInfo.InvariantCulture) : RequireString(value, "notification.joinLevel")), "notification.joinLevel");
                    break;
                case "endpoint":
                    endpoint = ParseEndpoint(value);
                    break;
                default:
                    if (!NotificationSystemMembers.Contains(name)) throw Bad($"'{name}' is not a member of NotificationParams.");
                    break;
            }
        }
        if (endpoint is null) throw Bad("notification.endpoint is mandatory.");
        if (showChanges && format == RepresentationFormat.Simplified) throw Bad("notification.showChanges cannot be true with the keyValues (simplified) format (5.2.14).");
        if (pick is not null && omit is not null) throw Bad("notification.pick and notification.omit cannot be used together.");
        if ((pick ?? omit) is not null && attributes is not null) throw Bad("notification.attributes cannot be used with notification.pick or notification.omit (4.21, 4.22).");
        RenderOptions render;
        try
        {
            render = new RenderOptions { Format = format, SysAttrs = sysAttrs, Attrs = attributes, Pick = pick, Omit = omit, DatasetIds = datasetIds, Lang = lang,
                Join = join, JoinLevel = joinLevel };
        }
        catch (NgsiLdException e)
        {
            throw Bad($"lang: {e.Detail}");
        }
        return (render, showChanges, endpoint);
    }

    /// <summary>A notification parameter read by the query-parameter rules, its error named as the member.</summary>
    private static T Wrapped<T>(Func<T> read, string member)
    {
        try
        {
            return read();
        }
        catch (NgsiLdException e) when (e.Type == NgsiLdErrorType.BadRequestData)
        {
            throw Bad($"{member}: {e.Detail}");
        }
    }

    private static NotificationEndpoint ParseEndpoint(JsonNode? value)
    {
        if (value is not JsonObject endpoint) throw Bad("notification.endpoint must be an Endpoint object.");
        string? uriText = null;
        var accept = NotificationMediaType.Json;
        List<KeyValuePair<string, string>> receiverInfo = [], notifierInfo = [];
        foreach (var (name, member) in endpoint)
        {
            switch (name)
            {
                case "uri":
                    uriText = RequireString(member, "notification.endpoint.uri");
                    break;
                case "accept":
                    var acceptText = RequireString(member, "notification.endpoint.accept");
                    accept = acceptText switch
                    {
                        "application/json" => NotificationMediaType.Json,
                        "application/ld+json" => NotificationMediaType.JsonLd,
                        "application/geo+json" => NotificationMediaType.GeoJson,
                        _ => throw Bad($"notification.endpoint.accept '{acceptText}' is not application/json, application/ld+json or application/geo+json."),
                    };
                    break;
                case "receiverInfo":
                    receiverInfo = KeyValues(member, "notification.endpoint.receiverInfo");
                    foreach (var (key, text) in receiverInfo)
                    {
                        if (!IsHeaderName(key)) throw Bad($"receiverInfo key '{key}' is not a valid header name.");
                        if (text.Any(c => c is '\r' or '\n' or '\0')) throw Bad($"receiverInfo value of '{key}' contains a line break.");
                        if (FramingHeaders.Contains(key)) throw Bad($"receiverInfo key '{key}' is a header the notifier sets itself (it frames or routes the request).");
                        if (key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && !System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(text, out _))
                        {
                            throw Bad($"receiverInfo Content-Type '{text}' is not a media type.");
                        }
                    }
                    break;
                case "notifierInfo":
                    notifierInfo = KeyValues(member, "notification.endpoint.notifierInfo");
                    break;
                default:
                    throw Bad($"'{name}' is not a member of an Endpoint (uri, accept, receiverInfo, notifierInfo).");
            }
        }
        if (uriText is null) throw Bad("notification.endpoint.uri is mandatory.");
        if (!Uri.TryCreate(uriText, UriKind.Absolute, out var uri)) throw Bad($"notification.endpoint.uri '{uriText}' is not an absolute URI.");
        MqttEndpoint? mqtt = null;
        var qos = MqttQualityOfService.AtMostOnce;
        switch (uri.Scheme)
        {
            case "http" or "https":
                if (string.IsNullOrEmpty(uri.Host)) throw Bad($"notification.endpoint.uri '{uriText}' has no host.");
                break;
            case "mqtt" or "mqtts":
                try
                {
                    mqtt = MqttEndpoint.Parse(uriText);
                }
                catch (FormatException e)
                {
                    throw Bad($"notification.endpoint.uri: {e.Message}");
                }
                break;
            default:
                throw Bad($"notification.endpoint.uri scheme '{uri.Scheme}' is not supported: use http, https, mqtt or mqtts.");
        }
        foreach (var (key, text) in notifierInfo)
        {
            switch (key)
            {
                case "MQTT-QoS":
                    qos = text switch
                    {
                        "0" => MqttQualityOfService.AtMostOnce,
                        "1" => MqttQualityOfService.AtLeastOnce,
                        "2" => throw Bad("notifierInfo MQTT-QoS 2 is not supported: use 0 or 1."),
                        _ => throw Bad($"notifierInfo MQTT-QoS '{text}' is not 0 or 1."),
                    };
                    break;
                case "MQTT-Version":
                    if (text != "mqtt3.1.1") throw Bad($"notifierInfo MQTT-Version '{text}' is not supported: use mqtt3.1.1.");
                    break;
                default:
                    // Other keys are for notifiers of other bindings (5.2.22 leaves them open): kept, and meaningless to HTTP and MQTT.
                    break;
            }
        }
        return new NotificationEndpoint(uri, accept, receiverInfo, notifierInfo, mqtt, qos);
    }

    private static List<KeyValuePair<string, string>> KeyValues(JsonNode? value, string member)
    {
        if (value is not JsonArray items) throw Bad($"{member} must be an array of {{\"key\", \"value\"}} objects.");
        var pairs = new List<KeyValuePair<string, string>>(items.Count);
        foreach (var item in items)
        {
            if (item is not JsonObject pair || pair.Count != 2 || pair["key"] is not { } key || pair["value"] is not { } text)
            {
                throw Bad($"Each element of {member} must be an object with exactly key and value.");
            }
            pairs.Add(new(RequireString(key, member + "[].key"), RequireString(text, member + "[].value")));
        }
        return pairs;
    }

    private static bool IsHeaderName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    /// <summary>The entity members pick and omit name as they are (4.21, 4.22), besides attribute names.</summary>
    private static readonly HashSet<string> EntityMembers = new(StringComparer.Ordinal) { "id", "type", "scope" };

    private static HashSet<string> Names(JsonNode? value, string member, LdContext terms, HashSet<string>? asIs = null)
    {
        if (value is not JsonArray { Count: > 0 } items) throw Bad($"{member} must be a non-empty array of attribute names.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var name = RequireString(item, member + "[]");
            if (!NgsiLdSyntax.IsValidName(name)) throw Bad($"'{name}' in {member} is not a valid attribute name.");
            names.Add(asIs is not null && asIs.Contains(name) ? name : terms.ExpandTerm(name));
        }
        return names;
    }

    private static HashSet<string> DatasetIds(JsonNode? value)
    {
        if (value is not JsonArray { Count: > 0 } items) throw Bad("datasetId must be a non-empty array of datasetIds (URIs or @none).");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var id = RequireString(item, "datasetId[]");
            if (id != NgsiLdSyntax.NoneKey && !NgsiLdSyntax.IsAbsoluteIri(id)) throw Bad($"datasetId '{id}' is not a URI or @none.");
            ids.Add(id);
        }
        return ids;
    }

    private static TimeSpan Seconds(JsonNode? value, string member)
    {
        if (value is not JsonValue number || number.GetValueKind() != JsonValueKind.Number || !number.TryGetValue<double>(out var seconds))
        {
            throw Bad($"{member} must be a number of seconds.");
        }
        if (seconds <= 0 || double.IsNaN(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            throw Bad($"{member} must be a positive number of seconds, not {seconds.ToString(CultureInfo.InvariantCulture)}.");
        }
        return TimeSpan.FromSeconds(seconds);
    }

    private static bool Boolean(JsonNode? value, string member) => value?.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Bad($"{member} must be true or false."),
    };

    private static string RequireString(JsonNode? value, string member)
    {
        if (value is JsonValue text && text.GetValueKind() == JsonValueKind.String)
        {
            var s = text.GetValue<string>();
            if (s.Length > 0) return s;
        }
        throw Bad($"{member} must be a non-empty string.");
    }

    private static NgsiLdException Bad(string detail) => NgsiLdException.BadRequest(detail);
}
