using CityOS.Context.Model;
using CityOS.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace CityOS.Context.Representation;

/// <summary>The query parameters of retrieval operations that shape the representation (6.3.7, 4.15, 4.20, 4.21, 4.22).</summary>
internal static class RenderOptionsParser
{
    /// <summary>Members named as-is in pick/omit: they are entity members, not attributes, and are never expanded.</summary>
    private static readonly HashSet<string> CoreMembers = new(StringComparer.Ordinal) { "id", "type", "scope" };

    /// <summary>Options of write operations (6.3.7) a client may send on any request; they do not shape a representation.</summary>
    private static readonly HashSet<string> WriteOptions = new(StringComparer.Ordinal) { "noOverwrite", "update", "replace" };

    public static RenderOptions Parse(IQueryCollection query, ITermMapper terms)
    {
        RepresentationFormat? fromOptions = null;
        var sysAttrs = false;
        foreach (var option in Items(query["options"]))
        {
            RepresentationFormat? format = option switch
            {
                "keyValues" or "simplified" => RepresentationFormat.Simplified,
                "concise" => RepresentationFormat.Concise,
                "normalized" => RepresentationFormat.Normalized,
                _ => null,
            };
            if (format is { } f)
            {
                if (fromOptions is { } other && other != f)
                {
                    throw NgsiLdException.BadRequest("The options parameter asks for two different representations");
                }
                fromOptions = f;
            }
            else if (option == "sysAttrs")
            {
                sysAttrs = true;
            }
            else if (!WriteOptions.Contains(option))
            {
                // A value the parameter does not define (6.3.20).
                throw NgsiLdException.InvalidRequest($"Unknown value '{option}' in the options parameter");
            }
        }

        var formatValue = Single(query, "format");
        var formatParameter = formatValue switch
        {
            null => (RepresentationFormat?)null,
            "normalized" => RepresentationFormat.Normalized,
            "concise" => RepresentationFormat.Concise,
            "simplified" or "keyValues" => RepresentationFormat.Simplified,
            _ => throw NgsiLdException.InvalidRequest($"Invalid format '{formatValue}': expected normalized, concise, simplified or keyValues"),
        };

        var (pick, omit) = PickAndOmit(query, terms);
        var join = Join(query);
        if (join == JoinMode.None && (pick?.Nested.Count > 0 || omit?.Nested.Count > 0))
        {
            throw NgsiLdException.BadRequest("pick or omit selects members of linked entities ({…}), but the join parameter does not ask for linked entity retrieval");
        }

        var geometryProperty = Single(query, "geometryProperty");
        if (geometryProperty is not null && !NgsiLdSyntax.IsValidName(geometryProperty))
        {
            throw NgsiLdException.BadRequest($"Invalid geometryProperty '{geometryProperty}'");
        }

        var options = new RenderOptions
        {
            // The format parameter is the newer, explicit way to choose (6.3.7); it overrides options.
            Format = formatParameter ?? fromOptions ?? RepresentationFormat.Normalized,
            SysAttrs = sysAttrs,
            Attrs = Names(query, "attrs", terms, null),
            Pick = pick?.Members,
            Omit = omit is { Members.Count: > 0 } ? omit.Members : null,
            DatasetIds = DatasetIds(query),
            Lang = Single(query, "lang"),
            GeometryProperty = geometryProperty is null ? null : terms.ExpandTerm(geometryProperty),
            Join = join,
            JoinLevel = JoinLevel(query),
            ContainedBy = ContainedBy(query),
        };
        var nested = pick?.Nested ?? omit?.Nested;
        if (nested is { Count: > 0 } && Depth(nested) > options.JoinLevel)
        {
            throw NgsiLdException.BadRequest($"pick or omit selects linked entities {Depth(nested)} levels deep, deeper than joinLevel {options.JoinLevel}");
        }
        return nested is { Count: > 0 } ? options with { Linked = Linked(nested, options.WithoutProjection(), isPick: pick is not null) } : options;
    }

