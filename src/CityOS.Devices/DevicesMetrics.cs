using System.Diagnostics.Metrics;

namespace CityOS.Devices;

/// <summary>The IoT agent's meter, <c>CityOS.Devices</c>: measures stored and refused.</summary>
public static class DevicesMetrics
{
    public const string MeterName = "CityOS.Devices";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Measures = Meter.CreateCounter<long>("cityos.devices.measures", "{measure}", "Device measures received (outcome: stored or refused).");

    public static void Measured(bool stored) => Measures.Add(1, new KeyValuePair<string, object?>("outcome", stored ? "stored" : "refused"));
}
