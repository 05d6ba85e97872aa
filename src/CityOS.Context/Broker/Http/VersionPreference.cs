using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CityOS.Context.Broker.Http;

/// <summary>
/// "Prefer: ngsi-ld=&lt;major.minor&gt;" (4.3.6.8 and 6.3.6 of V1.9.1): a consumer that only understands payloads of an earlier
/// version of the specification. The broker answers with Preference-Applied naming the version, amends Entity data with the
/// fallbacks of Table 4.3.6.8-1 that apply, and answers 203 when it altered the payload. Other data (subscriptions…) has
/// no fallbacks and is returned unaltered.
/// </summary>
public static class VersionPreference
{
    public const string PreferenceAppliedHeader = "Preference-Applied";

    /// <summary>The attribute types introduced in 1.8 and what a consumer of an earlier version gets instead (a Property holding the value).</summary>
    private static readonly (string Type, string ValueMember)[] Since18 =
    [
        ("VocabProperty", "vocab"),
        ("JsonProperty", "json"),
        ("ListProperty", "valueList"),
    ];

    /// <summary>
    /// The version the request prefers, as "major.minor", or null. RFC 7240: Prefer is a comma-separated list of preferences,
    /// the name is case-insensitive, the value a token or a quoted string, and parameters after ';' do not change it.
    /// </summary>
    public static Version? Preferred(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            if (header is null) continue;
            foreach (var preference in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var token = preference.Split(';', 2)[0];
                var eq = token.IndexOf('=');
                if (eq <= 0 || !token[..eq].Trim().Equals("ngsi-ld", StringComparison.OrdinalIgnoreCase)) continue;
                var value = token[(eq + 1)..].Trim().Trim('"');
                if (value.Split('.') is [var major, var minor] && int.TryParse(major, out var ma) && int.TryParse(minor, out var mi) && ma >= 0 && mi >= 0)
                {
                    return new Version(ma, mi);
                }
            }
        }
        return null;
    }

    /// <summary>The Preference-Applied value for a preferred version.</summary>
    public static string Applied(Version version) => $"ngsi-ld={version.Major}.{version.Minor}";

    /// <summary>Marks a response that was not amended (data without fallbacks, or already conformant to the preferred version).</summary>
    public static void Confirm(NgsiLdResponse response, Version? version)
    {
        if (version is not null) response.Headers[PreferenceAppliedHeader] = Applied(version);
    }

    /// <summary>
    /// Amends rendered entities (an entity or an array of them, normalized or concise) for a consumer of <paramref name="version"/>;
    /// true when something changed (the response is then a 203).
    /// </summary>
    public static bool AmendEntities(JsonNode body, Version version)
    {
        if (version >= new Version(1, 8)) return false;
        var changed = false;
        foreach (var entity in body is JsonArray array ? array.OfType<JsonObject>() : body is JsonObject single ? [single] : [])
        {
            foreach (var (name, member) in entity.ToList())
            {
                if (name is "id" or "type" or "@context" or "scope") continue;
                foreach (var instance in member is JsonArray instances ? instances.OfType<JsonObject>() : member is JsonObject one ? [one] : [])
                {
                    changed |= AmendAttribute(instance);
                }
            }
        }
        return changed;
    }

    /// <summary>A VocabProperty, JsonProperty or ListProperty (and such sub-attributes) reformatted as a Property.</summary>
    private static bool AmendAttribute(JsonObject attribute)
    {
        var changed = false;
        var type = attribute["type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
        foreach (var (fallbackType, valueMember) in Since18)
        {
            if (!(type == fallbackType || (type is null && attribute.ContainsKey(valueMember) && !attribute.ContainsKey("value")))) continue;
            if (attribute[valueMember] is { } value)
            {
                attribute.Remove(valueMember);
                attribute["value"] = value;
            }
            if (type is not null) attribute["type"] = "Property";
            changed = true;
            break;
        }
        foreach (var (name, member) in attribute.ToList())
        {
            if (name is "value" or "object" or "json" or "valueList" or "objectList" or "languageMap" or "vocab") continue;
            if (member is JsonObject sub) changed |= AmendAttribute(sub);
        }
        return changed;
    }
}
