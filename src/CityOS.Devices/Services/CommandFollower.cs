using System.Text.Json.Nodes;
using CityOS.Core.Context;
using CityOS.Devices.Rules;
using CityOS.Devices.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityOS.Devices.Services;

/// <summary>
/// Learns of command attributes changed through the broker (an NGSI-LD PATCH, a v2 update...) from
/// <see cref="IContextChanges"/> and hands them to <see cref="DeviceCommands"/>; expires unanswered commands every second.
/// </summary>
public sealed class CommandFollower(IContextChanges changes, IDeviceRegistry registry, DeviceCommands commands, TimeProvider clock,
    ILogger<CommandFollower> logger) : BackgroundService
{
    public const string Consumer = "devices-commands";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var expiry = ExpireLoopAsync(stoppingToken);
        try
        {
            await changes.FollowAsync(Consumer, HandleAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await expiry;
    }

    private async Task HandleAsync(IReadOnlyList<ContextChange> batch, CancellationToken ct)
    {
        foreach (var change in batch)
        {
            if (change.After is not { } after) continue;
            var device = await registry.FindDeviceByEntityAsync(change.Tenant, change.EntityId, ct);
            if (device?.Apikey is null) continue;
            var group = await registry.FindGroupByApikeyAsync(device.Apikey, ct);
            var effective = DeviceDefaults.Effective(device, group is not null && group.Scope == device.Scope ? group : null);
            foreach (var command in effective.Commands)
            {
                if (after[command.Name] is not JsonObject attribute || JsonNode.DeepEquals(change.Before?[command.Name], attribute)) continue;
                var value = attribute["value"];
                if (value is JsonValue v && v.TryGetValue<string>(out var text) && text.Length == 0) continue;
                try
                {
                    await commands.SendAsync(effective, command.Name, value, ct);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    logger.LogError(error, "Command {Command} of {Entity} could not be sent", command.Name, change.EntityId);
                }
            }
        }
    }

    private async Task ExpireLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await commands.ExpireAsync(ct);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    logger.LogError(error, "Expiring commands failed");
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
