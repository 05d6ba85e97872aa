using System.Globalization;
using System.Text.Json.Nodes;

namespace CityOS.NgsiV2;

/// <summary>Orion's checks of a v2 subscription document (create and PATCH), and what a subscription selects.</summary>
public static class V2SubscriptionRules
{
    public static readonly string[] Formats = ["normalized", "keyValues", "values", "simplifiedNormalized", "simplifiedKeyValues", "legacy"];

    /// <summary>A new subscription's document from the request body: checked, with its id and status set.</summary>
    public static JsonObject Create(JsonObject body, string id, DateTimeOffset now)
    {
        if (body.ContainsKey("id")) throw V2Exception.BadRequest("id is not allowed in subscription creation");
        if (body["subject"] is null) throw V2Exception.BadRequest("no subject for subscription");
        if (body["notification"] is null) throw V2Exception.BadRequest("no notification for subscription");
        var document = (JsonObject)body.DeepClone();
        Check(document);
        document["id"] = id;
        document["status"] ??= "active";
        var notification = document["notification"]!.AsObject();
        notification["attrsFormat"] ??= "normalized";
        notification["attrs"] ??= new JsonArray();
        notification["timesSent"] = 0;
        return Ordered(document, now);
    }

    /// <summary>The document after a PATCH of its top-level members (subject, notification, expires, status, throttling, description).</summary>
    public static JsonObject Patch(JsonObject document, JsonObject patch, DateTimeOffset now)
    {
        if (patch.Count == 0) throw V2Exception.BadRequest("empty payload");
        if (patch.ContainsKey("id")) throw V2Exception.BadRequest("id is not allowed in subscription update");
        var updated = (JsonObject)document.DeepClone();
        var counters = updated["notification"]!.AsObject();
        foreach (var (name, value) in patch)
        {
            if (name is not ("subject" or "notification" or "expires" or "status" or "throttling" or "description"))
                throw V2Exception.BadRequest($"unrecognized field in JSON payload: /{name}/");
            updated[name] = value?.DeepClone();
        }
        if (patch["notification"] is JsonObject notification)
        {
            foreach (var counter in new[] { "timesSent", "lastNotification", "lastSuccess", "lastSuccessCode", "lastFailure", "lastFailureReason", "failsCounter" })
            {
                if (counters[counter] is { } kept && notification[counter] is null) updated["notification"]![counter] = kept.DeepClone();
            }
            updated["notification"]!["attrsFormat"] ??= "normalized";
            updated["notification"]!["attrs"] ??= new JsonArray();
        }
        Check(updated);
        return Ordered(updated, now);
    }

    private static void Check(JsonObject document)
    {
        if (document["description"] is { } description && (description.GetValueKind() != System.Text.Json.JsonValueKind.String || description.GetValue<string>().Length > 1024))
            throw V2Exception.BadRequest("description is not a string of at most 1024 characters");
        if (document["subject"] is not JsonObject subject) throw V2Exception.BadRequest("subject is not an object");
        if (subject["entities"] is not JsonArray { Count: > 0 } entities) throw V2Exception.BadRequest("no entities for subscription");
        foreach (var entity in entities)
        {
            if (entity is not JsonObject e) throw V2Exception.BadRequest("entities element is not an object");
            var id = Text(e, "id");
            var pattern = Text(e, "idPattern");
            if (id is null == (pattern is null)) throw V2Exception.BadRequest("entity must have one of id or idPattern");
            if (id is not null) V2Syntax.CheckName(id, "entity id");
            if (pattern is not null) Pattern(pattern);
            if (Text(e, "type") is { } type) V2Syntax.CheckName(type, "entity type");
            if (Text(e, "typePattern") is { } typePattern) Pattern(typePattern);
        }
        if (subject["condition"] is { } condition)
        {
            if (condition is not JsonObject c) throw V2Exception.BadRequest("condition is not an object");
            if (c["attrs"] is { } attrs && (attrs is not JsonArray list || list.Any(a => a?.GetValueKind() != System.Text.Json.JsonValueKind.String)))
                throw V2Exception.BadRequest("condition attrs is not an array of strings");
            if (c["expression"] is { } expression)
            {
                if (expression is not JsonObject x) throw V2Exception.BadRequest("expression is not an object");
                if (Text(x, "q") is { } q) V2Q.ToLd(q);
            }
        }
        if (document["notification"] is not JsonObject notification) throw V2Exception.BadRequest("notification is not an object");
        var http = notification["http"] ?? notification["httpCustom"];
        if (http is not JsonObject endpoint) throw V2Exception.BadRequest("http notification is missing");
        if (Text(endpoint, "url") is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw V2Exception.BadRequest("invalid custom /url/");
        if (Text(notification, "attrsFormat") is { } format && !Formats.Contains(format)) throw V2Exception.BadRequest("invalid attrsFormat, accepted values: " + string.Join(", ", Formats));
        if (notification["attrs"] is not null && notification["exceptAttrs"] is not null) throw V2Exception.BadRequest("http notification has attrs and exceptAttrs");
        if (document["throttling"] is { } throttling && (throttling.GetValueKind() != System.Text.Json.JsonValueKind.Number || double.Parse(throttling.ToJsonString(), CultureInfo.InvariantCulture) < 0))
            throw V2Exception.BadRequest("throttling is not a non-negative number");
        if (document["expires"] is { } expires && Expires(expires) is null) throw V2Exception.BadRequest("expires has an invalid format");
        if (Text(document, "status") is { } status && status is not ("active" or "inactive" or "oneshot"))
            throw V2Exception.BadRequest("status is not valid: it has to be either active, inactive or oneshot");
    }

    private static void Pattern(string pattern)
    {
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            throw V2Exception.BadRequest("Invalid regex for entity idPattern");
        }
    }

    public static DateTimeOffset? Expires(JsonNode? node) =>
        node?.GetValueKind() == System.Text.Json.JsonValueKind.String
        && DateTimeOffset.TryParse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    public static string? Text(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>Orion's member order, with "expired" as the status once expires has passed.</summary>
    private static JsonObject Ordered(JsonObject document, DateTimeOffset now)
    {
        var ordered = new JsonObject();
        foreach (var name in new[] { "id", "description", "subject", "notification", "expires", "status", "throttling" })
        {
            if (document[name] is { } value) ordered[name] = value.DeepClone();
        }
        _ = now;
        return ordered;
    }

    /// <summary>The document as GET shows it: status "expired" once its expiry passed.</summary>
    public static JsonObject Shown(JsonObject document, DateTimeOffset now)
    {
        var shown = (JsonObject)document.DeepClone();
        if (Expires(shown["expires"]) is { } at && at <= now && Text(shown, "status") == "active") shown["status"] = "expired";
        return shown;
    }

    /// <summary>Whether the entity (v2 id and type) is one of the subject's entities.</summary>
    public static bool Selects(JsonObject document, string id, string type)
    {
        foreach (var node in document["subject"]!["entities"]!.AsArray())
        {
            var e = node!.AsObject();
            var idOk = Text(e, "id") is { } eid ? eid == id : Text(e, "idPattern") is { } p && System.Text.RegularExpressions.Regex.IsMatch(id, p, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
            var typeOk = Text(e, "type") is { } t ? t == type : Text(e, "typePattern") is not { } tp || System.Text.RegularExpressions.Regex.IsMatch(type, tp, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
            if (idOk && typeOk) return true;
        }
        return false;
    }
}
