using System.Text.RegularExpressions;
using CityOS.Core;

namespace CityOS.Context.Query;

/// <summary>
/// The regular expressions clients supply as idPattern (queries, subscriptions, temporal queries). They run on the linear-time
/// engine (<see cref="RegexOptions.NonBacktracking"/>), so no pattern can make a match take longer than the id it reads:
/// a hostile pattern such as <c>^urn:(a|aa)+$</c> cannot stall a query or the notifier. Patterns that need backtracking
/// (backreferences, lookarounds, atomic groups, conditionals) are refused with BadRequestData.
/// </summary>
public static class ClientRegex
{
    public const int MaxLength = QParser.MaxPatternLength;

    /// <summary>A last guard on a match; with the linear engine and bounded ids it is never reached in practice.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <param name="member">The member the pattern came in, for the error (e.g. "idPattern").</param>
    public static Regex Compile(string pattern, string member)
    {
        if (pattern.Length > MaxLength) throw NgsiLdException.BadRequest($"{member} is longer than {MaxLength} characters.");
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (NotSupportedException error)
        {
            throw NgsiLdException.BadRequest(
                $"{member} '{pattern}' uses a construct this broker does not run (backreferences, lookarounds, atomic groups and conditionals need backtracking): {error.Message}");
        }
        catch (ArgumentException error)
        {
            throw NgsiLdException.BadRequest($"{member} '{pattern}' is not a valid regular expression: {error.Message}");
        }
    }
}
