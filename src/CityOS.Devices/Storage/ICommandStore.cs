using System.Text.Json.Nodes;
using CityOS.Devices.Model;

namespace CityOS.Devices.Storage;

/// <summary>A command sent to a device and not answered yet (one per command name and device; a newer one replaces it).</summary>
public sealed record PendingCommand(ServiceScope Scope, string Apikey, string DeviceId, string EntityId, string EntityType, string Name,
    JsonNode? Value, DateTimeOffset Expires, bool Delivered);

/// <summary>The commands waiting for their device's answer, or for a polling device to fetch them.</summary>
public interface ICommandStore
{
    Task PutCommandAsync(PendingCommand command, CancellationToken ct);

    /// <summary>The commands a polling device has not fetched yet, marked as fetched.</summary>
    Task<IReadOnlyList<PendingCommand>> TakeUndeliveredAsync(string apikey, string deviceId, CancellationToken ct);

    /// <summary>Removes and returns the pending command the device answers, or null when none is pending.</summary>
    Task<PendingCommand?> CompleteAsync(string apikey, string deviceId, string name, CancellationToken ct);

    /// <summary>Removes and returns the commands whose time ran out at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<PendingCommand>> TakeExpiredAsync(DateTimeOffset now, CancellationToken ct);
}
