using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Acornima.Ast;
using Jint;

namespace CityOS.Devices.Rules;

/// <summary>
/// The expressions of attribute mappings (the IoT Agents' JEXL subset that is also JavaScript: arithmetic, comparison,
/// ternary, string and Math functions), evaluated by Jint with no access to .NET, bounded in time, statements and memory,
/// and parsed once: at provisioning, where a syntax error is refused with its position.
/// </summary>
public static class MeasureExpressions
{
    private static readonly ConcurrentDictionary<string, Prepared<Script>> Parsed = new(StringComparer.Ordinal);

    /// <summary>Throws WRONG_SYNTAX naming <paramref name="at"/> and the position of the error when the expression does not parse.</summary>
    public static void Check(string expression, string at) => Prepare(expression, at);

    /// <summary>The value of the expression with the measures (and the static attributes) as its variables.</summary>
    public static JsonNode? Evaluate(string expression, IReadOnlyDictionary<string, JsonNode?> variables)
    {
        var script = Prepare(expression, "expression");
        var engine = new Engine(options => options
            .TimeoutInterval(TimeSpan.FromMilliseconds(100))
            .MaxStatements(1_000)
            .LimitMemory(4_000_000)
            .LimitRecursion(32)
            .Strict());
        try
        {
            foreach (var (name, value) in variables)
            {
                if (IsIdentifier(name)) engine.SetValue(name, engine.Evaluate("(" + (value?.ToJsonString() ?? "null") + ")"));
            }
            var result = engine.Evaluate(script);
            if (result.IsUndefined()) return null;
            var json = new Jint.Native.Json.JsonSerializer(engine).Serialize(result).ToString();
            return json == "undefined" ? null : JsonNode.Parse(json);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw IotAgentException.BadMeasure($"The expression '{expression}' failed: {error.Message}");
        }
    }

    private static Prepared<Script> Prepare(string expression, string at) => Parsed.GetOrAdd(expression, text =>
    {
        if (text.Length > 1000) throw IotAgentException.WrongSyntax($"{at} is longer than 1000 characters");
        try
        {
            return Engine.PrepareScript("(" + text + "\n)", options: new ScriptPreparationOptions { ParsingOptions = ScriptParsingOptions.Default });
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw IotAgentException.WrongSyntax($"{at} '{text}' does not parse: {error.Message}");
        }
    });

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or '$') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$');

    internal static JsonValueKind KindOf(JsonNode? node) => node?.GetValueKind() ?? JsonValueKind.Null;
}
