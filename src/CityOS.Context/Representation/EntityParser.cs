using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Core;

namespace CityOS.Context.Representation;

/// <summary>How strictly an attribute payload is read.</summary>
public enum AttributeParseMode
{
    /// <summary>Create, append and replace: every attribute needs its value member; the NGSI-LD null is refused.</summary>
    Strict,

    /// <summary>
    /// Update Attributes (5.6.2): every attribute needs its value member, and the NGSI-LD null in any of its
    /// forms (4.5.x) asks for the attribute instance to be deleted.
    /// </summary>
    Update,

    /// <summary>
    /// Merge-patch and partial update: an attribute may omit its value member (the result has
    /// <see cref="NgsiAttribute.Value"/> null, meaning "keep the current value"), and the NGSI-LD null
    /// "urn:ngsi-ld:null" (or JSON null, which is read as it) means "delete this attribute or sub-attribute".
    /// </summary>
    Patch,

    /// <summary>
    /// Partial Attribute Update (5.6.4): as <see cref="Patch"/>, except that the NGSI-LD null inside a JSON object
    /// value is refused (5.5.4 excepts only merge fragments, 5.5.12).
    /// </summary>
    PartialUpdate,
}

/// <summary>
/// Reads NGSI-LD entity and attribute payloads (normalized or concise, 4.5) into the expanded model,
/// refusing invalid input with BadRequestData errors that name the offending attribute.
/// </summary>
public static class EntityParser
{
    /// <summary>The NGSI-LD null: in <see cref="AttributeParseMode.Patch"/> results, a value equal to it asks for deletion.</summary>
    public const string NgsiNull = NgsiLdSyntax.NgsiNull;

    /// <summary>True when <paramref name="value"/> is the NGSI-LD null.</summary>
    public static bool IsNgsiNull(JsonNode? value) => NgsiLdSyntax.IsNgsiNullString(value);

