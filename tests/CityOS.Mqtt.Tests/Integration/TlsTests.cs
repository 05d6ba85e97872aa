using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CityOS.Mqtt.Tests.Infrastructure;
using static CityOS.Mqtt.Tests.Infrastructure.TestClient;

namespace CityOS.Mqtt.Tests.Integration;

/// <summary>mqtts:// against mosquitto with a TLS listener and a certificate made by the test.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private X509Certificate2 _certificate = null!;
    private MosquittoBroker _broker = null!;

    public async Task InitializeAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        _broker = await MosquittoBroker.StartAsync(tls: (_certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem()));
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        _certificate.Dispose();
    }

    [Fact]
    public async Task Publishes_over_tls_when_the_broker_certificate_is_trusted()
    {
        var options = Options(_broker.Port) with { UseTls = true, TlsOptions = Trusting(_certificate) };
        await using var client = await ConnectAsync(options);
        await using var subscription = await client.SubscribeAsync("secure/#", MqttQualityOfService.AtLeastOnce, Timeout());

        await client.PublishAsync("secure/t", Encoding.UTF8.GetBytes("over TLS"), MqttQualityOfService.AtLeastOnce, cancellationToken: Timeout());

        Assert.Equal("over TLS", Encoding.UTF8.GetString((await subscription.NextAsync()).Payload.Span));
    }

    [Fact]
    public async Task An_untrusted_broker_certificate_fails_the_handshake_with_a_clear_error()
    {
        await using var client = new MqttClient(Options(_broker.Port) with { UseTls = true });
        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => client.ConnectAsync(Timeout()));
        Assert.Contains("TLS handshake with the MQTT broker 127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_mqtt_to_a_tls_listener_does_not_hang()
    {
        await using var client = new MqttClient(Options(_broker.Port) with { ConnectTimeout = TimeSpan.FromSeconds(2) });
        await Assert.ThrowsAsync<MqttConnectionException>(() => client.ConnectAsync(Timeout()));
    }

    private static SslClientAuthenticationOptions Trusting(X509Certificate2 certificate)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(certificate);
        return new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
    }
}
