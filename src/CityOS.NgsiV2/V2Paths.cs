namespace CityOS.NgsiV2;

/// <summary>
/// Orion's service paths (Fiware-ServicePath): an entity lives in one path, "/" (the root) unless it was written in
/// another, such as "/Madrid/Gardens"; a query selects one path or a comma-separated list of them (at most 10), each
/// exact or, ending in "/#", with every path below it ("/#" alone, the default of queries, selects everything). Paths
/// are absolute, of at most 10 levels of at most 50 letters, digits or '_'; a trailing '/' is dropped. On the broker
/// a path is the NGSI-LD entity scope (the root is no scope), so NGSI-LD's scopeQ and v2's paths select the same entities.
/// </summary>
public sealed class V2Paths
{
    public const string Root = "/";
    public const string All = "/#";
    public const int MaxPaths = 10;
    public const int MaxLevels = 10;
    public const int MaxLevelLength = 50;

    private V2Paths(IReadOnlyList<string> paths) => Paths = paths;

    /// <summary>The normalized paths ("/", "/A/B", "/A/#", "/#").</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>The path of a write (its only one).</summary>
    public string Path => Paths[0];

    /// <summary>Every path; what a query without the header selects.</summary>
    public static V2Paths Everything { get; } = new([All]);

    /// <summary>The NGSI-LD scope query of these paths (the root as "/", the context API's extension), null when they select everything.</summary>
    public string? ScopeQ => Paths.Contains(All) ? null : string.Join(',', Paths);

    /// <summary>The NGSI-LD scope of an entity written in <see cref="Path"/> (none for the root).</summary>
    public string? Scope => Path == Root ? null : Path;

    /// <summary>
    /// The paths of a Fiware-ServicePath header, checked as Orion checks them (400 BadRequest); empty is the default ("/#"
    /// for a query, "/" for a write). A write takes one path, not hierarchical.
    /// </summary>
    public static V2Paths Parse(string header, bool write)
    {
        if (header.Trim().Length == 0) return write ? new([Root]) : Everything;
        var paths = header.Split(',', StringSplitOptions.TrimEntries);
        if (paths.Length > MaxPaths) throw V2Exception.BadRequest("too many service paths - a maximum of ten service paths is allowed");
        if (write && paths.Length > 1) throw V2Exception.BadRequest("more than one service path in context update request");
        var normalized = paths.Select(Normalize).ToList();
        if (write && normalized[0].EndsWith('#')) throw V2Exception.BadRequest("hierarchical service path not allowed in an update (\"#\" ends a path only in queries)");
        return new(normalized);
    }

    private static string Normalize(string path)
    {
        if (path.Length == 0 || path[0] != '/') throw V2Exception.BadRequest("Only /absolute/ Service Paths allowed [a service path must begin with /]");
        var levels = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (levels.Length > MaxLevels) throw V2Exception.BadRequest("too many components in ServicePath");
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Length > MaxLevelLength) throw V2Exception.BadRequest("component-name too long in ServicePath");
            if (level == "#" && i == levels.Length - 1) continue;
            if (!level.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) throw V2Exception.BadRequest("a component of ServicePath contains an illegal character");
        }
        return "/" + string.Join('/', levels);
    }

    /// <summary>The service path of an NGSI-LD entity: its (first) scope, or the root.</summary>
    public static string Of(System.Text.Json.Nodes.JsonObject ld) => ld["scope"] switch
    {
        System.Text.Json.Nodes.JsonValue v when v.TryGetValue<string>(out var scope) => scope,
        System.Text.Json.Nodes.JsonArray { Count: > 0 } a when a[0] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var scope) => scope,
        _ => Root,
    };

    /// <summary>Whether an entity in <paramref name="entityPath"/> is selected: by a path equal to it, or one ending in "/#" above it.</summary>
    public bool Holds(string entityPath) => Paths.Any(p => p == entityPath || p == All
        || (p.EndsWith("/#", StringComparison.Ordinal) && (entityPath == p[..^2] || entityPath.StartsWith(p[..^1], StringComparison.Ordinal))));

    public override string ToString() => string.Join(", ", Paths);
}
