using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace CityOS.NgsiV2.Tests;

/// <summary>
/// Property: any v2 entity (every attribute type, metadata, a service path), written through /v2, read through NGSI-LD,
/// written as a new entity through NGSI-LD and read back through /v2, is the entity written (FsCheck, fixed seed). Not
/// generated: what NGSI-LD refuses, "location" other than geo (4.7.1) and unitCode on a non-Property.
/// </summary>
public sealed class GeneratedRoundTripTests(CityOsTestHost host) : IClassFixture<CityOsTestHost>
{
    private const int Cases = 40;
    private const ulong Seed = 20261203;

    private static readonly string[] Names = ["temperature", "name", "status", "position", "refBuilding", "address", "seen", "level_2"];
    private static readonly string[] Words = ["Calle Mayor", "ok", "x", "Osaka-shi", "12", "true", "A_b.c", "東京"];
    private static readonly string[] Dates = ["2024-05-01T10:00:00Z", "2025-12-31T23:59:59.123Z", "2026-01-02T03:04:05Z"];
    private static readonly string[] Points = ["40.4, -3.7", "35.68, 139.76", "-33.5, 151.25", "0, 0"];

    private static Gen<JsonNode?> Number() => Gen.OneOf(
        Gen.Choose(-100_000, 100_000).Select(n => (JsonNode?)n),
        Gen.Choose(-4000, 4000).Select(n => (JsonNode?)(n / 8.0)));

    private static Gen<JsonNode?> Structured(int depth) => depth == 0
        ? Gen.OneOf(Number(), Gen.Elements(Words).Select(w => (JsonNode?)w), Gen.Elements(true, false).Select(b => (JsonNode?)b))
        : Gen.OneOf(
            Structured(0),
            Structured(depth - 1).ListOf().Select(items => (JsonNode?)new JsonArray([.. items.Select(i => i?.DeepClone())])),
            Gen.Choose(1, 3).SelectMany(n => Structured(depth - 1).ListOf(n)).Select(items =>
                (JsonNode?)new JsonObject(items.Select((item, i) => KeyValuePair.Create("k" + i, item?.DeepClone())))));

    /// <summary>A v2 attribute in its normalized form with the type Orion would show ({type, value}).</summary>
    private static Gen<(string Type, JsonNode? Value)> TypedValue() => Gen.OneOf(
        Number().Select(v => ("Number", v)),
        Number().SelectMany(v => Gen.Elements("Float", "Integer", "Percentage").Select(t => (t, v))),
        Gen.Elements(Words).Select(w => ("Text", (JsonNode?)w)),
        Gen.Elements(true, false).Select(b => ("Boolean", (JsonNode?)b)),
        Gen.Elements(Dates).Select(d => ("DateTime", (JsonNode?)d)),
        Gen.Elements(Points).Select(p => ("geo:point", (JsonNode?)p)),
        Gen.Elements(Points).Select(p => ("geo:json", (JsonNode?)GeoJson(p))),
        Gen.Elements(Points).ListOf(2).Select(p => ("geo:line", (JsonNode?)new JsonArray([.. p.Select(x => (JsonNode)x)]))),
        Structured(2).Where(v => v is JsonObject or JsonArray).Select(v => ("StructuredValue", v)),
        Gen.Constant(("None", (JsonNode?)null)),
        Gen.Elements("Text", "Number").Select(t => (t, (JsonNode?)null)),
        Gen.Elements("Building1", "urn:ngsi-ld:Building:2", "Room_3").Select(r => ("Relationship", (JsonNode?)r)));

