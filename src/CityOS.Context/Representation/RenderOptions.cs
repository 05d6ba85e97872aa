using System.Globalization;
using CityOS.Core;

namespace CityOS.Context.Representation;

/// <summary>The representations of 4.5: normalized, concise, and simplified (keyValues).</summary>
public enum RepresentationFormat
{
    Normalized,
    Concise,
    Simplified,
}

/// <summary>Linked entity retrieval (4.5.23): none, entities inlined in their relationships, or a flat array after the entities asked for.</summary>
public enum JoinMode
{
    None,
    Inline,
    Flat,
}

/// <summary>What a retrieval asks to see of an entity. Names are expanded IRIs, except "id", "type" and "scope" in <see cref="Pick"/>/<see cref="Omit"/>.</summary>
public sealed record RenderOptions
{
    public static readonly RenderOptions Default = new();

    private readonly string? lang;

    public RepresentationFormat Format { get; init; } = RepresentationFormat.Normalized;

    /// <summary>Include createdAt and modifiedAt on the entity and its attributes (4.20).</summary>
    public bool SysAttrs { get; init; }

    /// <summary>Attributes to include (expanded names); null includes all.</summary>
    public IReadOnlySet<string>? Attrs { get; init; }

    /// <summary>Entity members to keep (4.21): expanded attribute names, "id", "type", "scope"; null keeps all.</summary>
    public IReadOnlySet<string>? Pick { get; init; }

    /// <summary>Entity members to drop (4.22), named as in <see cref="Pick"/>.</summary>
    public IReadOnlySet<string>? Omit { get; init; }

    /// <summary>Attribute instances to include by datasetId, with "@none" for the default instance; null includes all.</summary>
    public IReadOnlySet<string>? DatasetIds { get; init; }

    /// <summary>The GeoProperty (expanded) that gives a GeoJSON Feature its geometry, from the geometryProperty parameter.</summary>
    public string? GeometryProperty { get; init; }

    /// <summary>Linked entity retrieval (4.5.23), from the join parameter.</summary>
    public JoinMode Join { get; init; }

    /// <summary>How many relationship hops linked entity retrieval follows, from joinLevel (1 by default).</summary>
    public int JoinLevel { get; init; } = 1;

    /// <summary>Entity ids already retrieved by the client (containedBy, 4.5.23): they are not retrieved again as linked entities.</summary>
    public IReadOnlySet<string>? ContainedBy { get; init; }

    /// <summary>The projections (pick/omit with {…}, 4.21) of entities linked through a relationship, by its expanded name.</summary>
    public IReadOnlyDictionary<string, RenderOptions>? Linked { get; init; }

    /// <summary>
    /// How an entity reached through <paramref name="relationship"/> is rendered: in the same format, with sysAttrs and lang,
    /// projected by the nested pick/omit given for that relationship, unprojected otherwise.
    /// </summary>
    public RenderOptions ForLinked(string relationship) =>
        Linked is not null && Linked.TryGetValue(relationship, out var nested) ? nested : WithoutProjection();

    internal RenderOptions WithoutProjection() =>
        Attrs is null && Pick is null && Omit is null && DatasetIds is null && Linked is null
            ? this
            : this with { Attrs = null, Pick = null, Omit = null, DatasetIds = null, Linked = null };

    /// <summary>
    /// Preferred languages (4.15) as in the lang parameter: "en", "ja,en", "fr;q=0.9,en;q=0.5" or "*".
    /// When set, every LanguageProperty is rendered as a Property holding the best-matching string.
    /// </summary>
    public string? Lang
    {
        get => lang;
        init
        {
            lang = value;
            Languages = value is null ? null : ParseLanguagePreference(value);
        }
    }

    /// <summary>The language ranges of <see cref="Lang"/>, most preferred first, parsed once for the hot path.</summary>
    internal string[]? Languages { get; private init; }

    private static string[] ParseLanguagePreference(string lang)
    {
        var ranges = new List<(string Tag, double Quality)>();
        foreach (var part in lang.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var tag = part;
            var quality = 1.0;
            var semicolon = part.IndexOf(';');
            if (semicolon >= 0)
            {
                tag = part[..semicolon].Trim();
                var parameter = part[(semicolon + 1)..].Trim();
                if (!parameter.StartsWith("q=", StringComparison.Ordinal)
                    || !double.TryParse(parameter.AsSpan(2), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out quality)
                    || quality > 1)
                {
                    throw NgsiLdException.BadRequest($"Invalid lang parameter '{lang}': '{part}' has a malformed quality value");
                }
            }
            if (tag != "*" && !NgsiLdSyntax.IsLanguageTag(tag))
            {
                throw NgsiLdException.BadRequest($"Invalid lang parameter '{lang}': '{tag}' is not a language tag");
            }
            ranges.Add((tag, quality));
        }
        if (ranges.Count == 0)
        {
            throw NgsiLdException.BadRequest("The lang parameter is empty");
        }
        var ordered = new string[ranges.Count];
        var index = 0;
        foreach (var range in ranges.OrderByDescending(r => r.Quality))
        {
            ordered[index++] = range.Tag;
        }
        return ordered;
    }
}
