using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Context.JsonLd;

namespace CityOS.Context.Tests.JsonLd;

/// <summary>
/// Checks ExpandTerm/CompactIri against the reference JSON-LD processor (jsonld.js, run by node) over a
/// corpus of NGSI-LD payloads with Smart Data Models style nested contexts, prefixes, inline contexts,
/// older core context versions and null resets. The same context documents are served to both sides.
/// </summary>
public sealed class ReferenceProcessorComparisonTests(ContextServer server) : IClassFixture<ContextServer>
{
    /// <summary>
    /// Names whose compaction differs from jsonld.js on purpose: JSON-LD term selection does not pick a term
    /// typed with a literal datatype or @vocab for a node value (an NGSI-LD attribute), and falls back to a
    /// compact IRI; NGSI-LD clients expect the term they used, as Orion-LD returns it.
    /// </summary>
    private static readonly Dictionary<string, string> DeliberateCompactionDifferences = new(StringComparer.Ordinal)
    {
        ["https://uri.fiware.org/ns/dataModels#category"] = "category",
        ["https://smartdatamodels.org/dateObserved"] = "dateObserved",
        ["https://smartdatamodels.org/dataModel.Weather/weatherType"] = "weatherType",
    };

    [Fact]
    public async Task Expansion_and_compaction_match_jsonld_js_for_every_name_in_the_corpus()
    {
        var jsDirectory = Path.Combine(ContextServer.TestProjectDirectory, "js");
        Assert.True(Directory.Exists(Path.Combine(jsDirectory, "node_modules", "jsonld")),
            $"The reference JSON-LD processor is not installed: run `npm ci` in {jsDirectory}.");

        var payloads = LoadPayloads();
        var output = await RunNodeAsync(jsDirectory, WriteInput(payloads));
        var records = output["records"]!.AsArray();
        Assert.True(records.Count > 50, $"expected the whole corpus to be compared, got {records.Count} names");

        using var services = new JsonLdTestServices();
        var mismatches = new List<string>();
        foreach (var record in records)
        {
            var payload = payloads[record!["payload"]!.GetValue<int>()];
            var context = await services.Resolver.ResolveAsync(payload["@context"], CancellationToken.None);
            var kind = record["kind"]!.GetValue<string>();
            var name = record["name"]!.GetValue<string>();
            var expected = record["expanded"]!.GetValue<string>();
            var expanded = kind == "vocab" ? context.ExpandVocabValue(name) : context.ExpandTerm(name);
            if (expanded != expected)
            {
                mismatches.Add($"{payload["id"]} {kind} '{name}': expands to {expanded}, jsonld.js gives {expected}");
                continue;
            }
            var expectedCompact = DeliberateCompactionDifferences.GetValueOrDefault(expected) ?? record["compacted"]!.GetValue<string>();
            var compacted = kind == "vocab" ? context.CompactVocabValue(expected) : context.CompactIri(expected);
            if (compacted != expectedCompact)
            {
                mismatches.Add($"{payload["id"]} {kind} '{name}': {expected} compacts to {compacted}, expected {expectedCompact}");
            }
        }
        Assert.True(mismatches.Count == 0, "Differences from jsonld.js " + output["jsonldVersion"] + ":\n" + string.Join("\n", mismatches));
    }

    private List<JsonObject> LoadPayloads() =>
        Directory.EnumerateFiles(Path.Combine(ContextServer.CorpusDirectory, "payloads"), "*.json").Order(StringComparer.Ordinal)
            .Select(file => JsonNode.Parse(File.ReadAllText(file).Replace("{{base}}", server.BaseUrl))!)
            .SelectMany(node => node is JsonArray array ? array.Select(n => n!.AsObject()) : [node.AsObject()])
            .Select(n => n.DeepClone().AsObject())
            .ToList();

    private string WriteInput(List<JsonObject> payloads)
    {
        var documents = new JsonObject();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(ContextServer.CorpusDirectory, "contexts"), "*.jsonld"))
        {
            documents[server.Url("/corpus/contexts/" + Path.GetFileName(file))] = File.ReadAllText(file).Replace("{{base}}", server.BaseUrl);
        }
        foreach (var url in CoreContexts.Urls)
        {
            documents[url] = CoreContexts.TryLoad(url)!.ToJsonString();
        }
        var input = new JsonObject
        {
            ["coreUrl"] = CoreContexts.CoreUrl,
            ["documents"] = documents,
            ["payloads"] = new JsonArray(payloads.Select(p => (JsonNode)p.DeepClone()).ToArray()),
        };
        var path = Path.Combine(Path.GetTempPath(), $"cityos-jsonld-corpus-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, input.ToJsonString());
        return path;
    }

    private static async Task<JsonNode> RunNodeAsync(string workingDirectory, string inputPath)
    {
        var start = new ProcessStartInfo("node", ["expand-corpus.js", inputPath])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        File.Delete(inputPath);
        Assert.True(process.ExitCode == 0, $"node expand-corpus.js failed ({process.ExitCode}):\n{await stderr}");
        return JsonNode.Parse(await stdout) ?? throw new JsonException("node printed nothing");
    }
}
