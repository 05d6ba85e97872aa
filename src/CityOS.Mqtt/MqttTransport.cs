using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using MQTTnet.Channel;

namespace CityOS.Mqtt;

/// <summary>
/// Opens the byte stream under MQTTnet's client: TCP through <see cref="MqttClientOptions.ConnectSocket"/> (so a host's
/// outbound policy sees every address), then TLS when asked. Failures become <see cref="MqttConnectionException"/>s that say
/// what failed, so the client can report them as they are rather than as MQTTnet's generic channel errors.
/// </summary>
internal sealed class MqttTransport(MqttClientOptions options) : IMqttClientStreamProvider
{
    public string Where => $"{options.Host}:{options.Port}";

    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        Socket? socket = null;
        Stream? stream = null;
        try
        {
            if (options.ConnectSocket is { } connect)
            {
                socket = await connect(options.Host, options.Port, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(options.Host, options.Port, cancellationToken).ConfigureAwait(false);
            }
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.UseTls)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(TlsOptions(), cancellationToken).ConfigureAwait(false);
            }
            return stream;
        }
        catch (Exception ex)
        {
            if (stream is not null)
                await stream.DisposeAsync().ConfigureAwait(false);
            else
                socket?.Dispose();
            if (ex is OperationCanceledException)
                throw;
            throw ex switch
            {
                AuthenticationException => new MqttConnectionException($"The TLS handshake with the MQTT broker {Where} failed: {ex.Message}", ex),
                IOException when options.UseTls && stream is SslStream => new MqttConnectionException($"The TLS handshake with the MQTT broker {Where} failed: {ex.Message}", ex),
                _ => new MqttConnectionException($"Cannot connect to the MQTT broker {Where}: {ex.Message}", ex),
            };
        }
    }

    private SslClientAuthenticationOptions TlsOptions()
    {
        var given = options.TlsOptions;
        if (given is null)
            return new SslClientAuthenticationOptions { TargetHost = options.Host };
        return new SslClientAuthenticationOptions
        {
            TargetHost = given.TargetHost ?? options.Host,
            ClientCertificates = given.ClientCertificates,
            RemoteCertificateValidationCallback = given.RemoteCertificateValidationCallback,
            LocalCertificateSelectionCallback = given.LocalCertificateSelectionCallback,
            EnabledSslProtocols = given.EnabledSslProtocols,
            CertificateRevocationCheckMode = given.CertificateRevocationCheckMode,
            CertificateChainPolicy = given.CertificateChainPolicy,
            ClientCertificateContext = given.ClientCertificateContext,
        };
    }
}
