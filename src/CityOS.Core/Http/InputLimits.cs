namespace CityOS.Core.Http;

/// <summary>
/// The one set of limits every request is held to where it enters (configuration section "CityOS:Limits").
/// What passes them is what the store, the renderers, notifications and history can all handle: their
/// forms of an entity nest at most about twice as deep as the body that created it (a sub-attribute takes
/// two levels in the stored form), well within <see cref="StoredJsonMaxDepth"/>, which every reader of
/// stored JSON uses. Each violation answers 400 BadRequestData naming the setting.
/// </summary>
public sealed class InputLimits
{
    public const string Section = "CityOS:Limits";

    /// <summary>The highest <see cref="MaxJsonDepth"/> the stored forms are sized for.</summary>
    public const int HighestJsonDepth = 64;

    /// <summary>The highest <see cref="MaxIdLength"/>: an id URL-escaped three times over still fits a request line (8 KiB).</summary>
    public const int HighestIdLength = 2048;

    /// <summary>The nesting depth readers of stored JSON (entities, history, notifications) accept.</summary>
    public const int StoredJsonMaxDepth = 4 * HighestJsonDepth;

    /// <summary>Options of every reader of stored JSON: deep enough for anything the limits let in.</summary>
    public static readonly System.Text.Json.JsonDocumentOptions StoredDocument = new() { MaxDepth = StoredJsonMaxDepth };

    public static readonly System.Text.Json.JsonReaderOptions StoredReader = new() { MaxDepth = StoredJsonMaxDepth };

    /// <summary>Deepest nesting of objects and arrays in a request body (the body itself is level 1).</summary>
    public int MaxJsonDepth { get; set; } = 32;

    /// <summary>Longest string (value or member name) in a request body, in UTF-16 code units.</summary>
    public int MaxStringLength { get; set; } = 128 * 1024;

    /// <summary>Longest entity id, datasetId, entity type or attribute name (as written in the request).</summary>
    public int MaxIdLength { get; set; } = 1024;

    /// <summary>Most attributes one entity may hold.</summary>
    public int MaxAttributes { get; set; } = 1000;

    /// <summary>Most positions in one geometry (the "coordinates" member of a GeoJSON geometry or a geo-query).</summary>
    public int MaxGeometryPoints { get; set; } = 10_000;

    /// <summary>Most rings and lines (lists of positions) in one geometry.</summary>
    public int MaxGeometryRings { get; set; } = 1_000;

    /// <summary>Most positions of all geometries in one request body together (a batch of many geometries).</summary>
    public int MaxGeometryPointsPerRequest { get; set; } = 100_000;

    /// <summary>Longest time one entity query may run before it stops with 403 TooComplexQuery.</summary>
    public TimeSpan MaxQueryTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The full name of a setting, as problem details and the README name it.</summary>
    public static string Setting(string name) => Section + ":" + name;

    /// <summary>The error of an input beyond a limit: what is wrong, the limit, and the setting that holds it.</summary>
    public static NgsiLdException Exceeded(string setting, long limit, string what) =>
        NgsiLdException.BadRequest($"{what}; the limit is {limit} (setting {Setting(setting)}).");

    /// <summary>Why these settings cannot work, or null when they can (checked at start-up).</summary>
    public string? Problem()
    {
        if (MaxJsonDepth is < 4 or > HighestJsonDepth) return $"{Setting(nameof(MaxJsonDepth))} must be between 4 and {HighestJsonDepth}.";
        if (MaxIdLength is < 16 or > HighestIdLength) return $"{Setting(nameof(MaxIdLength))} must be between 16 and {HighestIdLength}.";
        if (MaxStringLength < MaxIdLength) return $"{Setting(nameof(MaxStringLength))} must be at least {Setting(nameof(MaxIdLength))}.";
        if (MaxQueryTime <= TimeSpan.Zero) return $"{Setting(nameof(MaxQueryTime))} must be positive.";
        if (MaxAttributes < 1) return $"{Setting(nameof(MaxAttributes))} must be positive.";
        if (MaxGeometryPoints < 1 || MaxGeometryRings < 1 || MaxGeometryPointsPerRequest < MaxGeometryPoints)
        {
            return $"{Setting(nameof(MaxGeometryPoints))} and {Setting(nameof(MaxGeometryRings))} must be positive, and {Setting(nameof(MaxGeometryPointsPerRequest))} at least {Setting(nameof(MaxGeometryPoints))}.";
        }
        return null;
    }
}
