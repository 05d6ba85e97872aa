namespace CityOS.Core.Outbound;

/// <summary>
/// Where CityOS may send requests on a caller's behalf (@context fetches, notification endpoints), configuration
/// section "CityOS:Outbound". Without settings the link-local and cloud-metadata ranges and CityOS's own listening
/// addresses are refused; loopback and private networks are allowed so that tests and one-machine setups work.
/// </summary>
public sealed class OutboundOptions
{
    public const string Section = "CityOS:Outbound";

    /// <summary>
    /// Host names always allowed, whatever they resolve to ("contexts.city.example", or "*.city.example" for every name
    /// below it): the deployment vouches for them. CityOS's own addresses stay refused unless <see cref="AllowSelf"/>.
    /// </summary>
    public List<string> AllowHosts { get; set; } = [];

    /// <summary>Host names refused (same forms as <see cref="AllowHosts"/>), in addition to the cloud-metadata names.</summary>
    public List<string> DenyHosts { get; set; } = [];

    /// <summary>
    /// Networks (CIDR, e.g. "10.20.0.0/16", or one address) allowed even when a deny rule covers them: with
    /// DenyNetworks "0.0.0.0/0" and "::/0" this makes an allow-list.
    /// </summary>
    public List<string> AllowNetworks { get; set; } = [];

    /// <summary>Networks (CIDR) refused, in addition to link-local and cloud-metadata addresses.</summary>
    public List<string> DenyNetworks { get; set; } = [];

    /// <summary>
    /// Whether CityOS may call itself (its listening addresses, and the host and port of <see cref="SelfUrls"/>):
    /// off, so that a subscription notifying the broker cannot feed its own changes back forever.
    /// </summary>
    public bool AllowSelf { get; set; }

    /// <summary>Base URLs under which clients reach this CityOS (e.g. behind a proxy): requests to them count as to itself.</summary>
    public List<string> SelfUrls { get; set; } = [];
}
