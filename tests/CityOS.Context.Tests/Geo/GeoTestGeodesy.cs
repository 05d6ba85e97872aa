namespace CityOS.Context.Tests.Geo;

/// <summary>
/// Spherical geodesy written independently of the code under test (Vincenty's atan2 form of the
/// central angle, and the direct problem), so tests compare against a different formula.
/// </summary>
internal static class GeoTestGeodesy
{
    public const double R = 6_371_008.8;
    private const double Rad = Math.PI / 180;

    public static double DistanceMetres(double lon1, double lat1, double lon2, double lat2)
    {
        double φ1 = lat1 * Rad, φ2 = lat2 * Rad, Δλ = (lon2 - lon1) * Rad;
        var y = Math.Sqrt(Math.Pow(Math.Cos(φ2) * Math.Sin(Δλ), 2) + Math.Pow(Math.Cos(φ1) * Math.Sin(φ2) - Math.Sin(φ1) * Math.Cos(φ2) * Math.Cos(Δλ), 2));
        var x = Math.Sin(φ1) * Math.Sin(φ2) + Math.Cos(φ1) * Math.Cos(φ2) * Math.Cos(Δλ);
        return R * Math.Atan2(y, x);
    }

    /// <summary>The point reached from (lon, lat) after <paramref name="metres"/> on a bearing, longitude normalised to [-180, 180].</summary>
    public static (double Lon, double Lat) Destination(double lon, double lat, double bearingDegrees, double metres)
    {
        double φ1 = lat * Rad, λ1 = lon * Rad, θ = bearingDegrees * Rad, δ = metres / R;
        var φ2 = Math.Asin(Math.Sin(φ1) * Math.Cos(δ) + Math.Cos(φ1) * Math.Sin(δ) * Math.Cos(θ));
        var λ2 = λ1 + Math.Atan2(Math.Sin(θ) * Math.Sin(δ) * Math.Cos(φ1), Math.Cos(δ) - Math.Sin(φ1) * Math.Sin(φ2));
        var lon2 = (λ2 / Rad + 540) % 360 - 180;
        return (lon2, φ2 / Rad);
    }
}
