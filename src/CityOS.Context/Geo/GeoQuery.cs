using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityOS.Core;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Geo;

/// <summary>
/// A geo-query (ETSI GS CIM 009 4.10, GeoQuery 5.2.13): a reference geometry, a geo-relationship
/// and the GeoProperty it applies to. Immutable and safe to share between threads, so one
/// instance can serve a subscription for its whole life.
/// </summary>
/// <remarks>
/// Relationships other than near are the OGC simple-feature predicates evaluated on lon/lat as a
/// plane (as RFC 7946 defines lines): within and contains exclude a geometry that only touches the
/// reference geometry's boundary. near measures geodesic distance on a sphere (see
/// <see cref="GeoMetrics"/>); to a line or an area it is the distance to its nearest point.
/// As in Orion-LD, near takes a Point and within a Polygon or MultiPolygon. near takes exactly one
/// distance modifier, a positive number of metres (nearRel and PositiveNumber of 4.10).
/// </remarks>
public sealed class GeoQuery
{
    public const string DefaultGeoProperty = "location";

    private static readonly string[] Georels = ["near", "within", "contains", "intersects", "equals", "disjoint", "overlaps"];

    private readonly string? _explicitGeoProperty;

    private GeoQuery(string georel, double? maxDistance, double? minDistance, Geometry geometry, string? geoProperty)
    {
        Georel = georel;
        MaxDistance = maxDistance;
        MinDistance = minDistance;
        Geometry = geometry;
        _explicitGeoProperty = geoProperty;
        SearchEnvelope = ComputeSearchEnvelope();
    }

    /// <summary>The GeoProperty term as given, "location" when none was.</summary>
    public string GeoProperty => _explicitGeoProperty ?? DefaultGeoProperty;

    /// <summary>The relationship without its modifiers: near, within, contains, intersects, equals, disjoint or overlaps.</summary>
    public string Georel { get; }

    /// <summary>near;maxDistance, in metres.</summary>
    public double? MaxDistance { get; }

    /// <summary>near;minDistance, in metres.</summary>
    public double? MinDistance { get; }

    /// <summary>The reference geometry, lon/lat.</summary>
    public Geometry Geometry { get; }

    /// <summary>
    /// A lon/lat box that the envelope of every matching geometry intersects (so a matching point
    /// lies in it): the prefilter for a spatial index. Null when no box bounds the matches
    /// (disjoint, near with only minDistance).
    /// </summary>
    public Envelope? SearchEnvelope { get; }

    /// <summary>The georel text in the query-language form, with its modifiers, e.g. near;maxDistance==500.</summary>
    public string GeorelText
    {
        get
        {
            if (Georel != "near")
                return Georel;
            var text = Georel;
            if (MaxDistance is { } max)
                text += ";maxDistance==" + Format(max);
            if (MinDistance is { } min)
                text += ";minDistance==" + Format(min);
            return text;
        }
    }

    /// <summary>
    /// The geo-query of GET /entities (georel, geometry, coordinates, geoproperty URI parameters,
    /// already URL-decoded once). Null when none is given; BadRequestData when only some are or
    /// when any is invalid.
    /// </summary>
    public static GeoQuery? FromQueryParameters(string? georel, string? geometry, string? coordinates, string? geoproperty)
    {
        if (string.IsNullOrEmpty(georel) && string.IsNullOrEmpty(geometry) && string.IsNullOrEmpty(coordinates) && string.IsNullOrEmpty(geoproperty))
            return null;
        if (string.IsNullOrEmpty(geometry))
            throw Bad("the URI parameter 'geometry' is missing");
        if (string.IsNullOrEmpty(georel))
            throw Bad("the URI parameter 'georel' is missing");
        if (string.IsNullOrEmpty(coordinates))
            throw Bad("the URI parameter 'coordinates' is missing");
        return Create(georel, geometry, ParseCoordinatesText(coordinates), string.IsNullOrEmpty(geoproperty) ? null : geoproperty);
    }

    /// <summary>The GeoQuery object of POST /entityOperations/query and of subscriptions; coordinates may be an array or its JSON text.</summary>
    public static GeoQuery FromJson(JsonNode geoQ)
    {
        if (geoQ is not JsonObject obj)
            throw Bad("geoQ must be a JSON object with geometry, coordinates, georel and optionally geoproperty");

        string? georel = null, geometry = null, geoproperty = null;
        JsonNode? coordinates = null;
        foreach (var (name, value) in obj)
        {
            switch (name)
            {
                case "geometry":
                    geometry = RequireString(value, name);
                    break;
                case "georel":
                    georel = RequireString(value, name);
                    break;
                case "geoproperty":
                    geoproperty = RequireString(value, name);
                    break;
                case "coordinates":
                    coordinates = value switch
                    {
                        JsonArray array => array,
                        JsonValue text when text.GetValueKind() == JsonValueKind.String => ParseCoordinatesText(text.GetValue<string>()),
                        _ => throw Bad("geoQ member 'coordinates' must be a JSON array or a string holding one"),
                    };
                    break;
                default:
                    throw Bad($"geoQ member '{name}' is not one of geometry, coordinates, georel, geoproperty");
            }
        }
        if (geometry is null)
            throw Bad("geoQ member 'geometry' is missing");
        if (coordinates is null)
            throw Bad("geoQ member 'coordinates' is missing");
        if (georel is null)
            throw Bad("geoQ member 'georel' is missing");
        return Create(georel, geometry, coordinates, geoproperty);
    }

