namespace CityOS.Core.Security;

/// <summary>
/// Whether the data APIs authenticate and authorize their callers (configuration section "CityOS:Security").
/// Off by default so that a town can try CityOS on one machine without accounts; a deployment switches it
/// on with <c>CityOS__Security__Enabled=true</c> (or <c>--CityOS:Security:Enabled=true</c>).
/// </summary>
public sealed class SecurityOptions
{
    public const string Section = "CityOS:Security";

    /// <summary>When true every NGSI-LD request is checked: a bearer token (or an open-data tenant) and a policy grant.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// URL of a JSON-LD @context (e.g. one hosted at /ngsi-ld/v1/jsonldContexts or a Smart Data Models context)
    /// under which the short entity type and attribute names of policies are expanded, in addition to the
    /// NGSI-LD core context. Never the caller's own context: a client could otherwise map a granted name to
    /// any attribute.
    /// </summary>
    public string? PolicyContext { get; set; }
}
