using System.Globalization;
using System.Text;
using static CityOS.Portal.Pages.Html;

namespace CityOS.Portal.Explorer;

/// <summary>
/// The explorer's pictures, drawn on the server as SVG (no script, no tile server: the installation may be offline): the
/// history line of a numeric attribute and the position of an entity among its neighbours. Each is an image with a title.
/// </summary>
public static class Svg
{
    private const int Width = 640, Height = 260, Margin = 48;

    public static string HistoryChart(string id, string title, IReadOnlyList<HistoryPoint> points)
    {
        var t0 = points[0].At.ToUnixTimeMilliseconds();
        var t1 = Math.Max(points[^1].At.ToUnixTimeMilliseconds(), t0 + 1);
        var min = points.Min(p => p.Value);
        var max = points.Max(p => p.Value);
        if (max - min < 1e-9) { min -= 1; max += 1; }
        double X(DateTimeOffset at) => Margin + (at.ToUnixTimeMilliseconds() - t0) * (Width - 2 * Margin) / (double)(t1 - t0);
        double Y(double v) => Height - Margin + (min - v) * (Height - 2 * Margin) / (max - min);
        var line = string.Join(" ", points.Select(p => $"{N(X(p.At))},{N(Y(p.Value))}"));
        var svg = new StringBuilder();
        svg.Append($"""<svg id="{E(id)}" class="chart" viewBox="0 0 {Width} {Height}" role="img" aria-labelledby="{E(id)}-title" xmlns="http://www.w3.org/2000/svg"><title id="{E(id)}-title">{E(title)}</title>""");
        svg.Append($"""<line x1="{Margin}" y1="{Height - Margin}" x2="{Width - Margin}" y2="{Height - Margin}" stroke="#4a4a4a"/><line x1="{Margin}" y1="{Margin}" x2="{Margin}" y2="{Height - Margin}" stroke="#4a4a4a"/>""");
        svg.Append($"""<text x="{Margin - 6}" y="{Margin + 4}" text-anchor="end" font-size="12" fill="#1a1a1a">{E(Number(max))}</text><text x="{Margin - 6}" y="{Height - Margin + 4}" text-anchor="end" font-size="12" fill="#1a1a1a">{E(Number(min))}</text>""");
        svg.Append($"""<text x="{Margin}" y="{Height - Margin + 18}" font-size="12" fill="#1a1a1a">{E(Time(points[0].At))}</text><text x="{Width - Margin}" y="{Height - Margin + 18}" text-anchor="end" font-size="12" fill="#1a1a1a">{E(Time(points[^1].At))}</text>""");
        svg.Append($"""<polyline points="{line}" fill="none" stroke="#0b4f9c" stroke-width="2"/>""");
        foreach (var p in points) svg.Append($"""<circle class="point" cx="{N(X(p.At))}" cy="{N(Y(p.Value))}" r="3" fill="#0b4f9c"/>""");
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>The entity's positions (a marker) among its neighbours' (dots), on a frame labelled with longitude and latitude.</summary>
    public static string Map(string id, string title, IReadOnlyList<(double Lon, double Lat)> own, IReadOnlyList<(double Lon, double Lat)> neighbours)
    {
        var all = own.Concat(neighbours).ToList();
        double west = all.Min(p => p.Lon), east = all.Max(p => p.Lon), south = all.Min(p => p.Lat), north = all.Max(p => p.Lat);
        var span = Math.Max(Math.Max(east - west, north - south), 0.002);
        var cx = (west + east) / 2;
        var cy = (south + north) / 2;
        west = cx - span * 0.6; east = cx + span * 0.6; south = cy - span * 0.6; north = cy + span * 0.6;
        const int size = 440, Margin = 72;
        double X(double lon) => Margin + (lon - west) * (size - 2 * Margin) / (east - west);
        double Y(double lat) => size - Margin - (lat - south) * (size - 2 * Margin) / (north - south);
        var svg = new StringBuilder();
        svg.Append($"""<svg id="{E(id)}" class="map" viewBox="0 0 {size} {size}" role="img" aria-labelledby="{E(id)}-title" xmlns="http://www.w3.org/2000/svg"><title id="{E(id)}-title">{E(title)}</title>""");
        svg.Append($"""<rect x="{Margin}" y="{Margin}" width="{size - 2 * Margin}" height="{size - 2 * Margin}" fill="#eef4ea" stroke="#4a4a4a"/>""");
        for (var i = 1; i < 4; i++)
        {
            var gx = Margin + i * (size - 2 * Margin) / 4.0;
            svg.Append($"""<line x1="{N(gx)}" y1="{Margin}" x2="{N(gx)}" y2="{size - Margin}" stroke="#c8c8c8"/><line x1="{Margin}" y1="{N(gx)}" x2="{size - Margin}" y2="{N(gx)}" stroke="#c8c8c8"/>""");
        }
        svg.Append($"""<text x="{Margin}" y="{size - Margin + 16}" font-size="11" fill="#1a1a1a">{E(Degrees(west))}</text><text x="{size - Margin}" y="{size - Margin + 16}" text-anchor="end" font-size="11" fill="#1a1a1a">{E(Degrees(east))}</text>""");
        svg.Append($"""<text x="{Margin - 4}" y="{size - Margin}" text-anchor="end" font-size="11" fill="#1a1a1a">{E(Degrees(south))}</text><text x="{Margin - 4}" y="{Margin + 10}" text-anchor="end" font-size="11" fill="#1a1a1a">{E(Degrees(north))}</text>""");
        foreach (var (lon, lat) in neighbours) svg.Append($"""<circle class="neighbour" cx="{N(X(lon))}" cy="{N(Y(lat))}" r="4" fill="#4a4a4a"/>""");
        if (own.Count > 1) svg.Append($"""<polyline points="{string.Join(" ", own.Select(p => $"{N(X(p.Lon))},{N(Y(p.Lat))}"))}" fill="none" stroke="#a30000" stroke-width="2"/>""");
        foreach (var (lon, lat) in own) svg.Append($"""<circle class="marker" cx="{N(X(lon))}" cy="{N(Y(lat))}" r="7" fill="#a30000" stroke="#fff" stroke-width="2"/>""");
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>A longitude or latitude to a tenth of a metre or so.</summary>
    public static string Coordinate(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);

    private static string Degrees(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture) + "°";

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z";
}
