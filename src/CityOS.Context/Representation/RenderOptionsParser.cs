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
                throw NgsiLdException.BadRequest($"Unknown value '{option}' in the options parameter");
            }
        }

        var formatValue = Single(query, "format");
        var formatParameter = formatValue switch
        {
            null => (RepresentationFormat?)null,
            "normalized" => RepresentationFormat.Normalized,
            "concise" => RepresentationFormat.Concise,
            "simplified" or "keyValues" => RepresentationFormat.Simplified,
            _ => throw NgsiLdException.BadRequest($"Invalid format '{formatValue}': expected normalized, concise, simplified or keyValues"),
        };

        var pick = Names(query, "pick", terms, CoreMembers);
        var omit = Names(query, "omit", terms, CoreMembers);
        if (pick is not null && omit is not null)
        {
            throw NgsiLdException.BadRequest("The pick and omit parameters cannot be used together");
        }

        var geometryProperty = Single(query, "geometryProperty");
        if (geometryProperty is not null && !NgsiLdSyntax.IsValidName(geometryProperty))
        {
            throw NgsiLdException.BadRequest($"Invalid geometryProperty '{geometryProperty}'");
        }

        return new RenderOptions
        {
            // The format parameter is the newer, explicit way to choose (6.3.7); it overrides options.
            Format = formatParameter ?? fromOptions ?? RepresentationFormat.Normalized,
            SysAttrs = sysAttrs,
            Attrs = Names(query, "attrs", terms, null),
            Pick = pick,
            Omit = omit,
            DatasetIds = DatasetIds(query),
            Lang = Single(query, "lang"),
            GeometryProperty = geometryProperty is null ? null : terms.ExpandTerm(geometryProperty),
        };
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
