namespace CityOS.Context.Query;

/// <summary>
/// The Entity Type Selection Language (ETSI GS CIM 009 clause 4.17): <c>A</c>, <c>A,B</c> or <c>A|B</c> (OR),
/// <c>(A;B)</c> (AND: entities that have both types), <c>(A;B)|C</c>; and <c>*</c>, every type
/// (Table 6.4.3.2-1). Immutable and thread-safe.
/// </summary>
public sealed class TypeSelector
{
    private const string Wildcard = "*";

    private readonly Selector<string> _root;

    private TypeSelector(Selector<string> root)
    {
        _root = root;
        AnyOf = PlainNames(root);
    }

    /// <summary>True for <c>*</c>: every entity matches, whatever its types.</summary>
    public bool MatchesAll => _root is SelectorLeaf<string> { Value: Wildcard };

    /// <summary>
    /// When the selector is a plain OR of type names (or a single name): those names (IRIs once expanded),
    /// each once, for an index lookup "has any of these types". Null otherwise.
    /// </summary>
    public IReadOnlyList<string>? AnyOf { get; }

    public static TypeSelector Parse(string type) => new(SelectorParser<string>.Parse(type, "type", (name, _) => name));

    /// <summary>Expands every type name to its IRI (names that already are IRIs are left to the expander).</summary>
    public TypeSelector Expand(Func<string, string> expandTypeName)
    {
        ArgumentNullException.ThrowIfNull(expandTypeName);
        return new TypeSelector(_root.Map(name => name == Wildcard ? name : expandTypeName(name)));
    }

    /// <summary>Whether an entity with these (expanded) types is selected.</summary>
    public bool Matches(IReadOnlyList<string> expandedTypes)
    {
        ArgumentNullException.ThrowIfNull(expandedTypes);
        return _root.Evaluate(name => name == Wildcard || expandedTypes.Contains(name, StringComparer.Ordinal));
    }

    private static string[]? PlainNames(Selector<string> root)
    {
        var leaves = root switch
        {
            SelectorLeaf<string> leaf => [leaf],
            SelectorOr<string> disjunction when disjunction.Children.All(c => c is SelectorLeaf<string>) => disjunction.Children.Cast<SelectorLeaf<string>>().ToArray(),
            _ => null,
        };
        return leaves is null || leaves.Any(l => l.Value == Wildcard)
            ? null
            : leaves.Select(l => l.Value).Distinct(StringComparer.Ordinal).ToArray();
    }
}