    /// <summary>pick and omit (4.21, 4.22) alone, for retrievals without linked entity retrieval such as the temporal API's.</summary>
    public static RenderOptions ParseProjection(IQueryCollection query, ITermMapper terms)
    {
        var (pick, omit) = PickAndOmit(query, terms);
        if (pick?.Nested.Count > 0 || omit?.Nested.Count > 0)
        {
            throw NgsiLdException.BadRequest("pick or omit selects members of linked entities ({…}), which this operation does not retrieve");
        }
        return new RenderOptions { Pick = pick?.Members, Omit = omit is { Members.Count: > 0 } ? omit.Members : null };
    }

    private static (Projection? Pick, Projection? Omit) PickAndOmit(IQueryCollection query, ITermMapper terms)
    {
        var pick = Projection.Parse(query, "pick", terms);
        var omit = Projection.Parse(query, "omit", terms);
        if (pick is not null && omit is not null)
        {
            throw NgsiLdException.BadRequest("The pick and omit parameters cannot be used together");
        }
        if ((pick is not null || omit is not null) && query.ContainsKey("attrs"))
        {
            throw NgsiLdException.BadRequest("The attrs parameter cannot be used together with pick or omit");
        }
        return (pick, omit);
    }

    /// <summary>How many relationship hops a nested pick/omit reaches.</summary>
    private static int Depth(Dictionary<string, Projection> nested) =>
        nested.Count == 0 ? 0 : 1 + nested.Values.Max(p => Depth(p.Nested));

    private static Dictionary<string, RenderOptions> Linked(Dictionary<string, Projection> nested, RenderOptions unprojected, bool isPick)
    {
        var linked = new Dictionary<string, RenderOptions>(StringComparer.Ordinal);
        foreach (var (relationship, projection) in nested)
        {
            linked[relationship] = unprojected with
            {
                Pick = isPick ? projection.Members : null,
                Omit = !isPick && projection.Members.Count > 0 ? projection.Members : null,
                Linked = projection.Nested.Count > 0 ? Linked(projection.Nested, unprojected, isPick) : null,
            };
        }
        return linked;
    }

    private static JoinMode Join(IQueryCollection query) => Join(Single(query, "join"));

    /// <summary>The join parameter (or the join member of a Query, 5.2.23): inline, flat, @none or absent.</summary>
    public static JoinMode Join(string? text) => text switch
    {
        null or "@none" => JoinMode.None,
        "inline" => JoinMode.Inline,
        "flat" => JoinMode.Flat,
        var other => throw NgsiLdException.BadRequest($"Invalid join '{other}': expected inline, flat or @none"),
    };

    private static int JoinLevel(IQueryCollection query) => JoinLevel(Single(query, "joinLevel"));

