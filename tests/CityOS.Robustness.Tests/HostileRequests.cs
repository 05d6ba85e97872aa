using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace CityOS.Robustness.Tests;

/// <summary>One generated request: what the property test sends, and how a failure report shows it.</summary>
public sealed record HostileRequest(string Method, string Path, string? Tenant, string? ContentType, string? Link, string? Accept, byte[]? Body)
{
    public override string ToString()
    {
        var body = Body is null ? "" : " body " + JsonSerializer.Serialize(Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 400)));
        return $"{Method} {(Path.Length > 300 ? Path[..300] + "…" : Path)} tenant={Show(Tenant)} content-type={Show(ContentType)} link={Show(Link)} accept={Show(Accept)}{body}";
    }

    private static string Show(string? value) => value is null ? "-" : JsonSerializer.Serialize(value.Length > 80 ? value[..80] + "…" : value);
}

/// <summary>
/// FsCheck generators of hostile requests to every part of the API: JSON bodies (valid-looking, truncated, invalid UTF-8,
/// out-of-range numbers, deep nesting, reserved names), entity ids, query strings and headers. URLs they name are only
/// the test's loopback peer or closed loopback ports, so nothing generated can send cityos beyond loopback.
/// </summary>
public sealed class HostileRequests(Uri peer, int closedPort)
{
    private static readonly string[] Literals =
    [
        "", " ", "\t", "\0", "'", "\"", "\\", "/", "..", "../../etc/passwd", "%00", "urn:", "urn:ngsi-ld:", "@id", "@type", "@context", "@value",
        "@graph", "id", "type", "value", "object", "createdAt", "modifiedAt", "deletedAt", "observedAt", "location", "datasetId", "scope",
        "1e400", "-1e400", "NaN", "Infinity", "-0", "P10000Y", "PT0S", "P-1D", "PT0.0000001S", "^urn:(a|aa)+$", "(a+)+$", "(?<=a)b", "\\p{L}+", "[[[[", "]]",
        "{", "}", "near;maxDistance==-1", "near;minDistance==1e400", "within", "intersects", "disjoint", "Point", "LineString", "Polygon",
        "9999-99-99T99:99:99Z", "2026-13-45T00:00:00Z", "+275760-09-13T00:00:00Z", "0001-01-01T00:00:00Z", "東京都渋谷区", "🏙️", "\u202egnp.exe",
        "a;b;c", "a|b", "a,b,,", "x==1;y!=2|z~=\"^(a|aa)+$\"", "reading>1e400", "reading==\"", "(((((((((((", "name[0]", "a.b.c.d.e.f",
        "keyValues", "concise", "sysAttrs", "temporalValues", "aggregatedValues", "bogus", "-1", "0", "2147483648", "99999999999999999999",
    ];

    private static readonly string[] Parameters =
    [
        "type", "id", "idPattern", "typePattern", "q", "attrs", "pick", "omit", "georel", "geometry", "coordinates", "geoproperty", "geometryProperty",
        "limit", "offset", "count", "options", "format", "lang", "scopeQ", "csf", "timerel", "timeAt", "endTimeAt", "timeproperty", "lastN",
        "aggrMethods", "aggrPeriodDuration", "local", "details", "datasetId", "deleteAll", "join", "joinLevel", "expandValues", "entityMap",
        "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "nonce", "prompt",
    ];

    private static readonly string[] AttributeTypes =
        ["Property", "Relationship", "GeoProperty", "LanguageProperty", "VocabProperty", "ListProperty", "ListRelationship", "JsonProperty", "", "@id", "Bogus"];

    private static readonly string[] Numbers =
        ["0", "-0", "1", "-1", "1.5", "1e400", "-1e400", "1E+999999999", "1e-400", "123456789012345678901234567890", "0.1e1", "01", "-", "1.", ".5", "1e", "NaN"];

