using System.Globalization;
using System.Text.Json.Nodes;
using CityOS.Context.Geo;
using CityOS.Context.Model;
using CityOS.Context.Query;
using CityOS.Context.Storage;
using CityOS.Core.Security;
using FsCheck;
using FsCheck.Fluent;

namespace CityOS.Storage.Contracts;

/// <summary>
/// Generated entities and queries (FsCheck) for the property "index prefilters never exclude a match": small
/// entities over few types, values, scopes and places, so that queries often match some and miss others, and
/// queries that combine every part an engine may narrow by (ids, types, attrs, q, scopeQ, geo, read grants).
/// </summary>
public static class GeneratedQueries
{
    /// <summary>Fixed so that CI is repeatable; CITYOS_STORAGE_SEED replays (or explores) another sequence.</summary>
    public const ulong DefaultSeed = 20261202;

    private const int CaseCount = 120;
    private const int QueriesPerCase = 6;
    private const string Ns = ContractEntities.Ns;
    private static readonly string[] Types = ["A", "B", "C"];
    private static readonly string[] Suffixes = ["a", "b", "ab"];

    public static (Entity[] Entities, (EntityQuery Query, string Text)[] Queries)[] Cases(ulong seed) =>
        (from entities in Gen.Choose(0, 12).SelectMany(count => Gen.CollectToArray(Enumerable.Range(0, count).Select(Entity)))
         from queries in Gen.CollectToArray(Enumerable.Repeat(Query(), QueriesPerCase))
         select (entities.ToArray(), queries))
        .Sample(CaseCount, new Rnd(seed), 10);

    /// <summary>An entity in a line of text, for the failure message.</summary>
    public static string Describe(Entity entity) =>
        $"{entity.Id}[{string.Join(",", entity.Types.Select(t => t[Ns.Length..]))}]{{{string.Join(";", entity.Attributes.Select(a => a.Key[Ns.Length..] + "=" + string.Join("|", a.Value.Select(v => v.Value?.ToJsonString()))))}}}"
        + (entity.Scopes is { } scopes ? string.Join(",", scopes) : "");

    private static Gen<string[]> Subset(string[] items, bool nonEmpty = false) =>
        Gen.Choose(nonEmpty ? 1 : 0, (1 << items.Length) - 1).Select(mask => items.Where((_, i) => ((mask >> i) & 1) == 1).ToArray());

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static JsonNode Point(int x, int y) => JsonNode.Parse($"{{\"type\":\"Point\",\"coordinates\":[{Number(139 + x * 0.01)},{Number(35 + y * 0.01)}]}}")!;

    private static Gen<Entity> Entity(int index) =>
        from suffix in Gen.Elements(Suffixes)
        from types in Subset(Types, nonEmpty: true)
        from temperature in Gen.Frequency<NgsiAttribute[]?>(
            (1, Gen.Constant<NgsiAttribute[]?>(null)),
            (4, Gen.Elements(-1.0, 0, 1.5, 2, 10).Select(v => (NgsiAttribute[]?)[Property(v)])),
            (1, Gen.Constant<NgsiAttribute[]?>([Property("2")])),
            (1, Gen.Elements(0.0, 2).Select(v => (NgsiAttribute[]?)[Property(new JsonArray(v, 10))])),
            (1, Gen.Constant<NgsiAttribute[]?>([new NgsiAttribute { Kind = AttributeKind.Relationship, Value = "urn:x:1" }])),
            (1, Gen.Elements(0.0, 2).Select(v => (NgsiAttribute[]?)[Property(v), Property(10.0, "urn:d:1")])))
        from name in Gen.Frequency<NgsiAttribute?>(
            (1, Gen.Constant<NgsiAttribute?>(null)),
            (3, Gen.Elements("a", "b", "ab").Select(v => (NgsiAttribute?)Property(v))),
            (1, Gen.Constant<NgsiAttribute?>(new NgsiAttribute { Kind = AttributeKind.LanguageProperty, Value = new JsonObject { ["en"] = "a", ["ja"] = "b" } })))
        from location in Gen.Frequency<JsonNode?>(
            (1, Gen.Constant<JsonNode?>(null)),
            (4, Gen.Choose(0, 4).SelectMany(x => Gen.Choose(0, 4).Select(y => (JsonNode?)Point(x, y)))),
            (1, Gen.Constant<JsonNode?>(JsonNode.Parse("""{"type":"Polygon","coordinates":[[[139.005,35.005],[139.025,35.005],[139.025,35.025],[139.005,35.025],[139.005,35.005]]]}"""))))
        from scopes in Gen.Elements<List<string>?>(null, ["/a"], ["/a/b"], ["/c"], ["/a/b", "/c"])
        select Build(index, suffix, types, temperature, name, location, scopes);

    private static NgsiAttribute Property(JsonNode value, string? datasetId = null) => new() { Kind = AttributeKind.Property, Value = value, DatasetId = datasetId };

    private static Entity Build(int index, string suffix, string[] types, NgsiAttribute[]? temperature, NgsiAttribute? name, JsonNode? location, List<string>? scopes)
    {
        var entity = new Entity { Id = $"urn:e:{index}:{suffix}", Types = types.Select(t => Ns + t).ToList(), Scopes = scopes };
        if (temperature is not null) entity.Attributes[Ns + "temperature"] = [.. temperature];
        if (name is not null) entity.Attributes[Ns + "name"] = [name];
        if (location is not null) entity.Attributes[Ns + "location"] = [new NgsiAttribute { Kind = AttributeKind.GeoProperty, Value = location }];
        return entity;
    }

