using System.Net;
using System.Net.Sockets;
using CityOS.Devices.Rules;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Server;

namespace CityOS.Devices.Mqtt;

/// <summary>
/// The MQTT broker built into cityos (MQTTnet.Server). A publish to a device's measure topic is written into the context
/// broker before the broker answers it: the PUBACK of a QoS 1 measure goes out only after the commit, and when the store
/// cannot take it the connection is closed without a PUBACK, so the device sends it again. A port already taken is logged
/// clearly; cityos serves everything else and /ready names the "mqtt" check as failing.
/// </summary>
public sealed class DeviceMqttBroker(IOptions<MqttBrokerOptions> options, MqttDeviceMessages messages, MqttAccess access, MqttCommandOutlet outlet,
    ILogger<DeviceMqttBroker> logger) : IHostedService, IHealthCheck, IAsyncDisposable
{
    private const string PrincipalKey = "cityos.device";
    private static readonly System.Reflection.FieldInfo ConnectPacketField =
        typeof(ValidatingConnectionEventArgs).GetField("_connectPacket", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("This MQTTnet version keeps its CONNECT packet elsewhere; revisit DeviceMqttBroker.AssignClientId.");
    private MqttServer? _server;

    /// <summary>The port the broker listens on, or null when it does not listen.</summary>
    public int? Port { get; private set; }

    /// <summary>Why the broker does not listen although it is enabled, or null.</summary>
    public string? Failure { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled) return;
        if (!IPAddress.TryParse(settings.Address, out var address))
        {
            Fail($"CityOS:Mqtt:Broker:Address '{settings.Address}' is not an IP address.");
            return;
        }
        var port = settings.Port == 0 ? FreePort(address) : settings.Port;
        var factory = new MqttServerFactory();
        var server = factory.CreateMqttServer(factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(address).WithDefaultEndpointPort(port).Build());
        server.ValidatingConnectionAsync += OnConnectingAsync;
        server.InterceptingSubscriptionAsync += OnSubscribingAsync;
        server.InterceptingPublishAsync += OnPublishAsync;
        try
        {
            await server.StartAsync();
        }
        catch (Exception error) when (error is SocketException || error.InnerException is SocketException)
        {
            server.Dispose();
            var socket = error as SocketException ?? (SocketException)error.InnerException!;
            Fail(socket.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"The MQTT broker cannot listen on {address}:{port}: the port is already in use (another MQTT broker such as mosquitto?). "
                  + "CityOS serves everything else; set CityOS:Mqtt:Broker:Port to a free port, or CityOS:Mqtt:Broker:Enabled=false."
                : $"The MQTT broker cannot listen on {address}:{port}: {socket.Message}");
            return;
        }
        _server = server;
        Port = port;
        outlet.Add(PublishAsync);
        logger.LogInformation("MQTT broker listening on {Address}:{Port}", address, port);
    }

    /// <summary>Publishes a message of cityos (a command) to the devices subscribed to its topic, with QoS 1.</summary>
    public Task PublishAsync(string topic, string payload, CancellationToken ct) =>
        (_server ?? throw new InvalidOperationException("The MQTT broker is not listening.")).InjectApplicationMessage(
            new InjectedMqttApplicationMessage(MqttCommandOutlet.Message(topic, payload)), ct);

    private async Task OnConnectingAsync(ValidatingConnectionEventArgs e)
    {
        if (string.IsNullOrEmpty(e.ClientId) && !AssignClientId(e))
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            return;
        }
        var principal = await access.AuthenticateAsync(e.UserName, e.Password, e.CancellationToken);
        if (principal is null)
        {
            var anonymous = string.IsNullOrEmpty(e.UserName);
            logger.LogWarning("MQTT client {Client} refused: {Reason}", e.ClientId, anonymous ? "anonymous" : $"bad username or password for '{e.UserName}'");
            e.ReasonCode = anonymous ? MqttConnectReasonCode.NotAuthorized : MqttConnectReasonCode.BadUserNameOrPassword;
            return;
        }
        e.SessionItems[PrincipalKey] = principal;
    }

    /// <summary>
    /// Gives a client that sent no client id one of its own, as MQTT requires of a server (3.1.1 [MQTT-3.1.3-6], 5.0
    /// Assigned Client Identifier). In 3.1.1 only a clean session may go without an id [MQTT-3.1.3-8]: false for the other.
    /// MQTTnet assigns ids to MQTT 5 clients only, so a 3.1.1 CONNECT gets its id written into the packet being validated.
    /// </summary>
    private static bool AssignClientId(ValidatingConnectionEventArgs e)
    {
        var assigned = "cityos-" + Guid.NewGuid().ToString("N");
        if (e.ProtocolVersion == MqttProtocolVersion.V500)
        {
            e.AssignedClientIdentifier = assigned;
            return true;
        }
        if (e.CleanSession != true) return false;
        var packet = ConnectPacketField.GetValue(e) ?? throw new InvalidOperationException("MQTTnet's CONNECT packet is not where it was.");
        packet.GetType().GetProperty(nameof(e.ClientId))!.SetValue(packet, assigned);
        return e.ClientId == assigned;
    }

    private Task OnSubscribingAsync(InterceptingSubscriptionEventArgs e)
    {
        if (e.SessionItems[PrincipalKey] is MqttPrincipal principal && MqttAccess.MaySubscribe(principal, e.TopicFilter.Topic)) return Task.CompletedTask;
        logger.LogWarning("MQTT client {Client} may not subscribe to {Topic}", e.ClientId, e.TopicFilter.Topic);
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        return Task.CompletedTask;
    }

    private void Fail(string reason)
    {
        Failure = reason;
        logger.LogError("{Reason}", reason);
    }

    private async Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        // cityos's own messages (commands) come with the server's session items.
        if (_server is { } self && ReferenceEquals(e.SessionItems, self.ServerSessionItems)) return;
        var topic = DeviceTopic.Parse(e.ApplicationMessage.Topic);
        if (e.SessionItems[PrincipalKey] is not MqttPrincipal principal || !MqttAccess.MayPublish(principal, topic))
        {
            logger.LogWarning("MQTT client {Client} may not publish to {Topic}", e.ClientId, e.ApplicationMessage.Topic);
            e.ProcessPublish = false;
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            return;
        }
        try
        {
            await messages.HandleAsync(topic!, e.ApplicationMessage.Payload, e.CancellationToken);
            // Consumed: the ACL lets no client subscribe to measure or answer topics, so there is no one to forward it to
            // (and an MQTT 5 device gets Success, not "no matching subscribers").
            e.ProcessPublish = false;
        }
        catch (IotAgentException error) when (error.Status is >= 400 and < 500)
        {
            // Sent again, it would be refused again: acknowledged and dropped, as the IoT Agents do, and logged.
            logger.LogWarning("MQTT measure on {Topic} from {Client} refused: {Name} {Message}", e.ApplicationMessage.Topic, e.ClientId, error.Name, error.Message);
            e.ProcessPublish = false;
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // Not stored: no PUBACK, the device keeps the measure and sends it again on its next connection.
            logger.LogError(error, "MQTT measure on {Topic} from {Client} could not be stored; closing the connection unacknowledged", e.ApplicationMessage.Topic, e.ClientId);
            e.ProcessPublish = false;
            e.CloseConnection = true;
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!options.Value.Enabled || _server is { IsStarted: true }
            ? HealthCheckResult.Healthy(Port is { } port ? $"MQTT listening on port {port}" : "MQTT broker disabled")
            : HealthCheckResult.Unhealthy(Failure ?? "The MQTT broker is not listening."));

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        outlet.Remove(PublishAsync);
        if (_server is { } server) await server.StopAsync();
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        _server = null;
        return ValueTask.CompletedTask;
    }

    private static int FreePort(IPAddress address)
    {
        using var probe = new TcpListener(address, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
