namespace CityOS.Core.Security;

/// <summary>The outcome of a policy decision, with the reason to log or return.</summary>
public sealed record AccessDecision(bool Allowed, string Reason)
{
    public static AccessDecision Allow(string reason) => new(true, reason);

    public static AccessDecision Deny(string reason) => new(false, reason);
}

/// <summary>
/// What one caller may see or touch in one tenant for one action: either everything, or the union
/// of <see cref="Grants"/>. An empty, unrestricted-false scope means nothing.
/// </summary>
public sealed record AccessScope(bool Unrestricted, IReadOnlyList<AccessGrant> Grants)
{
    public static readonly AccessScope Everything = new(true, []);
    public static readonly AccessScope Nothing = new(false, []);

    public bool IsEmpty => !Unrestricted && Grants.Count == 0;

    /// <summary>True when some grant covers an entity of this type and id (any of its attributes).</summary>
    public bool Permits(string entityType, string entityId) =>
        Unrestricted || Grants.Any(g => g.Covers(entityType, entityId));

    /// <summary>
    /// The attributes of an entity the caller may see: null for all of them, else the allowed names
    /// (the entity itself is visible when <see cref="Permits"/> is true).
    /// </summary>
    public IReadOnlySet<string>? AttributesOf(string entityType, string entityId)
    {
        if (Unrestricted) return null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var grant in Grants.Where(g => g.Covers(entityType, entityId)))
        {
            if (grant.Attributes.Count == 0) return null;
            names.UnionWith(grant.Attributes);
        }
        return names;
    }
}

/// <summary>
/// One allowed slice of a tenant's data. Empty lists mean "any". Id patterns use '*' as a wildcard
/// for any run of characters (urn:ngsi-ld:Building:*).
/// </summary>
public sealed record AccessGrant(IReadOnlyList<string> EntityTypes, IReadOnlyList<string> IdPatterns, IReadOnlyList<string> Attributes)
{
    public bool Covers(string entityType, string entityId) =>
        (EntityTypes.Count == 0 || EntityTypes.Contains(entityType, StringComparer.Ordinal))
        && (IdPatterns.Count == 0 || IdPatterns.Any(p => IdPattern.Matches(p, entityId)));
}

/// <summary>Wildcard matching of entity ids ('*' matches any run of characters, everything else literally).</summary>
public static class IdPattern
{
    public static bool Matches(string pattern, string id) => Matches(pattern.AsSpan(), id.AsSpan());

    private static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