    private static readonly string[] Escapes = ["\\ud800", "\\udc00", "\\ud800\\ud800", "\\u0000", "\\uffff", "\\x41", "\\", "\\u12"];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/json; charset=utf-16",
        "", "application/x-www-form-urlencoded", "application/merge-patch+json", "application/geo+json", "*/*", "application/ld+json; profile=\"x\"",
    ];

    private static readonly string[] Accepts =
        ["application/json", "application/ld+json", "application/geo+json", "text/csv", "*/*", "text/html", "application/json;q=0", "garbage/", ""];

    public Gen<HostileRequest> Any()
    {
        var tenant = Gen.Frequency(
            (4, Gen.Constant<string?>(null)),
            (3, Gen.Constant<string?>(HostileCity.HostileTenant)),
            (2, Text().Where(t => !string.Equals(t.Trim(), HostileCity.WitnessTenant, StringComparison.OrdinalIgnoreCase)).Select(t => (string?)t)));
        var link = Gen.Frequency((6, Gen.Constant<string?>(null)), (1, ContextUrl().Select(url => (string?)$"<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"")));
        var accept = Gen.Frequency((6, Gen.Constant<string?>(null)), (1, Gen.Elements(Accepts).Select(a => (string?)a)));
        var contentType = Gen.Frequency((8, Gen.Constant<string?>(null)), (1, Gen.Elements(ContentTypes).Select(c => (string?)c)));
        return from shape in Shape()
               from t in tenant
               from l in link
               from a in accept
               from c in contentType
               from body in Mangled(shape.Body)
               select new HostileRequest(shape.Method, shape.Path, t, c ?? shape.ContentType, l, a, body);
    }

    private Gen<(string Method, string Path, string? ContentType, string? Body)> Shape()
    {
        const string Json = "application/json";
        const string Form = "application/x-www-form-urlencoded";
        var id = EntityId().Select(Uri.EscapeDataString);
        return Gen.OneOf(
            Query().Select(q => ("GET", "/ngsi-ld/v1/entities" + q, (string?)null, (string?)null)),
            id.Zip(Query()).Select(p => ("GET", $"/ngsi-ld/v1/entities/{p.Item1}{p.Item2}", (string?)null, (string?)null)),
            Entity().Select(e => ("POST", "/ngsi-ld/v1/entities", (string?)Json, (string?)e)),
            from i in id
            from method in Gen.Elements("PATCH", "POST", "PUT")
            from attrs in Attributes()
            select (method, $"/ngsi-ld/v1/entities/{i}/attrs", (string?)Json, (string?)attrs),
            from i in id
            from name in AttributeName()
            from attribute in Attribute()
            select ("PATCH", $"/ngsi-ld/v1/entities/{i}/attrs/{Uri.EscapeDataString(name)}", (string?)Json, (string?)attribute),
            id.Select(i => ("DELETE", $"/ngsi-ld/v1/entities/{i}", (string?)null, (string?)null)),
            from operation in Gen.Elements("create", "upsert", "update", "merge", "delete")
            from entities in Entity().ListOf().Select(l => "[" + string.Join(",", l) + "]")
            select ("POST", $"/ngsi-ld/v1/entityOperations/{operation}", (string?)Json, (string?)entities),
            QueryBody().Select(b => ("POST", "/ngsi-ld/v1/entityOperations/query", (string?)Json, (string?)b)),
            Subscription().Select(s => ("POST", "/ngsi-ld/v1/subscriptions", (string?)Json, (string?)s)),
            from i in id
            from s in Subscription()
            select ("PATCH", $"/ngsi-ld/v1/subscriptions/{i}", (string?)Json, (string?)s),
            Query().Select(q => ("GET", "/ngsi-ld/v1/subscriptions" + q, (string?)null, (string?)null)),
            Query().Select(q => ("GET", "/ngsi-ld/v1/temporal/entities" + q, (string?)null, (string?)null)),
            id.Zip(Query()).Select(p => ("GET", $"/ngsi-ld/v1/temporal/entities/{p.Item1}{p.Item2}", (string?)null, (string?)null)),
            TemporalEntity().Select(e => ("POST", "/ngsi-ld/v1/temporal/entities", (string?)Json, (string?)e)),
            Text().Zip(Query()).Select(p => ("GET", $"/ngsi-ld/v1/types/{Uri.EscapeDataString(p.Item1)}{p.Item2}", (string?)null, (string?)null)),
            Text().Zip(Query()).Select(p => ("GET", $"/ngsi-ld/v1/attributes/{Uri.EscapeDataString(p.Item1)}{p.Item2}", (string?)null, (string?)null)),
            Text().Select(t => ("GET", $"/ngsi-ld/v1/jsonldContexts/{Uri.EscapeDataString(t)}", (string?)null, (string?)null)),
            Value(3).Select(v => ("POST", "/ngsi-ld/v1/jsonldContexts", (string?)"application/ld+json", (string?)v)),
            from path in Gen.Elements("token", "introspect", "revoke")
            from form in FormBody()
            select ("POST", $"/identity/v1/oauth/{path}", (string?)Form, (string?)form),
            Query().Select(q => ("GET", "/identity/v1/oauth/authorize" + q, (string?)null, (string?)null)));
    }

    /// <summary>Hostile text: literals that meant trouble somewhere, random characters, and the odd very long string.</summary>
    private static Gen<string> Text() => Gen.Frequency(
        (5, Gen.Elements(Literals)),
        (3, Gen.Elements("abcxyz019 -_.:;/?#[]@!$&'()*+,=%~\"\\<>{}|^`\u00e9\u6771\u0000\u001f\u007f\u00a0\u2028".ToCharArray()).ArrayOf().Select(c => new string(c))),
        (1, Gen.Elements(256, 4096, 70_000).Zip(Gen.Elements('a', '9', '東', '%')).Select(p => new string(p.Item2, p.Item1))));

    private static Gen<string> EntityId() => Gen.Frequency(
        (5, Text().Select(t => "urn:ngsi-ld:Gen:" + t)),
        (2, Text()),
        (1, Gen.Elements("urn:ngsi-ld:Gen:" + new string('x', 100_000), "urn:" + new string('a', 60) + "!", "http://example.org/x", "urn:ngsi-ld:Gen:a#b")))
        .Where(id => !id.Contains("Known:sentinel", StringComparison.Ordinal) && !id.Contains("Witness:w", StringComparison.Ordinal));

    private static Gen<string> JsonString() => Gen.Frequency(
        (6, Text().Select(t => JsonSerializer.Serialize(t))),
        (1, Gen.Elements(Escapes).Select(e => $"\"x{e}y\"")));

    /// <summary>A JSON value as text, at most <paramref name="depth"/> levels deep (or, rarely, far deeper).</summary>
    private static Gen<string> Value(int depth)
    {
        var leaf = Gen.Frequency((3, Gen.Elements(Numbers)), (4, JsonString()), (1, Gen.Elements("true", "false", "null")));
        if (depth <= 0) return leaf;
        var inner = Gen.Fresh(() => Value(depth - 1)).SelectMany(g => g);
        return Gen.Frequency(
            (4, leaf),
            (2, inner.ListOf().Select(items => "[" + string.Join(",", items.Take(6)) + "]")),
            (2, JsonString().Zip(inner).ListOf().Select(members => "{" + string.Join(",", members.Take(6).Select(m => $"{m.Item1}: {m.Item2}")) + "}")),
            (1, Gen.Elements(62, 65, 200).Select(Hostile.NestedArray)));
    }

    private Gen<string> Entity() =>
        from id in EntityId()
        from type in Gen.Frequency((3, Gen.Elements("Gen", "Road", "Known", "Witness")), (1, Text()))
        from attributes in AttributeName().Zip(Attribute()).ListOf()
        from context in Gen.Frequency((4, Gen.Constant("")), (1, ContextUrl().Select(url => $", \"@context\": \"{url}\"")))
        select $"{{\"id\": {JsonSerializer.Serialize(id)}, \"type\": {JsonSerializer.Serialize(type)}"
               + string.Concat(attributes.Take(5).Select(a => $", {JsonSerializer.Serialize(a.Item1)}: {a.Item2}")) + context + "}";

    private static Gen<string> Attributes() =>
        AttributeName().Zip(Attribute()).ListOf().Select(l => "{" + string.Join(", ", l.Take(5).Select(a => $"{JsonSerializer.Serialize(a.Item1)}: {a.Item2}")) + "}");

    private static Gen<string> AttributeName() => Gen.Frequency((3, Gen.Elements("reading", "location", "name", "speed", "observedAt")), (2, Text()));

    private static Gen<string> Attribute() =>
        from type in Gen.Elements(AttributeTypes)
        from member in Gen.Elements("value", "object", "languageMap", "vocab", "json", "valueList", "objectList")
        from value in Gen.Frequency((3, Value(3)), (2, Geometry()))
        from extra in Gen.Frequency(
            (3, Gen.Constant("")),
            (1, Text().Select(t => $", \"observedAt\": {JsonSerializer.Serialize(t)}")),
            (1, Text().Select(t => $", \"datasetId\": {JsonSerializer.Serialize(t)}")),
            (1, Gen.Elements("unitCode", "createdAt", "@type", "type").Zip(Value(2)).Select(p => $", \"{p.Item1}\": {p.Item2}")))
        select $"{{\"type\": {JsonSerializer.Serialize(type)}, \"{member}\": {value}{extra}}}";

    private static Gen<string> Geometry() =>
        from type in Gen.Elements("Point", "LineString", "Polygon", "MultiPoint", "MultiPolygon", "GeometryCollection", "Feature", "Circle", "")
        from coordinates in Gen.Frequency(
            (3, Gen.Elements(Numbers).ListOf().Select(n => "[" + string.Join(",", n.Take(4)) + "]")),
            (2, Gen.Elements(Numbers).ListOf().ListOf().Select(l => "[" + string.Join(",", l.Take(8).Select(n => "[" + string.Join(",", n.Take(3)) + "]")) + "]")),
            (1, Gen.Elements(0, 1, 3, 50_000).Select(Hostile.Coordinates)),
            (1, Value(2)))
        select $"{{\"type\": \"{type}\", \"coordinates\": {coordinates}}}";

    private Gen<string> QueryBody() =>
        from selector in Gen.Elements("id", "idPattern", "type", "typePattern")
        from value in Text()
        from q in Text()
        from georel in Gen.Elements("near;maxDistance==1000", "within", "intersects", "near;minDistance==-5", "equals", "")
        from geometry in Geometry()
        select $$$"""{"type": "Query", "entities": [{"{{{selector}}}": {{{JsonSerializer.Serialize(value)}}}}], "q": {{{JsonSerializer.Serialize(q)}}}, "geoQ": {"georel": "{{{georel}}}", "geometry": {{{geometry}}}}}""";

    private Gen<string> Subscription() =>
        from entityType in Gen.Frequency((2, Gen.Constant("Gen")), (1, Text()))
        from pattern in Gen.Frequency((3, Gen.Constant("")), (1, Text().Select(t => $", \"idPattern\": {JsonSerializer.Serialize(t)}")))
        from q in Gen.Frequency((3, Gen.Constant("")), (1, Text().Select(t => $", \"q\": {JsonSerializer.Serialize(t)}")))
        from timing in Gen.Frequency(
            (4, Gen.Constant("")),
            (1, Gen.Elements(Numbers).Select(n => $", \"timeInterval\": {n}")),
            (1, Gen.Elements(Numbers).Select(n => $", \"throttling\": {n}")),
            (1, Text().Select(t => $", \"expiresAt\": {JsonSerializer.Serialize(t)}")))
        from endpoint in NotificationEndpoint()
        from receiverInfo in Gen.Frequency((4, Gen.Constant("")), (1, Text().Zip(Text()).Select(p => $", \"receiverInfo\": [{{\"key\": {JsonSerializer.Serialize(p.Item1)}, \"value\": {JsonSerializer.Serialize(p.Item2)}}}]")))
        from format in Gen.Elements("normalized", "keyValues", "concise", "simplified", "x")
        select $$$$"""{"type": "Subscription", "entities": [{"type": {{{{JsonSerializer.Serialize(entityType)}}}}{{{{pattern}}}}}]{{{{q}}}}{{{{timing}}}}, "notification": {"format": "{{{{format}}}}", "endpoint": {"uri": {{{{JsonSerializer.Serialize(endpoint)}}}}{{{{receiverInfo}}}}}}}""";

    private Gen<string> TemporalEntity() =>
        from id in EntityId()
        from instances in Gen.Frequency((3, Value(2)), (1, Text().Select(t => JsonSerializer.Serialize(t)))).Zip(Text()).ListOf()
        select $"{{\"id\": {JsonSerializer.Serialize(id)}, \"type\": \"Gen\", \"reading\": ["
               + string.Join(",", instances.Take(5).Select(i => $"{{\"type\": \"Property\", \"value\": {i.Item1}, \"observedAt\": {JsonSerializer.Serialize(i.Item2)}}}")) + "]}";

    private static Gen<string> FormBody() =>
        Gen.Elements("grant_type", "client_id", "client_secret", "code", "redirect_uri", "refresh_token", "token", "scope", "code_verifier", "x")
            .Zip(Gen.Frequency((3, Text().Select(Uri.EscapeDataString)), (1, Gen.Elements("%00", "%zz", "%ff%fe", "%", "+%2B+", "a=b=c"))))
            .ListOf()
            .Select(fields => string.Join("&", fields.Take(8).Select(f => $"{f.Item1}={f.Item2}")));

    private Gen<string> Query() =>
        Gen.Elements(Parameters).Zip(Gen.Frequency((4, Text().Select(Uri.EscapeDataString)), (1, Gen.Elements("%00", "%zz", "%ff%fe", "%", "%%", "a%2"))))
            .ListOf()
            .Select(parameters => parameters.Count == 0 ? "" : "?" + string.Join("&", parameters.Take(6).Select(p => $"{p.Item1}={p.Item2}")));

    private Gen<string> ContextUrl() => Gen.OneOf(
        Gen.Choose(0, 4).Select(i => new Uri(peer, $"contexts/generated{i}").ToString()),
        Gen.Constant($"http://127.0.0.1:{closedPort}/context.jsonld"),
        Gen.Constant(new Uri(peer, "contexts/answers-400").ToString()),
        Gen.Constant("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"),
        Text());

    private Gen<string> NotificationEndpoint() => Gen.OneOf(
        Gen.Constant(new Uri(peer, "notify/generated").ToString()),
        Gen.Constant($"http://127.0.0.1:{closedPort}/notify"),
        Gen.Constant($"mqtt://127.0.0.1:{closedPort}/city/generated"),
        Gen.Elements("", "not a uri", "ftp://127.0.0.1/x", "http://", "http://[::1", "mailto:x@127.0.0.1", "urn:ngsi-ld:x"));

    /// <summary>The body as generated, cut short, with invalid UTF-8 spliced in, or replaced by random bytes.</summary>
    private static Gen<byte[]?> Mangled(string? body)
    {
        if (body is null) return Gen.Constant<byte[]?>(null);
        var bytes = Encoding.UTF8.GetBytes(body);
        return Gen.Frequency(
            (8, Gen.Constant<byte[]?>(bytes)),
            (1, Gen.Choose(0, bytes.Length).Select(n => (byte[]?)bytes[..n])),
            (1, Gen.Choose(0, bytes.Length).Zip(Gen.Elements<byte[]>([0xC3, 0x28], [0xED, 0xA0, 0x80], [0xFF], [0xE3, 0x81]))
                .Select(p => (byte[]?)[.. bytes[..p.Item1], .. p.Item2, .. bytes[p.Item1..]])),
            (1, Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf().Select(b => (byte[]?)b)));
    }
}
