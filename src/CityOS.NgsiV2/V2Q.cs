using System.Globalization;
using System.Text;

namespace CityOS.NgsiV2;

/// <summary>
/// Orion's simple query language (q and mq) as NGSI-LD q: statements joined by ';', each <c>attr</c>, <c>!attr</c> or
/// <c>attr op value</c> with op one of == (or :), !=, &gt;, &lt;, &gt;=, &lt;=, ~=; values are numbers, true/false, dates,
/// 'quoted' or bare strings, ranges (a..b) and lists (a,b,c) for == and !=. <c>a.b.c</c> in q is a path into a structured
/// value (NGSI-LD <c>a[b.c]</c>); in mq <c>a.m</c> is the metadata (sub-attribute) m of a.
/// </summary>
public static class V2Q
{
    private static readonly string[] Operators = ["==", "!=", ">=", "<=", "~=", ">", "<", ":"];

    public static string? ToLd(string? q, bool metadata = false)
    {
        if (string.IsNullOrWhiteSpace(q)) return null;
        return string.Join(';', Split(q, ';').Select(s => Statement(s.Trim(), metadata)));
    }

    private static string Statement(string statement, bool metadata)
    {
        if (statement.Length == 0) throw Invalid();
        if (statement[0] == '!') return "!" + Path(statement[1..], metadata);
        var (index, op) = FindOperator(statement);
        if (index < 0) return Path(statement, metadata);
        var left = Path(statement[..index], metadata);
        var right = statement[(index + op.Length)..];
        if (right.Length == 0) throw Invalid();
        if (op == ":") op = "==";
        if (op == "~=") return left + "~=" + Quote(Unquote(right));
        if (op is "==" or "!=")
        {
            var range = Split(right, '.', pairOnly: true);
            if (range.Count == 2) return left + op + Literal(range[0]) + ".." + Literal(range[1]);
            return left + op + string.Join(',', Split(right, ',').Select(Literal));
        }
        return left + op + Literal(right);
    }

    private static (int Index, string Op) FindOperator(string statement)
    {
        var quoted = false;
        for (var i = 0; i < statement.Length; i++)
        {
            if (statement[i] == '\'') quoted = !quoted;
            if (quoted) continue;
            foreach (var op in Operators)
            {
                if (string.CompareOrdinal(statement, i, op, 0, op.Length) == 0) return (i, op);
            }
        }
        return (-1, "");
    }

    private static string Path(string path, bool metadata)
    {
        var parts = path.Trim().Split('.');
        foreach (var part in parts) V2Syntax.CheckName(part, "attribute name");
        if (parts.Length == 1) return parts[0];
        if (metadata) return parts.Length == 2 ? parts[0] + "." + parts[1] : parts[0] + "." + parts[1] + "[" + string.Join('.', parts[2..]) + "]";
        return parts[0] + "[" + string.Join('.', parts[1..]) + "]";
    }

    private static string Literal(string text)
    {
        text = text.Trim();
        if (text.Length == 0) throw Invalid();
        if (text[0] == '\'') return Quote(Unquote(text));
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && !text.Contains('e', StringComparison.OrdinalIgnoreCase)) return text;
        if (text is "true" or "false") return text;
        if (V2Values.IsDateTime(text) && text.Contains('T')) return text;
        return Quote(text);
    }

    private static string Unquote(string text) =>
        text.Length >= 2 && text[0] == '\'' && text[^1] == '\'' ? text[1..^1] : text;

    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is '"' or '\\') quoted.Append('\\');
            quoted.Append(c);
        }
        return quoted.Append('"').ToString();
    }

    /// <summary>Splits at the separator outside 'quotes'; with <paramref name="pairOnly"/> at ".." only.</summary>
    private static List<string> Split(string text, char separator, bool pairOnly = false)
    {
        var parts = new List<string>();
        var quoted = false;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\'') quoted = !quoted;
            if (quoted || text[i] != separator) continue;
            if (pairOnly)
            {
                if (i + 1 < text.Length && text[i + 1] == '.')
                {
                    parts.Add(text[start..i]);
                    start = i + 2;
                    i++;
                }
                continue;
            }
            parts.Add(text[start..i]);
            start = i + 1;
        }
        parts.Add(text[start..]);
        return parts;
    }

    private static V2Exception Invalid() => V2Exception.BadRequest("invalid query expression");
}
