using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace CityOS.Context.Geo;

/// <summary>
/// Geodesic measures on a sphere of the WGS 84 mean radius, for geometries whose coordinates are
/// lon/lat degrees joined by straight lines in lon/lat (RFC 7946 3.1.1).
/// </summary>
/// <remarks>
/// The distance between geometries is always the haversine distance between two points that lie
/// on them, so it never underestimates: anything found within a distance is truly within it, and
/// <see cref="Grow"/> boxes stay sound. On a segment the nearest point is found in an
/// equirectangular projection centred on the other point, which is exact for short segments and
/// overestimates by well under a percent for segments of a few kilometres at city latitudes.
/// </remarks>
public static class GeoMetrics
{
    /// <summary>Mean radius R1 of the WGS 84 ellipsoid, in metres.</summary>
    public const double EarthRadiusMetres = 6_371_008.8;

    private const double DegreesToRadians = Math.PI / 180;
    private const double RadiansToDegrees = 180 / Math.PI;

    /// <summary>Keeps <see cref="Grow"/> sound against floating-point rounding in the caller's comparisons.</summary>
    private const double SafetyDegrees = 1e-9;

    public static double HaversineMetres(double lon1, double lat1, double lon2, double lat2)
    {
        var dLat = (lat2 - lat1) * DegreesToRadians;
        var dLon = (lon2 - lon1) * DegreesToRadians;
        var sinLat = Math.Sin(dLat / 2);
        var sinLon = Math.Sin(dLon / 2);
        var h = sinLat * sinLat + Math.Cos(lat1 * DegreesToRadians) * Math.Cos(lat2 * DegreesToRadians) * sinLon * sinLon;
        return 2 * EarthRadiusMetres * Math.Asin(Math.Sqrt(Math.Min(1, h)));
    }

