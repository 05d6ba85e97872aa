namespace CityOS.Robustness.Tests;

/// <summary>
/// Every test here starts its own cityos and attacks it; they run one after another so that one test's attack does not
/// slow another's process past its bounds on a 2-core machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealProcessCollection
{
    public const string Name = "one attacked cityos at a time";
}
