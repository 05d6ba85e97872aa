namespace CityOS.Context.Query;

/// <summary>
/// The Scope Query Language (ETSI GS CIM 009 clause 4.19): <c>/Madrid/Gardens</c> (exactly that scope),
/// <c>/Madrid/+/ParqueNorte</c> (<c>+</c>: any one level), <c>/Madrid/Gardens/#</c> (that scope and every
/// scope below it), <c>/#</c> (any scope at all), combined with <c>;</c> (AND) and <c>|</c> or <c>,</c> (OR),
/// e.g. <c>(/Madrid/Districts;/CompanyA),/CompanyB</c>. An entity matches a scope pattern when one of its
/// scopes does. Immutable and thread-safe. Parsed with the root extension (the context API's, for NGSI-v2's root
/// service path), the pattern <c>/</c> alone selects the entities without a scope.
/// </summary>
public sealed class ScopeQuery
{
    private const string NullScope = "urn:ngsi-ld:null";

    private readonly Selector<ScopePattern> _root;

    private ScopeQuery(Selector<ScopePattern> root) => _root = root;

    /// <param name="scopeQ">The scope query.</param>
    /// <param name="root">Whether <c>/</c> alone is a pattern that selects the entities without a scope.</param>
    public static ScopeQuery Parse(string scopeQ, bool root = false) =>
        new(SelectorParser<ScopePattern>.Parse(scopeQ, "scopeQ", root ? ScopePattern.ParseWithRoot : ScopePattern.Parse));

    /// <summary>
    /// Whether an entity with these scopes is selected; an entity without scopes matches nothing (not even <c>/#</c>)
    /// but the root pattern <c>/</c>.
    /// </summary>
    public bool Matches(IReadOnlyList<string>? scopes)
    {
        var levels = scopes is null ? [] : scopes.Where(s => s != NullScope).Select(s => s.TrimStart('/').Split('/')).ToArray();
        return _root.Evaluate(pattern => pattern.IsRoot ? levels.Length == 0 : levels.Any(pattern.Matches));
    }

    internal sealed class ScopePattern
    {
        private readonly string[] _levels;
        private readonly bool _andBelow;

        private ScopePattern(string[] levels, bool andBelow, bool isRoot = false)
        {
            _levels = levels;
            _andBelow = andBelow;
            IsRoot = isRoot;
        }

        /// <summary>The root pattern <c>/</c>: entities without a scope.</summary>
        public bool IsRoot { get; }

        public static ScopePattern ParseWithRoot(string text, int position) => text == "/" ? new ScopePattern([], false, isRoot: true) : Parse(text, position);

        /// <summary>
        /// ScopeQ of 4.19: '/' then levels separated by '/', each a run of letters, digits and '_' (or '+'),
        /// optionally ending in '/#'. '/#' alone designates any non-empty scope.
        /// </summary>
        public static ScopePattern Parse(string text, int position)
        {
            if (text[0] != '/')
            {
                throw SelectorParser<ScopePattern>.ErrorAt("scopeQ", position, $"a scope starts with '/': '{text}'");
            }

            var levels = text[1..].Split('/');
            var andBelow = levels[^1] == "#";
            if (andBelow)
            {
                levels = levels[..^1];
            }

            var offset = position + 1;
            foreach (var level in levels)
            {
                if (level != "+" && (level.Length == 0 || !level.All(c => char.IsLetterOrDigit(c) || char.IsNumber(c) || c == '_')))
                {
                    throw SelectorParser<ScopePattern>.ErrorAt("scopeQ", offset,
                        level.Length == 0 ? "empty scope level" : $"invalid scope level '{level}' ('#' may only end a scope)");
                }

                offset += level.Length + 1;
            }

            return new ScopePattern(levels, andBelow);
        }

        public bool Matches(string[] scope)
        {
            if (scope.Length < _levels.Length || (!_andBelow && scope.Length != _levels.Length) || (_levels.Length == 0 && scope[0].Length == 0))
            {
                return false;
            }

            for (var i = 0; i < _levels.Length; i++)
            {
                if (_levels[i] != "+" && !string.Equals(_levels[i], scope[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
