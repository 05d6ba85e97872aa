using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace CityOS.Portal.Pages;

/// <summary>HTML encoding for the pages: every text or value that goes into markup passes through <see cref="E(string?)"/>.</summary>
public static class Html
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string E(string? text) => text is null ? "" : Encoder.Encode(text);

    /// <summary>A text of the dictionary with arguments filled in, encoded.</summary>
    public static string F(string format, params object?[] arguments) => E(string.Format(CultureInfo.InvariantCulture, format, arguments));

    /// <summary>A query string value.</summary>
    public static string Q(string? value) => Uri.EscapeDataString(value ?? "");

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
