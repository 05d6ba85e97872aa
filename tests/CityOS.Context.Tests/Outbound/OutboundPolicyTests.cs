using System.Net;
using System.Net.Sockets;
using CityOS.Core.Outbound;
using Microsoft.Extensions.Options;

namespace CityOS.Context.Tests.Outbound;

/// <summary>The outbound request policy's rules: built-in denied ranges, CIDR lists, host names, IPv6, CityOS's own addresses.</summary>
public sealed class OutboundPolicyTests
{
    private static OutboundPolicy Policy(Action<OutboundOptions>? configure = null, params string[] listening)
    {
        var options = new OutboundOptions();
        configure?.Invoke(options);
        return new OutboundPolicy(options, () => listening);
    }

    private static bool Allowed(OutboundPolicy policy, string address, int port = 80) => policy.RefusalOf(IPAddress.Parse(address), port) is null;

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.0.1")]
    [InlineData("169.254.255.255")]
    [InlineData("fe80::1")]
    [InlineData("febf:ffff::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("100.100.100.200")]
    [InlineData("::ffff:169.254.169.254")]
    public void Link_local_and_cloud_metadata_addresses_are_denied_by_default(string address)
    {
        var refusal = Policy().RefusalOf(IPAddress.Parse(address), 80);
        Assert.NotNull(refusal);
        Assert.Contains("denied network", refusal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("192.168.1.10")]
    [InlineData("fd00:ec2::253")]
    [InlineData("fec0::1")]
    [InlineData("169.253.255.255")]
    [InlineData("8.8.8.8")]
    public void Loopback_private_and_public_addresses_are_allowed_by_default(string address) =>
        Assert.True(Allowed(Policy(), address));

    [Fact]
    public void Deny_networks_match_by_prefix_in_IPv4_and_IPv6()
    {
        var policy = Policy(o => o.DenyNetworks.AddRange(["10.20.0.0/16", "2001:db8::/32", "192.0.2.7"]));
        Assert.False(Allowed(policy, "10.20.0.0"));
        Assert.False(Allowed(policy, "10.20.255.255"));
        Assert.True(Allowed(policy, "10.21.0.0"));
        Assert.True(Allowed(policy, "10.19.255.255"));
        Assert.False(Allowed(policy, "2001:db8:ffff::1"));
        Assert.True(Allowed(policy, "2001:db9::1"));
        Assert.False(Allowed(policy, "192.0.2.7"));
        Assert.True(Allowed(policy, "192.0.2.8"));
        Assert.False(Allowed(policy, "::ffff:10.20.1.1"));
    }

    [Fact]
    public void Allow_networks_override_denials_so_that_deny_all_makes_an_allow_list()
    {
        var policy = Policy(o =>
        {
            o.DenyNetworks.AddRange(["0.0.0.0/0", "::/0"]);
            o.AllowNetworks.AddRange(["10.0.0.0/8", "169.254.10.0/24"]);
        });
        Assert.True(Allowed(policy, "10.200.1.1"));
        Assert.True(Allowed(policy, "169.254.10.9"));
        Assert.False(Allowed(policy, "169.254.169.254"));
        Assert.False(Allowed(policy, "8.8.8.8"));
        Assert.False(Allowed(policy, "::1"));
        Assert.False(Allowed(policy, "127.0.0.1"));
    }

    [Fact]
    public void A_setting_that_is_not_a_network_is_refused_at_start()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Policy(o => o.DenyNetworks.Add("10.0.0.0/33")));
        Assert.Contains("CityOS:Outbound:DenyNetworks", error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", "127.0.0.1", 5000, true)]
    [InlineData("http://127.0.0.1:5000", "127.0.0.1", 5001, false)]
    [InlineData("http://127.0.0.1:5000", "0.0.0.0", 5000, true)]
    [InlineData("http://127.0.0.1:5000", "10.9.9.9", 5000, false)]
    [InlineData("http://0.0.0.0:1026", "127.0.0.1", 1026, true)]
    [InlineData("http://0.0.0.0:1026", "127.0.0.1", 1027, false)]
    [InlineData("http://[::]:1026", "::1", 1026, true)]
    [InlineData("http://+:1026", "127.0.0.1", 1026, true)]
    [InlineData("http://localhost:1026", "::1", 1026, true)]
    [InlineData("http://localhost:1026", "127.0.0.1", 1026, true)]
    [InlineData("http://[::1]:1026", "::ffff:127.0.0.1", 1026, false)]
    [InlineData("https://10.0.0.5", "10.0.0.5", 443, true)]
    public void CityOS_own_listening_addresses_are_refused_unless_allowed(string listening, string address, int port, bool self)
    {
        var refusal = Policy(null, listening).RefusalOf(IPAddress.Parse(address), port);
        Assert.Equal(self, refusal is not null);
        if (self) Assert.Contains("this CityOS itself", refusal);
        Assert.Null(Policy(o => o.AllowSelf = true, listening).RefusalOf(IPAddress.Parse(address), port));
    }

    [Fact]
    public void Self_is_refused_even_inside_an_allowed_network()
    {
        var policy = Policy(o => o.AllowNetworks.Add("127.0.0.0/8"), "http://127.0.0.1:1026");
        Assert.NotNull(policy.RefusalOf(IPAddress.Loopback, 1026));
    }

    [Fact]
    public async Task The_public_base_url_counts_as_self_before_any_name_is_resolved()
    {
        var policy = Policy(o => o.SelfUrls.Add("https://broker.city.example/"));
        Assert.Contains("itself", await policy.RefusalAsync(new Uri("https://broker.city.example/ngsi-ld/v1/entities"), default));
        Assert.Contains("itself", await policy.RefusalAsync(new Uri("https://BROKER.city.example.:443/x"), default));
        Assert.Null(await policy.RefusalAsync(new Uri("https://broker.city.example:8443/x"), default));
    }

    [Theory]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/")]
    [InlineData("http://instance-data/latest/meta-data/")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://[::ffff:169.254.169.254]/")]
    public async Task Cloud_metadata_urls_are_refused_without_a_connection(string url) =>
        Assert.NotNull(await Policy().RefusalAsync(new Uri(url), default));

    [Fact]
    public async Task Deny_hosts_match_names_and_subdomains_and_allow_hosts_are_trusted_at_any_address()
    {
        var deny = Policy(o => o.DenyHosts.Add("*.internal.example"));
        Assert.Contains("denied", await deny.RefusalAsync(new Uri("http://db.internal.example/x"), default));
        Assert.Contains("denied", await deny.RefusalAsync(new Uri("http://a.b.INTERNAL.example./x"), default));

        var loopbackDenied = Policy(o => o.DenyNetworks.AddRange(["127.0.0.0/8", "::1/128"]));
        Assert.NotNull(await loopbackDenied.RefusalAsync(new Uri("http://localhost:8080/x"), default));
        var trusted = Policy(o =>
        {
            o.DenyNetworks.AddRange(["127.0.0.0/8", "::1/128"]);
            o.AllowHosts.Add("localhost");
        });
        Assert.Null(await trusted.RefusalAsync(new Uri("http://localhost:8080/x"), default));
        Assert.NotNull(await trusted.RefusalAsync(new Uri("http://127.0.0.1:8080/x"), default));
    }

    [Fact]
    public async Task Connecting_checks_the_resolved_address_and_never_opens_a_denied_connection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var denying = Policy(o => o.DenyNetworks.AddRange(["127.0.0.0/8", "::1/128"]));
        var error = await Assert.ThrowsAsync<OutboundDeniedException>(async () => (await denying.ConnectAsync("localhost", port, default)).Dispose());
        Assert.Contains("denied network", error.Message);
        await Assert.ThrowsAsync<OutboundDeniedException>(async () => (await Policy(null, $"http://127.0.0.1:{port}").ConnectAsync("127.0.0.1", port, default)).Dispose());

        using var allowed = await Policy().ConnectAsync("localhost", port, default);
        using var accepted = await listener.AcceptSocketAsync();
        Assert.Equal(allowed.LocalEndPoint, accepted.RemoteEndPoint);
        // Every connection attempt completed before this one: a denied one that had connected would be waiting here.
        Assert.False(listener.Pending());
    }
}
