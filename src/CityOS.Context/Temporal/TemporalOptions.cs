namespace CityOS.Context.Temporal;

/// <summary>Settings of the temporal API and the history (configuration section "CityOS:Temporal").</summary>
public sealed class TemporalOptions
{
    public const string Section = "CityOS:Temporal";

    /// <summary>Whether changes made through the normal API are kept as history; a tenant or type policy overrides it.</summary>
    public bool History { get; set; } = true;

    /// <summary>
    /// How long the history recorder lets changes gather before it records them: one commit for many changes, whose
    /// instances of one series share index pages (the history of a change is queryable about this much later).
    /// </summary>
    public TimeSpan HistoryCommitDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a temporal request waits at most for the history of the core writes acknowledged before it (read your
    /// writes); past it, a recorder that is behind (a large backlog) answers with what it has recorded. Zero does not wait.
    /// </summary>
    public TimeSpan ReadYourWritesWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long instances are kept (by their temporal time, observedAt when given); null keeps them for ever.</summary>
    public TimeSpan? Retention { get; set; }

    /// <summary>Policies per tenant; the key "default" names the default tenant.</summary>
    public Dictionary<string, HistoryPolicy> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Policies per entity type: a short name ("Vehicle") or an IRI. A type policy wins over the tenant's.</summary>
    public Dictionary<string, HistoryPolicy> Types { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The most instances of one attribute in one response; beyond it the response is partial (206, Content-Range).</summary>
    public int MaxInstancesPerAttribute { get; set; } = 1000;

    /// <summary>How often the retention pruning runs.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The name the default tenant has in <see cref="Tenants"/>.</summary>
    public const string DefaultTenantKey = "default";

    /// <summary>The effective policy for an entity of a tenant: a matching type policy, else the tenant's, else the global one.</summary>
    public HistoryPolicy PolicyFor(string? tenant, IReadOnlyList<string> types)
    {
        var enabled = History;
        var retention = Retention;
        if (Tenants.TryGetValue(tenant ?? DefaultTenantKey, out var tenantPolicy))
        {
            enabled = tenantPolicy.Enabled ?? enabled;
            retention = tenantPolicy.Retention ?? retention;
        }
        foreach (var (name, typePolicy) in Types)
        {
            if (!types.Any(type => TypeMatches(type, name))) continue;
            enabled = typePolicy.Enabled ?? enabled;
            retention = typePolicy.Retention ?? retention;
            break;
        }
        return new HistoryPolicy { Enabled = enabled, Retention = retention };
    }

    private static bool TypeMatches(string typeIri, string configured) =>
        typeIri == configured
        || (typeIri.Length > configured.Length && typeIri.EndsWith(configured, StringComparison.Ordinal)
            && typeIri[^(configured.Length + 1)] is '/' or '#' or ':');
}

/// <summary>Whether history is kept and for how long; unset members inherit.</summary>
public sealed class HistoryPolicy
{
    public bool? Enabled { get; set; }
    public TimeSpan? Retention { get; set; }
}