    /// <summary>
    /// True when a value member holds the NGSI-LD null in the form its attribute type uses (4.5.x): the null itself,
    /// or JSON null, for every type; {"@none": null} for a languageMap; [null] for an objectList or valueList.
    /// </summary>
    private static bool IsNullForm(AttributeKind kind, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] JsonNode? node) => node is null || IsNgsiNull(node) || kind switch
    {
        AttributeKind.LanguageProperty => node is JsonObject map && map.Count == 1 && map.TryGetPropertyValue(NgsiLdSyntax.NoneKey, out var none) && (none is null || IsNgsiNull(none)),
        AttributeKind.ListRelationship => node is JsonArray list && list.Count == 1 && (list[0] is null || IsNgsiNull(list[0]) || (list[0] is JsonObject o && o.Count == 1 && o.TryGetPropertyValue("object", out var target) && IsNgsiNull(target))),
        AttributeKind.ListProperty => node is JsonArray values && values.Count == 1 && (values[0] is null || IsNgsiNull(values[0])),
        AttributeKind.JsonProperty => node is JsonObject json && json.Count == 2 && json.TryGetPropertyValue("@value", out var inner) && IsNgsiNull(inner),
        _ => false,
    };

    public static Entity ParseEntity(JsonObject payload, ITermMapper terms, DateTimeOffset now)
    {
        if (!payload.TryGetPropertyValue("id", out var idNode))
        {
            throw NgsiLdException.BadRequest("The entity has no \"id\"");
        }
        if (!payload.TryGetPropertyValue("type", out var typeNode))
        {
            throw NgsiLdException.BadRequest("The entity has no \"type\"");
        }
        var entity = new Entity
        {
            Id = ParseEntityId(idNode),
            Types = ParseTypes(typeNode, terms),
            CreatedAt = now,
            ModifiedAt = now,
        };
        if (payload.TryGetPropertyValue("scope", out var scopeNode))
        {
            entity.Scopes = ParseScopes(scopeNode);
        }
        entity.ExpiresAt = ParseExpiresAt(payload);
        var reader = new Reader(terms, now, AttributeParseMode.Strict);
        foreach (var (name, node) in payload)
        {
            if (NgsiLdSyntax.EntityMembers.Contains(name))
            {
                CheckSystemMember(name, node, $"Attribute '{name}'");
                continue;
            }
            reader.AddAttribute(entity.Attributes, name, node);
        }
        return entity;
    }

    /// <summary>
    /// Reads an entity fragment: every member except "@context", "id", "type", "scope" and the system
    /// attributes is an attribute. "id", "type" and "scope" are validated here but left to the operation
    /// (append ignores them, merge adds the types): read them with <see cref="ParseEntityId"/>,
    /// <see cref="ParseTypes"/> and <see cref="ParseScopes"/>.
    /// </summary>
    public static Dictionary<string, List<NgsiAttribute>> ParseAttributes(JsonObject fragment, ITermMapper terms, DateTimeOffset now, AttributeParseMode mode)
    {
        var attributes = new Dictionary<string, List<NgsiAttribute>>(StringComparer.Ordinal);
        var reader = new Reader(terms, now, mode);
        foreach (var (name, node) in fragment)
        {
            switch (name)
            {
                case "id":
                    ParseEntityId(node);
                    continue;
                case "type":
                    ParseTypes(node, terms);
                    continue;
                case "scope":
                    if (!(mode == AttributeParseMode.Patch && IsNgsiNull(node)))
                    {
                        ParseScopes(node);
                    }
                    continue;
                case "expiresAt":
                    if (!(mode == AttributeParseMode.Patch && IsNgsiNull(node))) ExpiresAt("The entity", node);
                    continue;
            }
            if (NgsiLdSyntax.EntityMembers.Contains(name))
            {
                CheckSystemMember(name, node, $"Attribute '{name}'");
                continue;
            }
            reader.AddAttribute(attributes, name, node);
        }
        return attributes;
    }

    /// <summary>
    /// Reads the body of PATCH /entities/{id}/attrs/{attrId}: one attribute (or its instances), whose name comes from the URL.
    /// </summary>
    public static List<NgsiAttribute> ParseAttribute(string name, JsonNode? node, ITermMapper terms, DateTimeOffset now, AttributeParseMode mode)
    {
        if (node is JsonObject o && o.ContainsKey("@context"))
        {
            var copy = new JsonObject();
            foreach (var (key, value) in o)
            {
                if (key != "@context")
                {
                    copy[key] = value?.DeepClone();
                }
            }
            node = copy;
        }
        return new Reader(terms, now, mode).ReadAttribute(name, node);
    }

    /// <summary>An entity id: a string holding an absolute IRI.</summary>
    public static string ParseEntityId(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            throw NgsiLdException.BadRequest("The entity \"id\" must be a string holding a URI");
        }
        var id = v.GetValue<string>();
        if (id == NgsiNull)
        {
            throw NgsiLdException.BadRequest($"The entity id cannot be the NGSI-LD null '{NgsiNull}'");
        }
        if (!NgsiLdSyntax.IsAbsoluteIri(id))
        {
            throw NgsiLdException.BadRequest($"The entity id '{id}' is not a URI");
        }
        return id;
    }

    /// <summary>Entity types (a string or a non-empty array of strings), expanded and without duplicates.</summary>
    public static List<string> ParseTypes(JsonNode? node, ITermMapper terms)
    {
        var types = new List<string>(1);
        switch (node)
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                types.Add(ExpandType(v.GetValue<string>(), terms));
                break;
            case JsonArray a when a.Count > 0:
                foreach (var element in a)
                {
                    if (element is not JsonValue ev || ev.GetValueKind() != JsonValueKind.String)
                    {
                        throw NgsiLdException.BadRequest("The entity \"type\" array must hold only strings");
                    }
                    var type = ExpandType(ev.GetValue<string>(), terms);
                    if (!types.Contains(type))
                    {
                        types.Add(type);
                    }
                }
                break;
            default:
                throw NgsiLdException.BadRequest("The entity \"type\" must be a string or a non-empty array of strings");
        }
        return types;
    }

    /// <summary>The entity's expiresAt (4.22, transient entities): a DateTime in UTC; null when the payload has none.</summary>
    public static DateTimeOffset? ParseExpiresAt(JsonObject payload) =>
        payload.TryGetPropertyValue("expiresAt", out var node) ? ExpiresAt("The entity", node) : null;

    /// <summary>
    /// What a merge fragment does to the entity's expiresAt (4.22): null when it has none; a change to the new instant, or
    /// to none (the entity becomes durable) when it is the NGSI-LD Null (5.5.4).
    /// </summary>
    public static ExpiryChange? ParseExpiryChange(JsonObject fragment) =>
        !fragment.TryGetPropertyValue("expiresAt", out var node) ? null
        : IsNgsiNull(node) ? new ExpiryChange(null)
        : new ExpiryChange(ExpiresAt("The entity", node));

    private static DateTimeOffset ExpiresAt(string what, JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && NgsiLdSyntax.TryParseUtcDateTime(v.GetValue<string>(), out var at)
            ? at
            : throw NgsiLdException.BadRequest($"{what}: \"expiresAt\" must be an ISO 8601 DateTime in UTC such as \"2026-11-22T02:30:00Z\" (4.22)");

    /// <summary>Scopes (4.18): a string or an array of strings such as "/Madrid/Gardens".</summary>
    public static List<string> ParseScopes(JsonNode? node)
    {
        var scopes = new List<string>(1);
        switch (node)
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                scopes.Add(ValidScope(v.GetValue<string>()));
                break;
            case JsonArray a:
                foreach (var element in a)
                {
                    if (element is not JsonValue ev || ev.GetValueKind() != JsonValueKind.String)
                    {
                        throw NgsiLdException.BadRequest("The entity \"scope\" array must hold only strings");
                    }
                    var scope = ValidScope(ev.GetValue<string>());
                    if (!scopes.Contains(scope))
                    {
                        scopes.Add(scope);
                    }
                }
                break;
            default:
                throw NgsiLdException.BadRequest("The entity \"scope\" must be a string or an array of strings");
        }
        return scopes;
    }

    private static string ValidScope(string scope) => NgsiLdSyntax.IsValidScope(scope)
        ? scope
        : throw NgsiLdException.BadRequest($"The scope '{scope}' is invalid: a scope is '/' followed by '/'-separated levels of letters, digits and '_'");

    private static string ExpandType(string type, ITermMapper terms)
    {
        if (!NgsiLdSyntax.IsValidName(type))
        {
            throw NgsiLdException.BadRequest($"The entity type '{type}' contains characters that are not allowed");
        }
        if (!type.Contains(':') && char.IsDigit(type[0]))
        {
            // 4.6.2: name = unicodeLetter *(unicodeLetter / unicodeNumber / "_").
            throw NgsiLdException.BadRequest($"The entity type '{type}' starts with a digit: a name starts with a letter (4.6.2)");
        }
        var expanded = terms.ExpandTerm(type);
        return NgsiLdSyntax.IsKeyword(type) || NgsiLdSyntax.IsKeyword(expanded)
            ? throw NgsiLdException.BadRequest($"The entity type '{type}' is a JSON-LD keyword (or maps to one) and cannot be an entity type")
            : expanded;
    }

    /// <summary>
    /// createdAt, modifiedAt and deletedAt are set by the broker. A client may send them back as it received
    /// them (a DateTime, ignored), but an attribute cannot take their names: it would be dropped without a word.
    /// </summary>
    private static void CheckSystemMember(string name, JsonNode? node, string what)
    {
        if (name is "createdAt" or "modifiedAt" or "deletedAt"
            && !(node is JsonValue v && v.GetValueKind() == JsonValueKind.String && NgsiLdSyntax.TryParseDateTime(v.GetValue<string>(), out _)))
        {
            throw NgsiLdException.BadRequest($"{what}: '{name}' is a reserved NGSI-LD name (a DateTime the broker sets) and cannot name an attribute");
        }
    }

    private static readonly string[] ValueMembers = ["value", "object", "objectList", "languageMap", "valueList", "vocab", "json"];

    /// <summary>Members that only an attribute (never a plain JSON value) has; their presence without a value member means the value is missing.</summary>
    private static readonly string[] AttributeOnlyMembers = ["observedAt", "unitCode", "datasetId", "objectType"];

    private sealed class Reader(ITermMapper terms, DateTimeOffset now, AttributeParseMode mode)
    {
        private bool Patch => mode is AttributeParseMode.Patch or AttributeParseMode.PartialUpdate;

        private bool NullDeletes => mode != AttributeParseMode.Strict;

        public void AddAttribute(Dictionary<string, List<NgsiAttribute>> attributes, string name, JsonNode? node)
        {
            var expanded = ExpandAttributeName(name, null);
            if (attributes.ContainsKey(expanded))
            {
                throw NgsiLdException.BadRequest($"Attribute '{name}' appears twice (under names that expand to the same IRI {expanded})");
            }
            var instances = ReadAttribute(name, node);
            if (GeoAttributeNames.Contains(expanded))
            {
                foreach (var instance in instances)
                {
                    if (instance.Kind != AttributeKind.GeoProperty && !(instance.Value is null && Patch) && !IsNgsiNull(instance.Value))
                    {
                        throw Bad(name, $"'{name}' is a GeoProperty (4.7.1) and cannot be a {NgsiLdSyntax.KindName(instance.Kind)}");
                    }
                }
            }
            attributes.Add(expanded, instances);
        }

        /// <summary>The attributes the core @context defines as GeoProperties (4.7.1).</summary>
        private static readonly HashSet<string> GeoAttributeNames = new(StringComparer.Ordinal)
        {
            "https://uri.etsi.org/ngsi-ld/location", "https://uri.etsi.org/ngsi-ld/observationSpace", "https://uri.etsi.org/ngsi-ld/operationSpace",
        };

        public List<NgsiAttribute> ReadAttribute(string name, JsonNode? node)
        {
            if (node is JsonArray array && IsInstanceArray(array))
            {
                var instances = new List<NgsiAttribute>(array.Count);
                foreach (var element in array)
                {
                    var instance = ReadInstance(name, element!, topLevel: true);
                    foreach (var other in instances)
                    {
                        if (other.DatasetId == instance.DatasetId)
                        {
                            throw NgsiLdException.BadRequest(instance.DatasetId is null
                                ? $"Attribute '{name}' has more than one instance without a datasetId"
                                : $"Attribute '{name}' has more than one instance with datasetId '{instance.DatasetId}'");
                        }
                    }
                    instances.Add(instance);
                }
                return instances;
            }
            return [ReadInstance(name, node, topLevel: true)];
        }

        /// <summary>
        /// An array is a list of datasetId instances when every element is an attribute object; otherwise it
        /// is the value of a concise Property.
        /// </summary>
        private static bool IsInstanceArray(JsonArray array)
        {
            if (array.Count == 0)
            {
                return false;
            }
            foreach (var element in array)
            {
                if (element is not JsonObject o || !LooksLikeAttribute(o))
                {
                    return false;
                }
            }
            return true;
        }

        private static bool LooksLikeAttribute(JsonObject o)
        {
            if (o.TryGetPropertyValue("type", out var t) && t is JsonValue tv && tv.TryGetValue<string>(out var s)
                && NgsiLdSyntax.TryParseKind(s, out _))
            {
                return true;
            }
            foreach (var member in ValueMembers)
            {
                if (o.ContainsKey(member))
                {
                    return true;
                }
            }
            return o.ContainsKey("datasetId");
        }

        private string ExpandAttributeName(string name, string? parentPath)
        {
            var what = parentPath is null ? $"Attribute '{name}'" : $"Sub-attribute '{name}' of '{parentPath}'";
            if (!NgsiLdSyntax.IsValidName(name))
            {
                throw NgsiLdException.BadRequest($"{what}: the name contains characters that are not allowed");
            }
            // "id" inside an attribute would be the JSON-LD identifier of the attribute node, never a sub-attribute.
            if (name[0] == '@' || name == "id" || NgsiLdSyntax.AttributeMembers.Contains(name) || (parentPath is null && NgsiLdSyntax.EntityMembers.Contains(name)))
            {
                throw NgsiLdException.BadRequest($"{what}: '{name}' is a reserved NGSI-LD name and cannot name an attribute");
            }
            var expanded = terms.ExpandTerm(name);
            return NgsiLdSyntax.IsKeyword(expanded)
                ? throw NgsiLdException.BadRequest($"{what}: '{name}' maps to the JSON-LD keyword {expanded} and cannot name an attribute")
                : expanded;
        }

        private NgsiAttribute ReadInstance(string path, JsonNode? node, bool topLevel = false)
        {
            var attribute = new NgsiAttribute { CreatedAt = now, ModifiedAt = now };
            if (node is not JsonObject o)
            {
                attribute.Kind = AttributeKind.Property;
                attribute.Value = PlainValue(path, node);
                return attribute;
            }
            var kind = DetermineKind(path, o, out var wholeObjectIsValue);
            if (wholeObjectIsValue && topLevel && mode == AttributeParseMode.PartialUpdate && kind == AttributeKind.Property)
            {
                // The body of a partial update is an attribute fragment (5.6.4): without "type" and a value member its
                // members are the sub-attributes to update, not a concise value.
                wholeObjectIsValue = false;
            }
            attribute.Kind = kind;
            if (wholeObjectIsValue)
            {
                attribute.Value = kind == AttributeKind.GeoProperty ? Geometry(path, o) : o.DeepClone();
                return attribute;
            }
            var valueMember = NgsiLdSyntax.ValueMember(kind);
            var hasValue = false;
            foreach (var (member, child) in o)
            {
                if (member == valueMember)
                {
                    attribute.Value = ReadValue(path, kind, child);
                    hasValue = true;
                    continue;
                }
                switch (member)
                {
                    case "createdAt":
                    case "modifiedAt":
                    case "deletedAt":
                        CheckSystemMember(member, child, $"Attribute '{path}'");
                        continue;
                    case "type":
                    case "instanceId":
                    case "lang":
                        continue;
                    case "objectType" when kind is AttributeKind.Relationship or AttributeKind.ListRelationship:
                        attribute.ObjectType = ObjectType(path, child);
                        continue;
                    case "observedAt":
                        attribute.ObservedAt = ObservedAt(path, child);
                        attribute.ObservedAtFraction = child!.GetValue<string>().Contains('.');
                        continue;
                    case "unitCode" when kind is AttributeKind.Relationship or AttributeKind.ListRelationship or AttributeKind.JsonProperty:
                        throw Bad(path, $"\"unitCode\" is not allowed in a {NgsiLdSyntax.KindName(kind)} (4.5.3.2, 4.5.24.2: it is unitless)");
                    case "valueType" when kind == AttributeKind.LanguageProperty
                        && !(child is JsonValue vt && vt.GetValueKind() == JsonValueKind.String && vt.GetValue<string>() is "langString" or "rdf:langString" or "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"):
                        throw Bad(path, "the \"valueType\" of a LanguageProperty shall be langString (Table 5.2.32-1)");
                    case "previousValue" or "previousObject" or "previousObjectList" or "previousLanguageMap" or "previousValueList" or "previousVocab" or "previousJson":
                        throw Bad(path, $"\"{member}\" is an output-only member of notifications (showChanges) and cannot be written");
                    case "entityIdSealed" or "entityTypeSealed" when !path.EndsWith("ngsildproof", StringComparison.Ordinal):
                        throw Bad(path, $"\"{member}\" is only allowed inside an ngsildproof (4.5.2.2)");
                    case "unitCode":
                        attribute.UnitCode = child is JsonValue u && u.GetValueKind() == JsonValueKind.String && u.GetValue<string>().Length > 0
                            ? u.GetValue<string>()
                            : throw Bad(path, "\"unitCode\" must be a non-empty string");
                        continue;
                    case "datasetId":
                        attribute.DatasetId = child is JsonValue d && d.GetValueKind() == JsonValueKind.String && NgsiLdSyntax.IsAbsoluteIri(d.GetValue<string>())
                            ? d.GetValue<string>()
                            : throw Bad(path, "\"datasetId\" must be a string holding a URI");
                        continue;
                    case "expiresAt":
                        attribute.ExpiresAt = ExpiresAt($"Attribute '{path}'", child);
                        continue;
                }
                if (NgsiLdSyntax.AttributeMembers.Contains(member))
                {
                    throw Bad(path, $"\"{member}\" is not allowed in a {NgsiLdSyntax.KindName(kind)}");
                }
                var expanded = ExpandAttributeName(member, path);
                if (attribute.SubAttributes.ContainsKey(expanded))
                {
                    throw Bad(path, $"sub-attribute '{member}' appears twice");
                }
                attribute.SubAttributes.Add(expanded, ReadInstance(path + "." + member, child));
            }
            if (!hasValue && !Patch)
            {
                throw Bad(path, $"a {NgsiLdSyntax.KindName(kind)} needs \"{valueMember}\"");
            }
            return attribute;
        }

        /// <summary>The kind of an attribute object: from its "type", else inferred as the concise form (4.5) prescribes.</summary>
        private AttributeKind DetermineKind(string path, JsonObject o, out bool wholeObjectIsValue)
        {
            wholeObjectIsValue = false;
            string? presentValueMember = null;
            foreach (var member in ValueMembers)
            {
                if (o.ContainsKey(member))
                {
                    if (presentValueMember is not null && !o.ContainsKey("type"))
                    {
                        throw Bad(path, $"both \"{presentValueMember}\" and \"{member}\" are present, so the attribute type cannot be inferred");
                    }
                    presentValueMember ??= member;
                }
            }
            if (o.TryGetPropertyValue("type", out var typeNode))
            {
                if (typeNode is JsonValue tv && tv.GetValueKind() == JsonValueKind.String)
                {
                    var typeName = tv.GetValue<string>();
                    if (NgsiLdSyntax.TryParseKind(typeName, out var explicitKind))
                    {
                        return explicitKind;
                    }
                    if (presentValueMember is null && GeoJsonGeometryCheck.IsGeometryType(typeName))
                    {
                        wholeObjectIsValue = true;
                        return AttributeKind.GeoProperty;
                    }
                    throw Bad(path, $"'{typeName}' is not an NGSI-LD attribute type (Property, Relationship, GeoProperty, LanguageProperty, ListProperty, ListRelationship, VocabProperty, JsonProperty)");
                }
                throw Bad(path, "the attribute \"type\" must be a string");
            }
            switch (presentValueMember)
            {
                case "value":
                    return GeoJsonGeometryCheck.LooksLikeGeometry(o["value"]) ? AttributeKind.GeoProperty : AttributeKind.Property;
                case "object":
                    return AttributeKind.Relationship;
                case "objectList":
                    return AttributeKind.ListRelationship;
                case "languageMap":
                    return AttributeKind.LanguageProperty;
                case "valueList":
                    return AttributeKind.ListProperty;
                case "vocab":
                    return AttributeKind.VocabProperty;
                case "json":
                    return AttributeKind.JsonProperty;
            }
            foreach (var member in AttributeOnlyMembers)
            {
                if (o.ContainsKey(member))
                {
                    if (Patch)
                    {
                        return o.ContainsKey("objectType") ? AttributeKind.Relationship : AttributeKind.Property;
                    }
                    throw Bad(path, "the attribute has no value member (\"value\", \"object\", \"languageMap\", ...)");
                }
            }
            wholeObjectIsValue = true;
            return AttributeKind.Property;
        }

        private JsonNode PlainValue(string path, JsonNode? node)
        {
            if (node is null)
            {
                return NullDeletes ? JsonValue.Create(NgsiNull) : throw Bad(path, "null is not a valid value");
            }
            if (!NullDeletes && IsNgsiNull(node))
            {
                throw Bad(path, $"'{NgsiNull}' is only allowed in updates, merges and partial updates");
            }
            return node.DeepClone();
        }

        private JsonNode ReadValue(string path, AttributeKind kind, JsonNode? node)
        {
            if (IsNullForm(kind, node))
            {
                return NullDeletes
                    ? JsonValue.Create(NgsiNull)
                    : throw Bad(path, node is null ? "null is not a valid value" : $"'{NgsiNull}' is only allowed in updates, merges and partial updates");
            }
            switch (kind)
            {
                case AttributeKind.Property:
                    if (mode != AttributeParseMode.Patch && node is JsonObject or JsonArray)
                    {
                        RefuseNestedNull(path, node);
                    }
                    return node.DeepClone();
                case AttributeKind.GeoProperty:
                    return node is JsonValue encoded && encoded.GetValueKind() == JsonValueKind.String
                        ? Geometry(path, ParseEncodedGeometry(path, encoded.GetValue<string>()))
                        : Geometry(path, node);
                case AttributeKind.JsonProperty:
                    return node is JsonObject or JsonArray
                        ? node.DeepClone()
                        : throw Bad(path, "\"json\" must be a raw JSON object or array (4.5.24.2)");
                case AttributeKind.Relationship:
                    return RelationshipObject(path, node);
                case AttributeKind.ListRelationship:
                    return ObjectList(path, node);
                case AttributeKind.LanguageProperty:
                    return LanguageMap(path, node);
                case AttributeKind.ListProperty:
                    return node is JsonArray
                        ? node.DeepClone()
                        : throw Bad(path, "\"valueList\" must be an array");
                case AttributeKind.VocabProperty:
                    return Vocab(path, node);
                default:
                    return node.DeepClone();
            }
        }

        /// <summary>5.5.4: the NGSI-LD null as a member value inside a JSON object value is BadRequestData (outside merges).</summary>
        private static void RefuseNestedNull(string path, JsonNode node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, child) in o)
                    {
                        if (IsNgsiNull(child))
                        {
                            throw Bad(path, $"the member '{key}' of the value is the NGSI-LD null '{NgsiNull}', allowed inside a value only in merges (5.5.4)");
                        }
                        if (child is not null)
                        {
                            RefuseNestedNull(path, child);
                        }
                    }
                    break;
                case JsonArray a:
                    foreach (var element in a)
                    {
                        if (element is JsonObject or JsonArray)
                        {
                            RefuseNestedNull(path, element);
                        }
                    }
                    break;
            }
        }

        /// <summary>4.7.2: a geometry may be sent as a string holding its JSON encoding; it is stored as the object.</summary>
        private static JsonNode ParseEncodedGeometry(string path, string text)
        {
            try
            {
                return JsonNode.Parse(text) as JsonObject ?? throw Bad(path, "a string GeoProperty value must encode a GeoJSON geometry object (4.7.2)");
            }
            catch (JsonException)
            {
                throw Bad(path, "a string GeoProperty value must encode a GeoJSON geometry object (4.7.2)");
            }
        }

        private static JsonNode Geometry(string path, JsonNode node)
        {
            if (node is JsonObject g && g["type"] is JsonValue gt && gt.GetValueKind() == JsonValueKind.String && gt.GetValue<string>() == "GeometryCollection")
            {
                throw Bad(path, "a GeometryCollection is not a valid GeoProperty value (4.6.3, 4.7.1)");
            }
            try
            {
                Geo.GeoJsonReader.Read(node);
            }
            catch (NgsiLdException invalid)
            {
                throw Bad(path, $"a GeoProperty value must be a GeoJSON geometry: {invalid.Detail}");
            }
            return node.DeepClone();
        }

        private static JsonNode RelationshipObject(string path, JsonNode node)
        {
            if (IsIriString(node))
            {
                return node.DeepClone();
            }
            if (node is JsonArray a && a.Count > 0)
            {
                foreach (var element in a)
                {
                    if (!IsIriString(element))
                    {
                        throw Bad(path, "every element of \"object\" must be a URI");
                    }
                }
                return node.DeepClone();
            }
            throw Bad(path, "\"object\" must be a URI or a non-empty array of URIs");
        }

        /// <summary>Stored as the spec's normalized form, an array of {"object": URI}; bare URIs are accepted and wrapped.</summary>
        private static JsonNode ObjectList(string path, JsonNode node)
        {
            if (node is not JsonArray a)
            {
                throw Bad(path, "\"objectList\" must be an array of URIs");
            }
            var list = new JsonArray();
            foreach (var element in a)
            {
                var target = element is JsonObject o && o.Count == 1 && o.TryGetPropertyValue("object", out var inner) ? inner : element;
                if (!IsIriString(target))
                {
                    throw Bad(path, "every element of \"objectList\" must be a URI or {\"object\": URI}");
                }
                list.Add(new JsonObject { ["object"] = target!.DeepClone() });
            }
            return list;
        }

        private static JsonNode LanguageMap(string path, JsonNode node)
        {
            if (node is not JsonObject map || map.Count == 0)
            {
                throw Bad(path, "\"languageMap\" must be a non-empty object from language tags to strings");
            }
            foreach (var (tag, text) in map)
            {
                if (tag != NgsiLdSyntax.NoneKey && !NgsiLdSyntax.IsLanguageTag(tag))
                {
                    throw Bad(path, $"'{tag}' in \"languageMap\" is not a language tag");
                }
                if (!IsStringOrStrings(text))
                {
                    throw Bad(path, $"the \"languageMap\" entry '{tag}' must be a string or an array of strings");
                }
            }
            return node.DeepClone();
        }

        private JsonNode Vocab(string path, JsonNode node)
        {
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                return JsonValue.Create(terms.ExpandVocabValue(v.GetValue<string>()));
            }
            if (node is JsonArray a && a.Count > 0)
            {
                var expanded = new JsonArray();
                foreach (var element in a)
                {
                    if (element is not JsonValue ev || ev.GetValueKind() != JsonValueKind.String)
                    {
                        throw Bad(path, "\"vocab\" must be a string or an array of strings");
                    }
                    expanded.Add(terms.ExpandVocabValue(ev.GetValue<string>()));
                }
                return expanded;
            }
            throw Bad(path, "\"vocab\" must be a string or a non-empty array of strings");
        }

        private JsonNode ObjectType(string path, JsonNode? node)
        {
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String && NgsiLdSyntax.IsValidName(v.GetValue<string>()))
            {
                return JsonValue.Create(terms.ExpandTerm(v.GetValue<string>()));
            }
            if (node is JsonArray a && a.Count > 0)
            {
                var expanded = new JsonArray();
                foreach (var element in a)
                {
                    if (element is not JsonValue ev || ev.GetValueKind() != JsonValueKind.String || !NgsiLdSyntax.IsValidName(ev.GetValue<string>()))
                    {
                        throw Bad(path, "\"objectType\" must be an entity type or an array of entity types");
                    }
                    expanded.Add(terms.ExpandTerm(ev.GetValue<string>()));
                }
                return expanded;
            }
            throw Bad(path, "\"objectType\" must be an entity type or an array of entity types");
        }

        private static DateTimeOffset ObservedAt(string path, JsonNode? node) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.String && NgsiLdSyntax.TryParseUtcDateTime(v.GetValue<string>(), out var at)
                ? at
                : throw Bad(path, "\"observedAt\" must be an ISO 8601 DateTime in UTC such as \"2026-11-22T02:30:00Z\"");

        private static bool IsIriString(JsonNode? node) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.String && NgsiLdSyntax.IsAbsoluteIri(v.GetValue<string>());

        private static bool IsStringOrStrings(JsonNode? node)
        {
            if (node is JsonValue v)
            {
                return v.GetValueKind() == JsonValueKind.String;
            }
            if (node is not JsonArray a)
            {
                return false;
            }
            foreach (var element in a)
            {
                if (element is not JsonValue ev || ev.GetValueKind() != JsonValueKind.String)
                {
                    return false;
                }
            }
            return true;
        }

        private static NgsiLdException Bad(string path, string problem) =>
            NgsiLdException.BadRequest($"Attribute '{path}': {problem}");
    }
}

/// <summary>A change of an entity's expiresAt (4.22): the new instant, or null when the entity becomes durable.</summary>
public sealed record ExpiryChange(DateTimeOffset? ExpiresAt);