    /// <summary>
    /// The smallest lon/lat box that holds every point within <paramref name="metres"/> of the box
    /// <paramref name="e"/>. When that region reaches a pole or crosses the antimeridian no single
    /// box is tight, so the box spans every longitude: wider, never wrong.
    /// </summary>
    public static Envelope Grow(Envelope e, double metres)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.IsNull)
            return new Envelope();
        if (double.IsNaN(metres) || metres < 0)
            throw new ArgumentOutOfRangeException(nameof(metres), metres, "must be a non-negative distance");

        var angle = metres / EarthRadiusMetres;
        if (angle >= Math.PI)
            return new Envelope(-180, 180, -90, 90);

        var dLat = angle * RadiansToDegrees + SafetyDegrees;
        var minLat = e.MinY - dLat;
        var maxLat = e.MaxY + dLat;
        if (minLat <= -90 || maxLat >= 90)
            return new Envelope(-180, 180, Math.Max(minLat, -90), Math.Min(maxLat, 90));

        // A spherical cap of angular radius d centred at latitude φ reaches asin(sin d / cos φ) of
        // longitude either side; the box's point farthest from the equator is the worst case, and
        // the cap stays clear of the pole there because maxLat and minLat did.
        var worstLat = Math.Max(Math.Abs(e.MinY), Math.Abs(e.MaxY)) * DegreesToRadians;
        var ratio = Math.Sin(angle) / Math.Cos(worstLat);
        if (ratio >= 1)
            return new Envelope(-180, 180, minLat, maxLat);
        var dLon = Math.Asin(ratio) * RadiansToDegrees + SafetyDegrees;
        var minLon = e.MinX - dLon;
        var maxLon = e.MaxX + dLon;
        if (minLon < -180 || maxLon > 180)
            return new Envelope(-180, 180, minLat, maxLat);
        return new Envelope(minLon, maxLon, minLat, maxLat);
    }

    /// <summary>
    /// Geodesic distance in metres between two geometries: 0 when they intersect, else the
    /// distance between their nearest points (see the remarks on the class for the approximation).
    /// </summary>
    public static double DistanceMetres(Geometry a, Geometry b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a is Point p)
            return DistanceMetres(p.Coordinate, b);
        if (b is Point q)
            return DistanceMetres(q.Coordinate, a);
        if (a.Intersects(b))
            return 0;

        // Two disjoint sets of segments are nearest at a vertex of one of them.
        var best = double.PositiveInfinity;
        foreach (var c in a.Coordinates)
            best = Math.Min(best, DistanceMetres(c, b));
        foreach (var c in b.Coordinates)
            best = Math.Min(best, DistanceMetres(c, a));
        return best;
    }

    /// <summary>Geodesic distance in metres from a lon/lat point to the nearest point of a geometry (0 inside an area).</summary>
    public static double DistanceMetres(Coordinate point, Geometry g)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(g);
        switch (g)
        {
            case Point p:
                return p.IsEmpty ? double.PositiveInfinity : HaversineMetres(point.X, point.Y, p.X, p.Y);
            case LineString line:
                return ToLine(point, line.CoordinateSequence);
            case Polygon polygon:
                if (SimplePointInAreaLocator.Locate(point, polygon) != Location.Exterior)
                    return 0;
                var best = ToLine(point, polygon.ExteriorRing.CoordinateSequence);
                foreach (var hole in polygon.InteriorRings)
                    best = Math.Min(best, ToLine(point, hole.CoordinateSequence));
                return best;
            case GeometryCollection collection:
                var nearest = double.PositiveInfinity;
                foreach (var part in collection.Geometries)
                    nearest = Math.Min(nearest, DistanceMetres(point, part));
                return nearest;
            default:
                throw new ArgumentException($"unsupported geometry {g.GeometryType}", nameof(g));
        }
    }

    private static double ToLine(Coordinate point, CoordinateSequence sequence)
    {
        var best = double.PositiveInfinity;
        if (sequence.Count == 1)
            return HaversineMetres(point.X, point.Y, sequence.GetX(0), sequence.GetY(0));
        for (var i = 1; i < sequence.Count; i++)
        {
            var d = ToSegment(point, sequence.GetX(i - 1), sequence.GetY(i - 1), sequence.GetX(i), sequence.GetY(i));
            if (d < best)
                best = d;
        }
        return best;
    }

    /// <summary>
    /// Distance from a point to a lon/lat segment. The point is also tried one turn east and west
    /// so that a segment just across the antimeridian from it is measured the short way round.
    /// </summary>
    private static double ToSegment(Coordinate point, double x1, double y1, double x2, double y2)
    {
        var d = ToSegmentFrom(point.X, point.Y, x1, y1, x2, y2);
        var west = Math.Min(x1, x2);
        var east = Math.Max(x1, x2);
        if (point.X - west > 180)
            d = Math.Min(d, ToSegmentFrom(point.X - 360, point.Y, x1, y1, x2, y2));
        if (east - point.X > 180)
            d = Math.Min(d, ToSegmentFrom(point.X + 360, point.Y, x1, y1, x2, y2));
        return d;
    }

    private static double ToSegmentFrom(double px, double py, double x1, double y1, double x2, double y2)
    {
        // Nearest point in an equirectangular projection about the query point, then measured
        // exactly: the result is a true distance to a point of the segment.
        var scale = Math.Max(Math.Cos(py * DegreesToRadians), 1e-6);
        var ax = (x1 - px) * scale;
        var ay = y1 - py;
        var bx = (x2 - px) * scale;
        var by = y2 - py;
        var dx = bx - ax;
        var dy = by - ay;
        var lengthSquared = dx * dx + dy * dy;
        var t = lengthSquared == 0 ? 0 : Math.Clamp(-(ax * dx + ay * dy) / lengthSquared, 0, 1);
        var nearestX = x1 + t * (x2 - x1);
        var nearestY = y1 + t * (y2 - y1);
        return HaversineMetres(px, py, nearestX, nearestY);
    }
}
