using System.Text.Json.Nodes;
using CityOS.Context.Model;
using CityOS.Core;

namespace CityOS.Context.Tests.Representation;

/// <summary>A term mapper with a fixed vocabulary: terms expand under example.org, vocab values under a separate namespace.</summary>
internal sealed class TestTerms : ITermMapper
{
    public const string Vocab = "https://example.org/";
    public const string VocabValues = "https://example.org/values#";

    public static readonly TestTerms Instance = new();

    public string ExpandTerm(string term) => term.Contains(':') ? term : Vocab + term;

    public string CompactIri(string iri) => iri.StartsWith(Vocab, StringComparison.Ordinal) && !iri.StartsWith(VocabValues, StringComparison.Ordinal) ? iri[Vocab.Length..] : iri;

    public string ExpandVocabValue(string value) => value.Contains(':') ? value : VocabValues + value;

    public string CompactVocabValue(string iri) => iri.StartsWith(VocabValues, StringComparison.Ordinal) ? iri[VocabValues.Length..] : iri;

    public static string E(string term) => Vocab + term;
}

internal static class Json
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 2, 30, 0, TimeSpan.Zero);

    public static JsonNode? Parse(string json) => JsonNode.Parse(json);

    public static JsonObject Object(string json) => (JsonObject)JsonNode.Parse(json)!;

    /// <summary>Structural equality (member order ignored) with both documents in the failure message.</summary>
    public static void Equal(string expected, JsonNode? actual) => Equal(Parse(expected), actual);

    public static void Equal(JsonNode? expected, JsonNode? actual)
    {
        if (!JsonNode.DeepEquals(expected, actual))
        {
            Assert.Fail($"JSON differs.\nExpected: {expected?.ToJsonString() ?? "null"}\nActual:   {actual?.ToJsonString() ?? "null"}");
        }
    }

    public static NgsiLdException BadRequest(Action action)
    {
        var error = Assert.Throws<NgsiLdException>(action);
        Assert.Equal(NgsiLdErrorType.BadRequestData, error.Type);
        return error;
    }
}