    private static readonly string[] Terms =
    [
        "temperature>1", "temperature>=1.5", "temperature<2", "temperature<=0", "temperature==2", "temperature==0,10", "temperature==0..2",
        "temperature!=2", "temperature", "!temperature", "temperature==\"2\"", "temperature==urn:x:1", "name==\"a\"", "name==\"a\",\"ab\"",
        "name!=\"b\"", "name~=a.*", "!name", "name[en]==\"a\"", "location",
    ];

    private static Gen<(string Text, QExpression Parsed)?> QText() => Gen.Frequency(
        (4, Gen.Constant<(string, QExpression)?>(null)),
        (3, Gen.Elements(Terms).Select(Q)),
        (3, Gen.Elements(Terms).SelectMany(a => Gen.Elements(Terms).SelectMany(b => Gen.Elements(";", "|").Select(op => Q(a + op + b))))),
        (1, Gen.Elements(Terms).SelectMany(a => Gen.Elements(Terms).SelectMany(b => Gen.Elements(Terms).Select(c => Q($"({a}|{b});{c}"))))));

    private static (string, QExpression)? Q(string text) => (text, QExpression.Parse(text).Expand(n => Ns + n));

    private static Gen<(string Text, EntitySelection Selection)> Selector() =>
        from ids in Gen.Frequency((2, Gen.Constant<string[]?>(null)), (1, Gen.Choose(0, 11).SelectMany(i => Gen.Elements(Suffixes).Select(s => (string[]?)[$"urn:e:{i}:{s}", "urn:e:1:a"]))))
        from pattern in Gen.Elements<string?>(null, null, "urn:e:1", "a$", ":b")
        from type in Gen.Elements<string?>(null, "A", "A,B", "(A;B)", "B|C", "(A;C)|B", "*")
        select ($"ids={(ids is null ? "-" : string.Join(",", ids))} idPattern={pattern ?? "-"} type={type ?? "-"}",
            new EntitySelection(ids, pattern is null ? null : ClientRegex.Compile(pattern, "idPattern"), type is null ? null : TypeSelector.Parse(type).Expand(n => Ns + n)));

    private static readonly (string Text, Func<GeoQuery?> Make)[] GeoQueries =
    [
        ("none", () => null),
        ("none", () => null),
        ("none", () => null),
        ("within box", () => GeoQuery.FromQueryParameters("within", "Polygon", "[[[139.005,35.005],[139.025,35.005],[139.025,35.035],[139.005,35.035],[139.005,35.005]]]", null)),
        ("intersects box", () => GeoQuery.FromQueryParameters("intersects", "Polygon", "[[[139.015,35.0],[139.035,35.0],[139.035,35.02],[139.015,35.02],[139.015,35.0]]]", null)),
        ("near 2500 m", () => GeoQuery.FromQueryParameters("near;maxDistance==2500", "Point", "[139.01,35.01]", null)),
        ("disjoint box", () => GeoQuery.FromQueryParameters("disjoint", "Polygon", "[[[139.0,35.0],[139.02,35.0],[139.02,35.02],[139.0,35.02],[139.0,35.0]]]", null)),
        ("equals point", () => GeoQuery.FromQueryParameters("equals", "Point", "[139.02,35.02]", null)),
    ];

    private static readonly (string Text, AccessScope Scope)[] ReadScopes =
    [
        ("everything", AccessScope.Everything),
        ("everything", AccessScope.Everything),
        ("type A", new AccessScope(false, [new AccessGrant([Ns + "A"], [], [])])),
        ("type B: temperature", new AccessScope(false, [new AccessGrant([Ns + "B"], [], [Ns + "temperature"])])),
        ("urn:e:1*: name, location", new AccessScope(false, [new AccessGrant([], ["urn:e:1*"], [Ns + "name", Ns + "location"])])),
        ("any: temperature, location; C", new AccessScope(false, [new AccessGrant([], [], [Ns + "temperature", Ns + "location"]), new AccessGrant([Ns + "C"], [], [])])),
    ];

    private static Gen<(EntityQuery Query, string Text)> Query() =>
        from selectors in Gen.Frequency((3, Gen.Constant(Array.Empty<(string, EntitySelection)>())), (3, Gen.CollectToArray(Enumerable.Repeat(Selector(), 1))), (1, Gen.CollectToArray(Enumerable.Repeat(Selector(), 2))))
        from attrs in Gen.Frequency((3, Gen.Constant<string[]?>(null)), (1, Subset(["temperature", "name", "location", "missing"], nonEmpty: true).Select(a => (string[]?)a)))
        from q in QText()
        from scope in Gen.Elements<string?>(null, null, null, "/a", "/a/#", "/c", "/a/+", "/#")
        from geo in Gen.Elements(GeoQueries)
        from readable in Gen.Elements(ReadScopes)
        from offset in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 3)))
        from limit in Gen.Choose(1, 8)
        select (new EntityQuery
        {
            Entities = selectors.Select(s => s.Item2).ToList(),
            Attributes = attrs?.Select(a => Ns + a).ToList(),
            Q = q?.Parsed,
            Scope = scope is null ? null : ScopeQuery.Parse(scope),
            Geo = geo.Make() is { } made ? new GeoFilter(made, Ns + "location") : null,
            Readable = readable.Scope,
            Offset = offset,
            Limit = limit,
            Count = true,
        }, $"[{string.Join(" | ", selectors.Select(s => s.Item1))}] attrs={(attrs is null ? "-" : string.Join(",", attrs))} q={q?.Text ?? "-"} scopeQ={scope ?? "-"} geo={geo.Text} read={readable.Text} offset={offset} limit={limit}");
}
