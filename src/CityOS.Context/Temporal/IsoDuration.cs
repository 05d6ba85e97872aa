using System.Globalization;
using System.Text.RegularExpressions;
using CityOS.Core;

namespace CityOS.Context.Temporal;

/// <summary>An ISO 8601 duration (PnYnMnWnDTnHnMnS) as aggrPeriodDuration carries it; years and months are calendar steps.</summary>
public readonly partial record struct IsoDuration(int Years, int Months, int Days, TimeSpan Time)
{
    public bool IsZero => Years == 0 && Months == 0 && Days == 0 && Time == TimeSpan.Zero;

    /// <summary>The longest duration accepted: longer periods only reach past the calendar's end (year 9999).</summary>
    public const int MaxYears = 1000;

    /// <summary>The end of a period starting at <paramref name="start"/>; a period reaching past year 9999 ends there.</summary>
    public DateTimeOffset AddTo(DateTimeOffset start)
    {
        if (ApproximateDays > (DateTimeOffset.MaxValue - start).TotalDays) return DateTimeOffset.MaxValue;
        return start.AddYears(Years).AddMonths(Months).AddDays(Days).Add(Time);
    }

    /// <summary>The length in days with calendar steps at their longest (366-day years, 31-day months).</summary>
    private double ApproximateDays => Years * 366.0 + Months * 31.0 + Days + Time.TotalDays;

    [GeneratedRegex(@"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static IsoDuration Parse(string text)
    {
        var match = Pattern().Match(text);
        if (!match.Success || text == "P" || text.EndsWith('T'))
        {
            throw NgsiLdException.BadRequest($"aggrPeriodDuration '{text}' is not an ISO 8601 duration such as PT1H, P1D or P1M.");
        }
        try
        {
            int Part(int group) => match.Groups[group].Success ? int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
            var seconds = match.Groups[7].Success ? double.Parse(match.Groups[7].Value.Replace(',', '.'), CultureInfo.InvariantCulture) : 0;
            var time = TimeSpan.FromHours(Part(5)) + TimeSpan.FromMinutes(Part(6)) + TimeSpan.FromSeconds(seconds);
            var duration = new IsoDuration(Part(1), Part(2), checked(Part(3) * 7 + Part(4)), time);
            return duration.ApproximateDays <= MaxYears * 366.0
                ? duration
                : throw NgsiLdException.BadRequest($"aggrPeriodDuration '{text}' is longer than {MaxYears} years.");
        }
        catch (Exception error) when (error is OverflowException or ArgumentOutOfRangeException)
        {
            throw NgsiLdException.BadRequest($"aggrPeriodDuration '{text}' is too large.");
        }
    }
}