    /// <summary>The GeoQuery object form; <see cref="FromJson"/> reads it back to an equal query.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["geometry"] = Geometry.GeometryType,
            ["coordinates"] = GeoJsonWriter.Write(Geometry)["coordinates"]!.DeepClone(),
            ["georel"] = GeorelText,
        };
        if (_explicitGeoProperty is not null)
            json["geoproperty"] = _explicitGeoProperty;
        return json;
    }

    /// <summary>Whether a candidate geometry (the value of the GeoProperty of an entity) satisfies the query.</summary>
    public bool Matches(Geometry candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        switch (Georel)
        {
            case "near":
                var distance = DistanceMetres(candidate);
                return (MaxDistance is not { } max || distance <= max) && (MinDistance is not { } min || distance >= min);
            case "within":
                return candidate is Point p ? LocateInReference(p) == Location.Interior : IsWithin(candidate);
            case "intersects":
                return candidate is Point q && Geometry is IPolygonal ? LocateInReference(q) != Location.Exterior : candidate.Intersects(Geometry);
            case "disjoint":
                return candidate is Point r && Geometry is IPolygonal ? LocateInReference(r) == Location.Exterior : candidate.Disjoint(Geometry);
            case "contains":
                return IsContaining(candidate);
            case "equals":
                return Homogeneous(candidate) is { } same && same.EqualsTopologically(Geometry);
            case "overlaps":
                return Homogeneous(candidate) is { } overlapping && overlapping.Overlaps(Geometry);
            default:
                throw new InvalidOperationException($"unknown georel {Georel}");
        }
    }

    /// <summary>Geodesic distance in metres from the reference geometry to the candidate (0 when they meet).</summary>
    public double DistanceMetres(Geometry candidate) => GeoMetrics.DistanceMetres(Geometry, candidate);

    /// <summary>
    /// A collection of mixed dimensions lies within the reference geometry when all of it is
    /// covered by it and some part of it is within it, which is what within means for one geometry.
    /// </summary>
    private bool IsWithin(Geometry candidate)
    {
        if (Homogeneous(candidate) is { } single)
            return single.Within(Geometry);
        var parts = Atoms(candidate);
        return parts.All(part => part.CoveredBy(Geometry)) && parts.Any(part => part.Within(Geometry));
    }

    /// <summary>A collection of mixed dimensions contains the reference geometry when the union of its parts of one dimension does.</summary>
    private bool IsContaining(Geometry candidate)
    {
        if (Homogeneous(candidate) is { } single)
            return single.Contains(Geometry);
        return Atoms(candidate)
            .GroupBy(part => part.Dimension)
            .Any(group => GeoJsonReader.Factory.BuildGeometry(group).Union().Contains(Geometry));
    }

    /// <summary>The points, lines and polygons of a geometry, with every level of collection taken apart.</summary>
    private static List<Geometry> Atoms(Geometry geometry)
    {
        var atoms = new List<Geometry>();
        Collect(geometry);
        return atoms;

        void Collect(Geometry g)
        {
            if (g is GeometryCollection collection)
                foreach (var part in collection.Geometries)
                    Collect(part);
            else
                atoms.Add(g);
        }
    }

    /// <summary>
    /// NTS evaluates the relate-based predicates (within, contains, equals, overlaps) only on
    /// geometries of one dimension, so a GeometryCollection is merged into one first. A collection
    /// that mixes dimensions stays a collection (null): it has no single dimension to overlap in
    /// or to equal a query geometry with, so it matches neither.
    /// </summary>
    private static Geometry? Homogeneous(Geometry candidate)
    {
        if (candidate.OgcGeometryType != OgcGeometryType.GeometryCollection)
            return candidate;
        var merged = candidate.Union();
        return merged.OgcGeometryType == OgcGeometryType.GeometryCollection ? null : merged;
    }

    /// <summary>
    /// Point-in-area without building a topology graph: the common case of points tested against
    /// a polygon, run once per stored entity. Thread-safe, unlike the lazily indexed locators.
    /// </summary>
    private Location LocateInReference(Point p) => SimplePointInAreaLocator.Locate(p.Coordinate, Geometry);

    private Envelope? ComputeSearchEnvelope() => Georel switch
    {
        "near" when MaxDistance is { } max => GeoMetrics.Grow(Geometry.EnvelopeInternal, max),
        "near" or "disjoint" => null,
        _ => new Envelope(Geometry.EnvelopeInternal),
    };

    private static GeoQuery Create(string georelText, string geometryType, JsonNode coordinates, string? geoproperty)
    {
        if (!GeoJsonReader.IsQueryGeometryType(geometryType))
            throw Bad($"geometry '{geometryType}' is not one of Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon");
        var (georel, max, min) = ParseGeorel(georelText);

        if (georel == "near" && geometryType != "Point")
            throw Bad($"georel 'near' needs geometry 'Point', got '{geometryType}'");
        if (georel == "within" && geometryType is not ("Polygon" or "MultiPolygon"))
            throw Bad($"georel 'within' needs geometry 'Polygon' or 'MultiPolygon', got '{geometryType}'");

        Geometry geometry;
        try
        {
            geometry = GeoJsonReader.ReadCoordinates(geometryType, coordinates);
        }
        catch (NgsiLdException e) when (e.Detail.StartsWith(GeoJsonReader.ErrorPrefix, StringComparison.Ordinal))
        {
            throw Bad($"coordinates do not fit geometry '{geometryType}': {e.Detail[GeoJsonReader.ErrorPrefix.Length..]}");
        }
        return new GeoQuery(georel, max, min, geometry, geoproperty);
    }

    /// <summary>
    /// Parses georel of the query language: a relationship name, and for near one of
    /// maxDistance==N and minDistance==N (metres, a positive decimal number) after ';'.
    /// </summary>
    private static (string Georel, double? Max, double? Min) ParseGeorel(string text)
    {
        var parts = text.Split(';');
        var georel = parts[0];
        if (Array.IndexOf(Georels, georel) < 0)
            throw Bad($"georel '{text}' is not one of near;maxDistance==N, near;minDistance==N, within, contains, intersects, equals, disjoint, overlaps");

        if (georel != "near")
        {
            if (parts.Length > 1)
                throw Bad($"georel '{georel}' takes no modifiers, got '{text}'");
            return (georel, null, null);
        }

        if (parts.Length == 1)
            throw Bad("georel 'near' needs a distance: near;maxDistance==N or near;minDistance==N (metres)");
        // nearRel = nearOp andOp distance equal PositiveNumber (4.10): exactly one distance modifier.
        if (parts.Length > 2)
            throw Bad($"georel 'near' takes exactly one distance modifier (maxDistance==N or minDistance==N), got '{text}'");
        var modifier = parts[1];
        var eq = modifier.IndexOf("==", StringComparison.Ordinal);
        var name = eq < 0 ? modifier : modifier[..eq];
        if (name is not ("maxDistance" or "minDistance") || eq < 0)
            throw Bad($"georel 'near' modifier '{modifier}' is not maxDistance==N or minDistance==N");
        var distance = ParseDistance(modifier[(eq + 2)..], name);
        double? max = name == "maxDistance" ? distance : null;
        double? min = name == "minDistance" ? distance : null;
        return (georel, max, min);
    }

    private static double ParseDistance(string text, string name)
    {
        // Digits with an optional fraction: no sign, exponent, spaces, or the NaN and Infinity
        // that double.Parse would otherwise let through.
        var valid = text.Length > 0 && char.IsAsciiDigit(text[0]) && char.IsAsciiDigit(text[^1]);
        var dots = 0;
        foreach (var c in text)
        {
            if (c == '.')
                dots++;
            else if (!char.IsAsciiDigit(c))
                valid = false;
        }
        // PositiveNumber (4.10) excludes 0.
        if (!valid || dots > 1 || !double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var metres) || !double.IsFinite(metres) || metres <= 0)
            throw Bad($"georel 'near' {name} '{text}' is not a positive number of metres");
        return metres;
    }

    private static JsonNode ParseCoordinatesText(string text)
    {
        // Orion-LD decodes coordinates once more after the HTTP layer has, so clients that encode
        // the brackets twice (e.g. %255B) work there; do the same.
        if (text.Contains('%'))
            text = Uri.UnescapeDataString(text);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw Bad($"coordinates '{text}' are not a JSON array: {e.Message}");
        }
        return node as JsonArray ?? throw Bad($"coordinates '{text}' are not a JSON array");
    }

    private static string RequireString(JsonNode? value, string name) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw Bad($"geoQ member '{name}' must be a string");

    private static string Format(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    private static NgsiLdException Bad(string detail) => NgsiLdException.BadRequest("Invalid geo-query: " + detail);
}