    /// <summary>The joinLevel parameter (or member of a Query): a positive integer, 1 when absent.</summary>
    public static int JoinLevel(string? text)
    {
        if (text is null)
        {
            return 1;
        }
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var level) && level >= 1
            ? level
            : throw NgsiLdException.BadRequest($"Invalid joinLevel '{text}': expected a positive integer");
    }

    private static HashSet<string>? ContainedBy(IQueryCollection query)
    {
        if (!query.TryGetValue("containedBy", out var values))
        {
            return null;
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in Items(values))
        {
            if (!NgsiLdSyntax.IsAbsoluteIri(id))
            {
                throw NgsiLdException.BadRequest($"Invalid entity id '{id}' in the containedBy parameter: expected a URI");
            }
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>
    /// A pick or omit list (4.21, 4.22): member names separated by ',' or '|' (both are the OR of the projection language),
    /// where "rel{…}" projects the entities linked through rel the same way.
    /// In pick, "rel{…}" keeps rel itself; in omit it only projects the linked entities.
    /// </summary>
    private sealed record Projection(HashSet<string> Members, Dictionary<string, Projection> Nested)
    {
        public static Projection? Parse(IQueryCollection query, string parameter, ITermMapper terms)
        {
            if (!query.TryGetValue(parameter, out var values))
            {
                return null;
            }
            var text = string.Join(',', values.Where(v => v is not null));
            var position = 0;
            var projection = ParseList(text, ref position, parameter, terms, parameter == "pick");
            if (position < text.Length)
            {
                throw NgsiLdException.BadRequest($"Unbalanced '}}' in the {parameter} parameter");
            }
            return projection.Members.Count == 0 && projection.Nested.Count == 0
                ? throw NgsiLdException.BadRequest($"The {parameter} parameter is empty")
                : projection;
        }

        private static Projection ParseList(string text, ref int position, string parameter, ITermMapper terms, bool isPick)
        {
            var projection = new Projection(new HashSet<string>(StringComparer.Ordinal), new Dictionary<string, Projection>(StringComparer.Ordinal));
            while (position < text.Length && text[position] != '}')
            {
                var end = text.IndexOfAny([',', '|', '{', '}'], position);
                if (end < 0)
                {
                    end = text.Length;
                }
                var name = text[position..end].Trim();
                position = end;
                if (name.Length == 0)
                {
                    throw NgsiLdException.BadRequest($"An empty member name in the {parameter} parameter '{text}'");
                }
                if (!NgsiLdSyntax.IsValidName(name))
                {
                    throw NgsiLdException.BadRequest($"Invalid attribute name '{name}' in the {parameter} parameter");
                }
                var member = CoreMembers.Contains(name) ? name : terms.ExpandTerm(name);
                if (position < text.Length && text[position] == '{')
                {
                    position++;
                    var nested = ParseList(text, ref position, parameter, terms, isPick);
                    if (position >= text.Length)
                    {
                        throw NgsiLdException.BadRequest($"Unbalanced '{{' in the {parameter} parameter");
                    }
                    position++;
                    if (nested.Members.Count == 0 && nested.Nested.Count == 0)
                    {
                        throw NgsiLdException.BadRequest($"'{name}{{}}' selects nothing in the {parameter} parameter");
                    }
                    projection.Nested[member] = nested;
                    if (isPick)
                    {
                        projection.Members.Add(member);
                    }
                }
                else
                {
                    projection.Members.Add(member);
                }
                if (position < text.Length && text[position] is ',' or '|')
                {
                    position++;
                    if (position == text.Length || text[position] == '}')
                    {
                        throw NgsiLdException.BadRequest($"An empty member name in the {parameter} parameter '{text}'");
                    }
                }
                else if (position < text.Length && text[position] != '}')
                {
                    throw NgsiLdException.BadRequest($"Expected ',' after '}}' in the {parameter} parameter '{text}'");
                }
            }
            return projection;
        }
    }

    private static IEnumerable<string> Items(StringValues values)
    {
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }
            foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                yield return item;
            }
        }
    }

    private static string? Single(IQueryCollection query, string name)
    {
        var values = query[name];
        if (values.Count == 0)
        {
            return null;
        }
        if (values.Count > 1)
        {
            throw NgsiLdException.BadRequest($"The {name} parameter is given more than once");
        }
        var value = values[0];
        return string.IsNullOrWhiteSpace(value) ? throw NgsiLdException.BadRequest($"The {name} parameter is empty") : value.Trim();
    }

    private static HashSet<string>? Names(IQueryCollection query, string parameter, ITermMapper terms, HashSet<string>? coreMembers)
    {
        if (!query.TryGetValue(parameter, out var values))
        {
            return null;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Items(values))
        {
            if (!NgsiLdSyntax.IsValidName(name))
            {
                throw NgsiLdException.BadRequest($"Invalid attribute name '{name}' in the {parameter} parameter");
            }
            names.Add(coreMembers is not null && coreMembers.Contains(name) ? name : terms.ExpandTerm(name));
        }
        return names.Count == 0 ? throw NgsiLdException.BadRequest($"The {parameter} parameter is empty") : names;
    }

    private static HashSet<string>? DatasetIds(IQueryCollection query)
    {
        if (!query.TryGetValue("datasetId", out var values))
        {
            return null;
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in Items(values))
        {
            if (id != NgsiLdSyntax.NoneKey && !NgsiLdSyntax.IsAbsoluteIri(id))
            {
                throw NgsiLdException.BadRequest($"Invalid datasetId '{id}' in the datasetId parameter: expected a URI or @none");
            }
            ids.Add(id);
        }
        return ids.Count == 0 ? throw NgsiLdException.BadRequest("The datasetId parameter is empty") : ids;
    }
}
