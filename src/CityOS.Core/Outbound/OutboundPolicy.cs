using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityOS.Core.Outbound;

/// <summary>The outbound policy refused a destination; an <see cref="IOException"/> so that callers treat it as an unreachable peer.</summary>
public sealed class OutboundDeniedException(string message) : IOException(message);

/// <summary>
/// Decides whether CityOS may open a connection on a caller's behalf (SE-1: no server-side request forgery). The URL's
/// host name is checked when a destination is given (e.g. a subscription is created), and the resolved addresses are
/// checked again when the connection is opened (<see cref="ConnectAsync(string, int, CancellationToken)"/>), so a name
/// that resolves to another address later (DNS rebinding) is refused too. Rules, see <see cref="OutboundOptions"/>:
/// an allowed host name is trusted at any address; otherwise an address in AllowNetworks is allowed, one in DenyNetworks
/// or in the built-in link-local and cloud-metadata ranges is refused; CityOS's own listening addresses are refused
/// unless AllowSelf, whatever the other rules say.
/// </summary>
public sealed class OutboundPolicy
{
    /// <summary>Link-local (where cloud-metadata services live) and the metadata addresses outside it (AWS IPv6, Alibaba).</summary>
    public static readonly IReadOnlyList<IPNetwork> DefaultDeniedNetworks =
    [
        IPNetwork.Parse("169.254.0.0/16"),
        IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("fd00:ec2::254/128"),
        IPNetwork.Parse("100.100.100.200/32"),
    ];