    private static JsonObject GeoJson(string point)
    {
        var parts = point.Split(',').Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(parts[1], parts[0]) };
    }

    /// <summary>Metadata; unitCode only on attributes that are NGSI-LD Properties (the broker refuses it on the others).</summary>
    private static Gen<JsonObject> Metadata(string attributeType) =>
        Gen.Elements(attributeType is "StructuredValue" or "Relationship" || attributeType.StartsWith("geo:", StringComparison.Ordinal)
            ? ["accuracy", "source", "note"] : new[] { "accuracy", "source", "unitCode", "note" }).ListOf().SelectMany(names =>
            Gen.Constant(names.Distinct().ToList()).SelectMany(distinct => MetadataValues(distinct.Count).Select(values =>
            {
                var metadata = new JsonObject();
                for (var i = 0; i < distinct.Count; i++)
                {
                    var (type, value) = distinct[i] == "unitCode" ? ("Text", (JsonNode?)"CEL") : values[i];
                    metadata[distinct[i]] = new JsonObject { ["type"] = type, ["value"] = value?.DeepClone() };
                }
                return metadata;
            })));

    private static Gen<IList<(string, JsonNode?)>> MetadataValues(int count) =>
        TypedValue().Where(t => !t.Item1.StartsWith("geo:", StringComparison.Ordinal)).ListOf(count).Select(l => (IList<(string, JsonNode?)>)l.ToList());

    private static Gen<(JsonObject Entity, string Path)> Entities() =>
        from names in Gen.SubListOf(Names)
        from values in TypedValue().ListOf(names.Count)
        from metadata in Gen.CollectToList(values.Select(v => Metadata(v.Item1)))
        from path in Gen.Elements("/", "/Madrid", "/Madrid/Gardens", "/a_1/b/c")
        from type in Gen.Elements("Room", "Building", "Thing_2")
        select (Entity(type, names, values, metadata), path);

    private static JsonObject Entity(string type, IList<string> names, IList<(string Type, JsonNode? Value)> values, IEnumerable<JsonObject> metadataOfEach)
    {
        var entity = new JsonObject { ["type"] = type };
        var metadata = metadataOfEach.ToList();
        for (var i = 0; i < names.Count; i++)
        {
            entity[names[i]] = new JsonObject { ["type"] = values[i].Type, ["value"] = values[i].Value?.DeepClone(), ["metadata"] = metadata[i].DeepClone() };
        }
        return entity;
    }

    [Fact]
    public async Task Any_v2_entity_round_trips_through_NGSI_LD_without_loss()
    {
        var service = "gen" + Guid.NewGuid().ToString("N")[..12];
        var cases = Entities().Sample(Cases, new Rnd(Seed), Cases);
        for (var i = 0; i < cases.Length; i++)
        {
            var (template, path) = cases[i];
            var v2 = new V2Client(host.Client, service, path);
            var id = $"E{i}";
            var entity = (JsonObject)template.DeepClone();
            entity["id"] = id;
            var created = await v2.PostAsync("/v2/entities", entity);
            Assert.True(created.Status == HttpStatusCode.Created, $"case {i}: {entity.ToJsonString()} -> {created.Text}");

            var ld = await v2.GetAsync($"/ngsi-ld/v1/entities/urn:ngsi-v2:{id}");
            Assert.Equal(HttpStatusCode.OK, ld.Status);
            Assert.Equal(path == "/" ? null : path, ld.Json!["scope"]?.GetValue<string>());

            var copy = ld.Json.AsObject().DeepClone().AsObject();
            copy["id"] = $"urn:ngsi-v2:C{i}";
            var written = await v2.PostAsync("/ngsi-ld/v1/entities", copy);
            Assert.True(written.Status == HttpStatusCode.Created, $"case {i}: {copy.ToJsonString()} -> {written.Text}");

            var back = await v2.GetAsync($"/v2/entities/C{i}");
            Assert.Equal(HttpStatusCode.OK, back.Status);
            var expected = (JsonObject)entity.DeepClone();
            expected["id"] = $"C{i}";
            Assert.True(JsonNode.DeepEquals(expected, back.Json), $"case {i} in {path}:\nwritten {expected.ToJsonString()}\nread    {back.Json?.ToJsonString()}");
        }
        var counted = await new V2Client(host.Client, service).GetAsync("/v2/entities?limit=1&options=count");
        Assert.Equal((2 * Cases).ToString(CultureInfo.InvariantCulture), counted.Header("Fiware-Total-Count"));
    }
}
