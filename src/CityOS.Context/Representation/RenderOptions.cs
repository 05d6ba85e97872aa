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
