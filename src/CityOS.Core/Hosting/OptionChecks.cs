using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CityOS.Core.Hosting;

/// <summary>
/// Collects what is wrong with one options class, each problem naming the full setting ("CityOS:Subscriptions:JournalBatch
/// is 0; it must be at least 1"), so that a host with a setting that would break a block refuses to start and says why.
/// </summary>
public sealed class OptionChecks(string section)
{
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> Problems => _problems;

    public void AtLeast(string name, long value, long minimum)
    {
        if (value < minimum) Add(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture), $"at least {minimum}");
    }

    public void Positive(string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero) Add(name, value.ToString(), "a positive duration");
    }

    public void NotNegative(string name, TimeSpan value)
    {
        if (value < TimeSpan.Zero) Add(name, value.ToString(), "zero or a positive duration");
    }

    /// <summary>A rule that holds between settings or that the simple checks cannot say.</summary>
    public void Require(bool holds, string problem)
    {
        if (!holds) _problems.Add(problem);
    }

    public string Setting(string name) => $"{section}:{name}";

    private void Add(string name, string value, string expected) => _problems.Add($"{Setting(name)} is {value}; it must be {expected}.");
}

/// <summary>The checks of one options class, run when the host starts (<see cref="OptionsBuilder{TOptions}.ValidateOnStart"/>).</summary>
public abstract class OptionsValidator<TOptions> : IValidateOptions<TOptions> where TOptions : class
{
    /// <summary>The configuration section the options are bound from (the prefix of the settings' names in messages).</summary>
    protected abstract string Section { get; }

    protected abstract void Check(TOptions options, OptionChecks checks);

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var checks = new OptionChecks(Section);
        Check(options, checks);
        return checks.Problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(checks.Problems);
    }
}

public static class ValidatedOptionsServiceCollectionExtensions
{
    /// <summary>Binds <typeparamref name="TOptions"/> to <paramref name="section"/> and checks it with <typeparamref name="TValidator"/> when the host starts.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, IConfigurationSection section)
        where TOptions : class
        where TValidator : OptionsValidator<TOptions>
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return services.AddOptions<TOptions>().Bind(section).ValidateOnStart();
    }
}