    /// <summary>Names of cloud-metadata services that resolve inside a cloud instance.</summary>
    public static readonly IReadOnlyList<string> DefaultDeniedHosts =
    [
        "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    ];

    private readonly IReadOnlyList<string> _allowHosts;
    private readonly IReadOnlyList<string> _denyHosts;
    private readonly IReadOnlyList<IPNetwork> _allowNetworks;
    private readonly IReadOnlyList<IPNetwork> _denyNetworks;
    private readonly bool _allowSelf;
    private readonly IReadOnlyList<(string Host, int Port)> _selfUrls;
    private readonly Func<IEnumerable<string>> _listeningUrls;
    private readonly Lazy<HashSet<IPAddress>> _machineAddresses = new(MachineAddresses);

    /// <summary>The policy of a host: its options and the addresses its server listens on (read when a connection is checked).</summary>
    public OutboundPolicy(IOptions<OutboundOptions> options, IServiceProvider services)
        : this(options.Value, () => services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
    {
    }

    /// <param name="listeningUrls">The URLs this CityOS listens on (e.g. "http://0.0.0.0:1026"), as the server reports them.</param>
    public OutboundPolicy(OutboundOptions options, Func<IEnumerable<string>> listeningUrls)
    {
        _allowHosts = options.AllowHosts.Select(NormalizeHost).ToArray();
        _denyHosts = [.. DefaultDeniedHosts, .. options.DenyHosts.Select(NormalizeHost)];
        _allowNetworks = options.AllowNetworks.Select(n => ParseNetwork(n, "AllowNetworks")).ToArray();
        _denyNetworks = [.. DefaultDeniedNetworks, .. options.DenyNetworks.Select(n => ParseNetwork(n, "DenyNetworks"))];
        _allowSelf = options.AllowSelf;
        _selfUrls = options.SelfUrls.Select(Authority).Where(a => a is not null).Select(a => a!.Value).ToArray();
        _listeningUrls = listeningUrls;
    }

    /// <summary>
    /// Why a request to <paramref name="uri"/> is refused, or null when it may be made. The host name is checked, and
    /// the addresses it resolves to now; a name that does not resolve passes (it is checked again on connecting).
    /// </summary>
    public ValueTask<string?> RefusalAsync(Uri uri, CancellationToken ct) => RefusalAsync(uri.IdnHost, uri.Port, ct);

    /// <summary>As <see cref="RefusalAsync(Uri, CancellationToken)"/> for a host name or address and a port.</summary>
    public async ValueTask<string?> RefusalAsync(string host, int port, CancellationToken ct)
    {
        host = host.Trim('[', ']');
        if (RefusalOfName(host, port, out var trusted) is { } refusal) return refusal;
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, ct);
            }
            catch (SocketException)
            {
                return null;
            }
        }
        return addresses.Select(a => RefusalOf(a, port, trusted)).FirstOrDefault(r => r is not null);
    }

    /// <summary>Why connecting to <paramref name="address"/>:<paramref name="port"/> is refused, or null when it is allowed.</summary>
    public string? RefusalOf(IPAddress address, int port) => RefusalOf(address, port, trustedName: false);

    /// <summary>
    /// Resolves <paramref name="host"/> and connects to the first of its addresses that the policy allows; throws
    /// <see cref="OutboundDeniedException"/> when it allows none. For clients that open their own sockets (MQTT).
    /// </summary>
    public async ValueTask<Socket> ConnectAsync(string host, int port, CancellationToken ct)
    {
        host = host.Trim('[', ']');
        if (RefusalOfName(host, port, out var trusted) is { } refusal) throw new OutboundDeniedException(refusal);
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => RefusalOf(a, port, trusted) is null).ToArray();
        if (allowed.Length == 0)
        {
            throw new OutboundDeniedException(addresses.Length == 0
                ? $"{host} has no address"
                : $"{host}:{port}: {RefusalOf(addresses[0], port, trusted)}");
        }
        SocketException? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }

    /// <summary>
    /// The <see cref="SocketsHttpHandler.ConnectCallback"/> that applies this policy. The handler must not use a proxy
    /// (<c>UseProxy = false</c>): the policy has to see the destination, not the proxy.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct) =>
        new NetworkStream(await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct), ownsSocket: true);

    /// <summary>A handler for outbound requests on a caller's behalf: policy-checked connections, no proxy, no redirects.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        UseProxy = false,
        AllowAutoRedirect = false,
    };

    private string? RefusalOfName(string host, int port, out bool trusted)
    {
        var name = NormalizeHost(host);
        trusted = false;
        if (!_allowSelf && _selfUrls.Any(s => s.Port == port && s.Host == name)) return $"{host}:{port} is this CityOS itself";
        if (_allowHosts.Any(p => HostMatches(p, name)))
        {
            trusted = true;
            return null;
        }
        return _denyHosts.Any(p => HostMatches(p, name)) ? $"the host {host} is denied" : null;
    }

    private string? RefusalOf(IPAddress address, int port, bool trustedName)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (!_allowSelf && IsSelf(address, port)) return $"{address}:{port} is this CityOS itself";
        if (trustedName || _allowNetworks.Any(n => n.Contains(address))) return null;
        foreach (var denied in _denyNetworks)
        {
            if (denied.Contains(address)) return $"{address} is in the denied network {denied}";
        }
        return null;
    }

    private bool IsSelf(IPAddress address, int port)
    {
        foreach (var url in _listeningUrls())
        {
            if (Authority(url) is not ({ } host, var listeningPort) || listeningPort != port) continue;
            var local = IPAddress.Any.Equals(address) || IPAddress.IPv6Any.Equals(address);
            var matches = host switch
            {
                "+" or "*" or "0.0.0.0" or "::" => local || IPAddress.IsLoopback(address) || _machineAddresses.Value.Contains(address),
                "localhost" => local || IPAddress.IsLoopback(address),
                _ => local || (IPAddress.TryParse(host, out var bound) && (bound.IsIPv4MappedToIPv6 ? bound.MapToIPv4() : bound).Equals(address)),
            };
            if (matches) return true;
        }
        return false;
    }

    /// <summary>Host and port of a URL such as "http://[::]:1026" or "http://+:80" (forms Kestrel reports), or null.</summary>
    private static (string Host, int Port)? Authority(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0) return null;
        var scheme = url[..schemeEnd].ToLowerInvariant();
        var rest = url[(schemeEnd + 3)..];
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var at = authority.LastIndexOf('@');
        if (at >= 0) authority = authority[(at + 1)..];
        var colon = authority.LastIndexOf(':');
        var hasPort = colon >= 0 && !authority[colon..].Contains(']');
        var host = hasPort ? authority[..colon] : authority;
        int port;
        if (hasPort)
        {
            if (!int.TryParse(authority[(colon + 1)..], out port)) return null;
        }
        else
        {
            port = scheme switch { "https" => 443, "mqtts" => 8883, "mqtt" => 1883, _ => 80 };
        }
        return (NormalizeHost(host.Trim('[', ']')), port);
    }

    private static bool HostMatches(string pattern, string host) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.Ordinal)
            : host == pattern;

    private static string NormalizeHost(string host) => host.Trim().TrimEnd('.').ToLowerInvariant();

    private static IPNetwork ParseNetwork(string text, string setting) =>
        IPNetwork.TryParse(text.Trim(), out var network) ? network
        : IPAddress.TryParse(text.Trim(), out var address) ? new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
        : throw new OptionsValidationException(OutboundOptions.Section, typeof(OutboundOptions),
            [$"{OutboundOptions.Section}:{setting}: '{text}' is not a network in CIDR notation (e.g. 10.0.0.0/8) or an address."]);

    private static HashSet<IPAddress> MachineAddresses()
    {
        var addresses = new HashSet<IPAddress>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                addresses.Add(unicast.Address.IsIPv4MappedToIPv6 ? unicast.Address.MapToIPv4() : unicast.Address);
            }
        }
        return addresses;
    }
}
