using Microsoft.Extensions.Configuration;

namespace CityOS.Core.Hosting;

/// <summary>Which blocks a host runs: every block unless <c>CityOS:Blocks:&lt;Name&gt;:Enabled</c> is false (a disabled block registers and maps nothing).</summary>
public static class CityOsBlocks
{
    public const string Section = "CityOS:Blocks";

    public static string EnabledSetting(string name) => $"{Section}:{name}:Enabled";

    /// <summary>The enabled blocks, in the order given; two blocks of one name are a configuration error.</summary>
    public static IReadOnlyList<ICityOsBlock> Enabled(IEnumerable<ICityOsBlock> blocks, IConfiguration configuration)
    {
        var all = blocks.ToList();
        if (all.GroupBy(b => b.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException($"Two blocks are named '{twice.Key}'.");
        }
        return all.Where(b => configuration.GetValue(EnabledSetting(b.Name), defaultValue: true)).ToList();
    }
}
