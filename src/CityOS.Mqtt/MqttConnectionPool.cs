using Microsoft.Extensions.Logging;

namespace CityOS.Mqtt;

/// <summary>
/// Shares one connected <see cref="MqttClient"/> per broker (host, port, TLS, credentials), so a notifier
/// publishing to many topics of the same broker uses one connection, as Orion-LD does.
/// </summary>
public sealed class MqttConnectionPool : IAsyncDisposable
{
    private readonly Func<MqttEndpoint, MqttClientOptions> _optionsFor;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<BrokerKey, Task<MqttClient>> _clients = [];
    private bool _disposed;

    /// <param name="optionsFor">Client options for an endpoint; defaults to <see cref="MqttClientOptions.FromEndpoint"/>.</param>
    public MqttConnectionPool(
        Func<MqttEndpoint, MqttClientOptions>? optionsFor = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null)
    {
        _optionsFor = optionsFor ?? MqttClientOptions.FromEndpoint;
        _loggerFactory = loggerFactory;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Brokers with a client in the pool (connected, reconnecting or connecting).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _clients.Count;
        }
    }

    /// <summary>Publishes to the endpoint's topic over the shared connection to its broker.</summary>
    public async Task PublishAsync(
        MqttEndpoint endpoint,
        ReadOnlyMemory<byte> payload,
        MqttQualityOfService qualityOfService = MqttQualityOfService.AtMostOnce,
        bool retain = false,
        CancellationToken cancellationToken = default)
    {
        var client = await GetClientAsync(endpoint, cancellationToken).ConfigureAwait(false);
        await client.PublishAsync(endpoint.Topic, payload, qualityOfService, retain, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The shared client for the endpoint's broker, connecting it on first use.</summary>
    public async Task<MqttClient> GetClientAsync(MqttEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var key = new BrokerKey(endpoint.Host.ToLowerInvariant(), endpoint.Port, endpoint.UseTls, endpoint.UserName, endpoint.Password);
        Task<MqttClient> connecting;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_clients.TryGetValue(key, out connecting!) || connecting is { IsCompletedSuccessfully: true, Result.IsClosed: true })
            {
                // Not tied to the caller's token: other callers may be waiting for the same connection.
                connecting = ConnectAsync(endpoint);
                _clients[key] = connecting;
            }
        }
        try
        {
            return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch when (connecting.IsFaulted)
        {
            // Forget the failure so that the next notification tries again.
            lock (_gate)
            {
                if (_clients.TryGetValue(key, out var current) && current == connecting)
                    _clients.Remove(key);
            }
            throw;
        }
    }

    private async Task<MqttClient> ConnectAsync(MqttEndpoint endpoint)
    {
        await Task.Yield();
        var client = new MqttClient(_optionsFor(endpoint), _loggerFactory?.CreateLogger<MqttClient>(), _time);
        try
        {
            await client.ConnectAsync().ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Task<MqttClient>> clients;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            clients = [.. _clients.Values];
            _clients.Clear();
        }
        foreach (var connecting in clients)
        {
            try
            {
                var client = await connecting.ConfigureAwait(false);
                await client.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MqttException or ArgumentException or OperationCanceledException)
            {
                // A client that never connected has nothing to close.
            }
        }
    }

    private readonly record struct BrokerKey(string Host, int Port, bool UseTls, string? UserName, string? Password);
}
