using Microsoft.Extensions.Logging;

namespace CityOS.Mqtt;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "MQTT client {ClientId} connected to {Host}:{Port} (session present: {SessionPresent})")]
    public static partial void Connected(ILogger logger, string clientId, string host, int port, bool sessionPresent);

    [LoggerMessage(2, LogLevel.Warning, "MQTT client {ClientId} lost its connection to {Host}:{Port}: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string clientId, string host, int port, string reason, Exception exception);

    [LoggerMessage(3, LogLevel.Information, "MQTT client {ClientId} reconnecting to {Host}:{Port}, attempt {Attempt}")]
    public static partial void Reconnecting(ILogger logger, string clientId, string host, int port, int attempt);

    [LoggerMessage(4, LogLevel.Warning, "MQTT client {ClientId} failed to reconnect to {Host}:{Port} (attempt {Attempt}); next try in {Delay}")]
    public static partial void ReconnectFailed(ILogger logger, string clientId, string host, int port, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "MQTT client {ClientId} reconnected to {Host}:{Port}; retransmitting {Pending} unacknowledged message(s) and restoring {Subscriptions} subscription(s)")]
    public static partial void Reconnected(ILogger logger, string clientId, string host, int port, int pending, int subscriptions);

    [LoggerMessage(6, LogLevel.Information, "MQTT client {ClientId} disconnected from {Host}:{Port}")]
    public static partial void Disconnected(ILogger logger, string clientId, string host, int port);

    [LoggerMessage(7, LogLevel.Warning, "MQTT client {ClientId}: the broker refused to restore the subscription to '{Filter}'")]
    public static partial void ResubscribeRefused(ILogger logger, string clientId, string filter);

    [LoggerMessage(8, LogLevel.Error, "MQTT client {ClientId} lost its connection to {Host}:{Port} and AutoReconnect is off")]
    public static partial void GivingUp(ILogger logger, string clientId, string host, int port);
}
